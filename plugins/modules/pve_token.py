#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: iac.proxmox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: pve_token
short_description: Manage Proxmox VE API tokens
version_added: 0.1.0
description:
  - Creates, updates and removes an API token of a user (C(/access/users/<user>/token/<tokenid>)).
  - PVE shows a token's secret once, in the answer to its creation. This module returns it then as
    RV(secret), and never again; a rerun leaves the token (and its secret) alone unless O(rotate=true).
  - A result that carries the secret is hidden from the output, as with C(no_log) (the registered variable
    has it). Store it right away (see the examples), it cannot be read back.
  - Idempotent; a run that changes nothing sends no write request. Supports check mode (no write request
    at all) and diff mode (the secret is never shown).
author:
  - iac.proxmox maintainers (@iac-proxmox)
extends_documentation_fragment:
  - iac.proxmox.attributes
  - iac.proxmox.connection
attributes:
  check_mode:
    description: Supported; nothing is written and RV(plan) lists what would be.
    support: full
  diff_mode:
    description: Supported; shows the token's settings before and after, never its secret.
    support: full
  action:
    description: An action plugin marks a result that carries the secret as C(no_log).
    support: full
options:
  user:
    description:
      - The token's user, with its realm (V(automation@pve)). It must exist (M(iac.proxmox.pve_user)).
    type: str
    required: true
    aliases: [userid]
  tokenid:
    description:
      - The token's name (the part after C(!)). A letter, then letters, digits, C(.), C(-) and C(_).
    type: str
    required: true
    aliases: [name]
  privsep:
    description:
      - Privilege separation. V(true) (PVE's default for a new token) limits the token to the ACL entries
        given to the token itself (and only as far as its user has them too); V(false) gives the token all of
        its user's privileges.
      - Left alone on an existing token when not given.
    type: bool
  expire:
    description:
      - Expiry as a Unix time; V(0) means the user's expiry.
    type: int
  comment:
    description: Free-text comment. An empty string removes it.
    type: str
  rotate:
    description:
      - Give an existing token a new secret (returned as RV(secret)); the old one stops working.
      - Uses PVE's C(regenerate) (pve-access-control 9.1 and later), which keeps the token's ACL entries.
        An older PVE does not have it; the token is then removed and created again with the same settings
        and its ACL entries put back, with a warning.
      - Every run with V(true) rotates; use it in a task you run on purpose.
    type: bool
    default: false
  state:
    description:
      - V(present) creates or updates the token; V(absent) removes it (PVE drops its ACL entries).
    type: str
    choices: [present, absent]
    default: present
notes:
  - A user may manage its own tokens; for other users' tokens C(User.Modify) on C(/access/groups) (or on a group
    of that user) is required.
seealso:
  - module: iac.proxmox.pve_user
  - module: iac.proxmox.pve_acl
'''

EXAMPLES = r'''
- name: The automation token, with its user's privileges
  iac.proxmox.pve_token:
    user: automation@pve
    tokenid: ansible
    privsep: false
    comment: iac.proxmox
  register: token

- name: Keep the secret (only the run that created the token has it)
  ansible.builtin.copy:
    content: "{{ token.secret }}"
    dest: ~/.config/pve/automation-token
    mode: "0600"
  when: token.secret is defined
  no_log: true

- name: A new secret, on purpose
  iac.proxmox.pve_token:
    user: automation@pve
    tokenid: ansible
    rotate: true
  register: rotated

- name: Remove the token
  iac.proxmox.pve_token:
    user: automation@pve
    tokenid: ansible
    state: absent
'''

RETURN = r'''
full_tokenid:
  description: The full token ID, as O(iac.proxmox.pve_acl#module:tokens) and O(api_token_id) take it.
  returned: always
  type: str
  sample: automation@pve!ansible
secret:
  description:
    - The token's secret. Only when the token was created or rotated by this run (not in check mode).
    - The task's result is hidden from the output when it is present.
  returned: when created or rotated
  type: str
  sample: 3f2b0a66-0000-4000-8000-000000000000
token:
  description: The token's settings after the run (empty when absent).
  returned: always
  type: dict
  sample: {full_tokenid: automation@pve!ansible, privsep: false, expire: 0, comment: iac.proxmox}
plan:
  description: The write requests made, or in check mode the ones that would be made.
  returned: when something changed or would change
  type: list
  elements: str
  sample: ["create API token automation@pve!ansible"]
'''

# First: the module_utils imported below then load through its cache of compiled code (see its docstring).
from ansible_collections.iac.proxmox.plugins.module_utils import _bytecode  # noqa: F401 pylint: disable=unused-import
from ansible_collections.iac.proxmox.plugins.module_utils._access import converge_token
from ansible_collections.iac.proxmox.plugins.module_utils._module import PRESENT_ABSENT, PveModule


def main():
    module = PveModule(argument_spec=dict(
        user=dict(type='str', required=True, aliases=['userid']),
        tokenid=dict(type='str', required=True, aliases=['name'], no_log=False),
        privsep=dict(type='bool'),
        expire=dict(type='int'),
        comment=dict(type='str'),
        rotate=dict(type='bool', default=False),
        state=PRESENT_ABSENT,
    ))
    module.call_or_fail(converge_token)


if __name__ == '__main__':
    main()
