#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: iac.proxmox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: pve_pool
short_description: Manage a Proxmox VE resource pool, its comment and its members
version_added: 0.1.0
description:
  - Creates, updates or deletes a resource pool (C(/pools), PVE 8 and later), including nested pools
    (C(parent/child); the parent must exist).
  - O(members) lists guests (C(vmid) or C(name)) and storages (C(storage)). With O(members_mode=add) the listed members are
    added and others are left alone; with O(members_mode=exact) members not listed are removed. An entry with
    C(state=absent) is removed in either mode.
  - A guest is in at most one pool; one that is in another pool is moved only with O(allow_move), otherwise the
    module fails before any write with PVE's words.
  - Guests and storages are checked to exist before any write (PVE itself does not check).
  - Check mode sends no write request and shows the plan; diff mode shows the pool before and after.
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
    description: Shows the pool's comment and members before and after.
    support: full
options:
  poolid:
    description: ID of the pool; C(parent/child) for a nested pool (up to three levels).
    type: str
    required: true
  comment:
    description:
      - Comment of the pool; left alone when not given.
      - PVE cannot empty it through its API (it reads an empty value as not given), so an empty string for a pool
        with a comment fails before any write.
    type: str
  members:
    description: Guests and storages of the pool.
    type: list
    elements: dict
    suboptions:
      vmid:
        description: A guest's ID.
        type: int
      name:
        description: A guest's name, instead of O(members[].vmid); it must be unique in the cluster.
        type: str
      storage:
        description: A storage ID.
        type: str
      state:
        description: V(absent) removes the member.
        type: str
        choices: [present, absent]
        default: present
  members_mode:
    description: V(add) leaves members not in O(members) alone; V(exact) removes them.
    type: str
    choices: [add, exact]
    default: add
  allow_move:
    description: Move a listed guest that is in another pool into this one.
    type: bool
    default: false
  state:
    description: V(absent) deletes the pool, which must be empty (PVE refuses otherwise).
    type: str
    choices: [present, absent]
    default: present
'''

EXAMPLES = r'''
- name: The tenant's pool with its guests and storage, others left alone
  iac.proxmox.pve_pool:
    poolid: tenant-a
    comment: Tenant A
    members:
      - vmid: 101
      - name: web-02
      - storage: nfs.01

- name: A nested pool holding exactly these guests
  iac.proxmox.pve_pool:
    poolid: tenant-a/web
    members:
      - vmid: 101
    members_mode: exact
    allow_move: true

- name: Delete the (empty) pool
  iac.proxmox.pve_pool:
    poolid: tenant-a/web
    state: absent
'''

RETURN = r'''
poolid:
  description: The pool's ID.
  returned: always
  type: str
pool:
  description: The pool after the run (in check mode, as it would be); empty when deleted.
  returned: always
  type: dict
  sample: {poolid: tenant-a, comment: Tenant A, members: [{vmid: 101}, {storage: nfs.01}]}
plan:
  description: The write requests made, or in check mode the ones that would be made.
  returned: when something changed or would change
  type: list
  elements: str
'''

# First: the module_utils imported below then load through its cache of compiled code (see its docstring).
from ansible_collections.iac.proxmox.plugins.module_utils import _bytecode  # noqa: F401 pylint: disable=unused-import
from ansible_collections.iac.proxmox.plugins.module_utils._module import PRESENT_ABSENT, PveModule
from ansible_collections.iac.proxmox.plugins.module_utils._pool import converge_pool


def main():
    module = PveModule(argument_spec=dict(
        poolid=dict(type='str', required=True),
        comment=dict(type='str'),
        members=dict(type='list', elements='dict', options=dict(
            vmid=dict(type='int'),
            name=dict(type='str'),
            storage=dict(type='str'),
            state=PRESENT_ABSENT,
        )),
        members_mode=dict(type='str', choices=['add', 'exact'], default='add'),
        allow_move=dict(type='bool', default=False),
        state=PRESENT_ABSENT,
    ))
    module.call_or_fail(converge_pool)


if __name__ == '__main__':
    main()
