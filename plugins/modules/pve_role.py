#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: iac.proxmox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: pve_role
short_description: Manage Proxmox VE roles (sets of privileges)
version_added: 0.1.0
description:
  - Creates, updates and removes a PVE role (C(/access/roles)).
  - O(privileges) is compared as a set; order and duplicates do not matter.
  - Every privilege is checked against the ones the cluster knows (the built-in C(Administrator) role holds
    all of them) before anything is written. PVE 9 and PVE 8.4 differ, for example PVE 9 replaced C(VM.Monitor)
    with the C(VM.GuestAgent.*) privileges and added C(VM.Replicate).
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
    description: Supported; shows the role's privileges before and after.
    support: full
options:
  roleid:
    description:
      - The role name. Letters, digits, C(.), C(-) and C(_); it must not start with C(PVE) (PVE's own
        roles use that prefix).
    type: str
    required: true
    aliases: [name]
  privileges:
    description:
      - The role's privileges, exactly (privileges not listed are removed). Left alone when not given.
      - A privilege the cluster does not know fails before any write, with the cluster's list.
    type: list
    elements: str
    aliases: [privs]
  state:
    description:
      - V(present) creates or updates the role; V(absent) removes it (PVE drops the ACL entries that
        use it). PVE's built-in roles can be neither changed nor removed.
    type: str
    choices: [present, absent]
    default: present
notes:
  - Requires C(Sys.Modify) on C(/access).
seealso:
  - module: iac.proxmox.pve_acl
  - name: PVE user management, privileges
    description: The privileges and built-in roles of Proxmox VE.
    link: https://pve.proxmox.com/pve-docs/pve-admin-guide.html#pveum_permission_management
'''

EXAMPLES = r'''
- name: A read-only role for monitoring
  iac.proxmox.pve_role:
    roleid: Monitoring
    privileges: [VM.Audit, Sys.Audit, Datastore.Audit]

- name: Remove it
  iac.proxmox.pve_role:
    roleid: Monitoring
    state: absent
'''

RETURN = r'''
roleid:
  description: The role name.
  returned: always
  type: str
  sample: Monitoring
role:
  description: The role after the run (empty when absent).
  returned: always
  type: dict
  sample: {roleid: Monitoring, privileges: [Datastore.Audit, Sys.Audit, VM.Audit], special: false}
plan:
  description: The write requests made, or in check mode the ones that would be made.
  returned: when something changed or would change
  type: list
  elements: str
  sample: ["update role Monitoring: privileges"]
'''

# First: the module_utils imported below then load through its cache of compiled code (see its docstring).
from ansible_collections.iac.proxmox.plugins.module_utils import _bytecode  # noqa: F401 pylint: disable=unused-import
from ansible_collections.iac.proxmox.plugins.module_utils._access import converge_role
from ansible_collections.iac.proxmox.plugins.module_utils._module import PRESENT_ABSENT, PveModule


def main():
    module = PveModule(argument_spec=dict(
        roleid=dict(type='str', required=True, aliases=['name']),
        privileges=dict(type='list', elements='str', aliases=['privs']),
        state=PRESENT_ABSENT,
    ))
    module.call_or_fail(converge_role)


if __name__ == '__main__':
    main()
