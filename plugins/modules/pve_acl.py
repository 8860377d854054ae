#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: iac.proxmox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: pve_acl
short_description: Manage Proxmox VE access control list entries
version_added: 0.1.0
description:
  - Grants roles to users, groups and API tokens on an ACL path (C(/access/acl)), or takes them away.
  - An entry is one path, one user, group or token, and one role. With V(present), every combination of
    O(roles) and the members given exists with O(propagate); other entries on the path are left alone.
    With V(absent), those combinations are removed.
  - The path is checked before anything is written (no C(.) or C(..) segments; PVE takes ACL paths
    literally), and so are the roles, users, groups and tokens when something is to be written.
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
    description: Supported; shows the entries of the members and roles given, before and after.
    support: full
options:
  path:
    description:
      - The ACL path, for example V(/), V(/vms/100), V(/pool/team), V(/mapping/dir/data),
        V(/sdn/zones/localnetwork). PVE's form is used (a trailing C(/) or a double C(//) is dropped).
    type: str
    required: true
  roles:
    description: The roles to grant or take away.
    type: list
    elements: str
    required: true
  users:
    description: User IDs (V(automation@pve)).
    type: list
    elements: str
  groups:
    description: Group names.
    type: list
    elements: str
  tokens:
    description: Full API token IDs (V(automation@pve!ansible)).
    type: list
    elements: str
  propagate:
    description:
      - Whether the entries also apply below the path. An existing entry with the other value is changed.
    type: bool
    default: true
  state:
    description:
      - V(present) makes sure the entries exist; V(absent) removes them.
    type: str
    choices: [present, absent]
    default: present
notes:
  - Requires C(Permissions.Modify) on the path (or on a parent, propagated).
seealso:
  - module: iac.proxmox.pve_role
  - module: iac.proxmox.pve_user
  - module: iac.proxmox.pve_token
'''

EXAMPLES = r'''
- name: The automation user may do what IacProxmox allows, everywhere
  iac.proxmox.pve_acl:
    path: /
    roles: [IacProxmox]
    users: [automation@pve]

- name: A team may manage the guests of its pool
  iac.proxmox.pve_acl:
    path: /pool/team-a
    roles: [PVEVMAdmin]
    groups: [team-a]

- name: A privilege-separated token reads everything
  iac.proxmox.pve_acl:
    path: /
    roles: [PVEAuditor]
    tokens: [monitoring@pve!grafana]

- name: Take the pool away again
  iac.proxmox.pve_acl:
    path: /pool/team-a
    roles: [PVEVMAdmin]
    groups: [team-a]
    state: absent
'''

RETURN = r'''
path:
  description: The ACL path as PVE stores it.
  returned: always
  type: str
  sample: /pool/team-a
acl:
  description: The entries of the members and roles given, after the run.
  returned: always
  type: list
  elements: dict
  sample: [{type: group, ugid: team-a, roleid: PVEVMAdmin, propagate: true}]
plan:
  description: The write requests made, or in check mode the ones that would be made.
  returned: when something changed or would change
  type: list
  elements: str
  sample: ["set ACL entries on /pool/team-a: team-a PVEVMAdmin"]
'''

# First: the module_utils imported below then load through its cache of compiled code (see its docstring).
from ansible_collections.iac.proxmox.plugins.module_utils import _bytecode  # noqa: F401 pylint: disable=unused-import
from ansible_collections.iac.proxmox.plugins.module_utils._access import converge_acl
from ansible_collections.iac.proxmox.plugins.module_utils._module import PRESENT_ABSENT, PveModule


def main():
    module = PveModule(argument_spec=dict(
        path=dict(type='str', required=True),
        roles=dict(type='list', elements='str', required=True),
        users=dict(type='list', elements='str'),
        groups=dict(type='list', elements='str'),
        tokens=dict(type='list', elements='str', no_log=False),
        propagate=dict(type='bool', default=True),
        state=PRESENT_ABSENT,
    ), required_one_of=[('users', 'groups', 'tokens')])
    module.call_or_fail(converge_acl)


if __name__ == '__main__':
    main()
