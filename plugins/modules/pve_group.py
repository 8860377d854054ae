#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: iac.proxmox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: pve_group
short_description: Manage Proxmox VE groups
version_added: 0.1.0
description:
  - Creates, updates and removes a PVE user group (C(/access/groups)).
  - Members are set on the user (O(iac.proxmox.pve_user#module:groups)), as PVE does.
  - Idempotent; a run that changes nothing sends no write request. Supports check mode (no write request
    at all) and diff mode.
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
    description: Supported; shows the group before and after.
    support: full
options:
  groupid:
    description:
      - The group name. Letters, digits, C(.), C(-) and C(_).
    type: str
    required: true
    aliases: [name]
  comment:
    description:
      - Free-text comment. Left alone when not given. PVE cannot empty it through its API (it reads an empty
        value as not given), so an empty string for a group with a comment fails before any write.
    type: str
  state:
    description:
      - V(present) creates or updates the group; V(absent) removes it (PVE removes its ACL entries and
        its members leave it).
    type: str
    choices: [present, absent]
    default: present
notes:
  - Requires C(Group.Allocate) on C(/access/groups).
seealso:
  - module: iac.proxmox.pve_user
  - module: iac.proxmox.pve_acl
'''

EXAMPLES = r'''
- name: A group for the operators
  iac.proxmox.pve_group:
    groupid: operators
    comment: Platform operators

- name: Remove it
  iac.proxmox.pve_group:
    groupid: operators
    state: absent
'''

RETURN = r'''
groupid:
  description: The group name.
  returned: always
  type: str
  sample: operators
group:
  description: The group after the run (empty when absent).
  returned: always
  type: dict
  sample: {groupid: operators, comment: Platform operators, members: [alice@pve]}
plan:
  description: The write requests made, or in check mode the ones that would be made.
  returned: when something changed or would change
  type: list
  elements: str
  sample: ["create group operators"]
'''

# First: the module_utils imported below then load through its cache of compiled code (see its docstring).
from ansible_collections.iac.proxmox.plugins.module_utils import _bytecode  # noqa: F401 pylint: disable=unused-import
from ansible_collections.iac.proxmox.plugins.module_utils._access import converge_group
from ansible_collections.iac.proxmox.plugins.module_utils._module import PRESENT_ABSENT, PveModule


def main():
    module = PveModule(argument_spec=dict(
        groupid=dict(type='str', required=True, aliases=['name']),
        comment=dict(type='str'),
        state=PRESENT_ABSENT,
    ))
    module.call_or_fail(converge_group)


if __name__ == '__main__':
    main()
