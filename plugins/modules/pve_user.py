#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: iac.proxmox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: pve_user
short_description: Manage Proxmox VE users
version_added: 0.1.0
description:
  - Creates, updates and removes a PVE user (C(/access/users)) and sets its group memberships.
  - Options not given are left alone. PVE cannot empty a text option of an existing user through its API
    (it reads an empty value as not given), so an empty string for one that is set fails before any write.
  - Idempotent; a run that changes nothing sends no write request. Supports check mode (no write request
    at all) and diff mode (the password is never shown).
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
    description: Supported; shows the user before and after, the password masked.
    support: full
options:
  userid:
    description:
      - The user ID with its realm, for example V(automation@pve) or V(alice@pam).
    type: str
    required: true
    aliases: [name]
  comment:
    description: Free-text comment.
    type: str
  email:
    description: E-mail address.
    type: str
  firstname:
    description: First name.
    type: str
  lastname:
    description: Last name.
    type: str
  enable:
    description:
      - Whether the user may log in (and its API tokens work). PVE's default for a new user is V(true).
    type: bool
  expire:
    description:
      - Account expiry as a Unix time (seconds); V(0) means never.
    type: int
  groups:
    description:
      - The user's groups, exactly (the user leaves groups not listed; V([]) leaves all). Each must exist
        (M(iac.proxmox.pve_group)); this is checked before any write. Left alone when not given.
    type: list
    elements: str
  password:
    description:
      - Password, only for users of the C(pve) realm (PVE keeps the passwords of other realms elsewhere,
        in PAM, LDAP, ...). 8 to 64 characters.
      - Set when the user is created; on an existing user only with O(update_password=always), since PVE
        cannot tell whether it is already set.
    type: str
  update_password:
    description:
      - V(on_create) sets O(password) only when the user is created; V(always) sets it on every run (and
        reports a change).
      - Setting the password of an existing user needs a ticket login (O(api_password)), as PVE does not let
        API tokens change passwords; a login other than C(root@pam) confirms the change with its own O(api_password),
        as PVE requires.
    type: str
    choices: [always, on_create]
    default: on_create
  state:
    description:
      - V(present) creates or updates the user; V(absent) removes it with its API tokens, its ACL entries
        and its group memberships, as PVE does.
    type: str
    choices: [present, absent]
    default: present
notes:
  - Requires C(Realm.AllocateUser) on C(/access/realm/<realm>) and C(User.Modify) on C(/access/groups) (or on
    each group given).
seealso:
  - module: iac.proxmox.pve_group
  - module: iac.proxmox.pve_token
  - module: iac.proxmox.pve_acl
'''

EXAMPLES = r'''
- name: The automation user
  iac.proxmox.pve_user:
    userid: automation@pve
    comment: iac.proxmox automation
    groups: [automation]

- name: A person with a password (set once, when created)
  iac.proxmox.pve_user:
    userid: alice@pve
    firstname: Alice
    email: alice@example.com
    password: "{{ vault_alice_initial_password }}"

- name: Disable a user
  iac.proxmox.pve_user:
    userid: alice@pve
    enable: false

- name: Remove a user
  iac.proxmox.pve_user:
    userid: alice@pve
    state: absent
'''

RETURN = r'''
userid:
  description: The user ID.
  returned: always
  type: str
  sample: automation@pve
user:
  description: The user after the run (empty when absent).
  returned: always
  type: dict
  sample:
    userid: automation@pve
    enable: true
    expire: 0
    groups: [automation]
    comment: iac.proxmox automation
    email: ''
    firstname: ''
    lastname: ''
plan:
  description: The write requests made, or in check mode the ones that would be made.
  returned: when something changed or would change
  type: list
  elements: str
  sample: ["create user automation@pve"]
'''

# First: the module_utils imported below then load through its cache of compiled code (see its docstring).
from ansible_collections.iac.proxmox.plugins.module_utils import _bytecode  # noqa: F401 pylint: disable=unused-import
from ansible_collections.iac.proxmox.plugins.module_utils._access import converge_user
from ansible_collections.iac.proxmox.plugins.module_utils._module import PRESENT_ABSENT, PveModule


def main():
    module = PveModule(argument_spec=dict(
        userid=dict(type='str', required=True, aliases=['name']),
        comment=dict(type='str'),
        email=dict(type='str'),
        firstname=dict(type='str'),
        lastname=dict(type='str'),
        enable=dict(type='bool'),
        expire=dict(type='int'),
        groups=dict(type='list', elements='str'),
        password=dict(type='str', no_log=True),
        update_password=dict(type='str', default='on_create', choices=['always', 'on_create'], no_log=False),
        state=PRESENT_ABSENT,
    ))
    module.call_or_fail(converge_user)


if __name__ == '__main__':
    main()
