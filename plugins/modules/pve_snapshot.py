#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: iac.proxmox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: pve_snapshot
short_description: Take, describe, roll back and delete snapshots of a Proxmox VE guest, keeping the newest N
version_added: 0.1.0
description:
  - Manages the snapshots of one VM or container, addressed by O(vmid) or O(name).
  - V(present) takes the snapshot O(snapname) unless it exists (an existing one only gets its O(description) set),
    V(absent) deletes it, V(rollback) rolls the guest back to it (and with O(start) starts it afterwards).
  - O(retention) keeps the newest O(retention) snapshots whose names start with O(snapname_prefix) and deletes the
    older ones in the same run, so a play can take C(pre-upgrade-<date>) and keep the last three.
  - Before a snapshot is taken, PVE's own check (the guest's C(feature) endpoint) says whether every volume can
    snapshot; a guest that cannot (raw images on dir, NFS or CIFS storages, plain LVM) is refused before any
    write with PVE's reason, C(snapshot feature is not available).
  - Every task is waited for; a failed one fails the module with the end of its log.
  - Check mode sends no write request and shows the plan; diff mode shows the snapshot list before and after.
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
    description: Shows the guest's snapshots before and after.
    support: full
notes:
  - V(rollback) is an action, not a state that can be read back - PVE cannot tell whether the disks still match
    the snapshot - so every run with O(state=rollback) rolls back and reports a change.
  - O(vmstate) only applies when the snapshot is taken, and only to a running VM; an existing snapshot is never
    compared on it.
options:
  vmid:
    description: ID of the guest. Either O(vmid) or O(name) is required.
    type: int
  name:
    description: Name of the guest, when O(vmid) is not given.
    type: str
  snapname:
    description:
      - Name of the snapshot (a letter, then letters, digits, C(_) and C(-); at most 40 characters).
      - Required unless O(state=present) with O(retention) only prunes.
    type: str
  description:
    description: Description of the snapshot; changed on an existing snapshot when it differs.
    type: str
  vmstate:
    description: Save the RAM of a running VM with the snapshot (VMs only).
    type: bool
    default: false
  state:
    description: What to do with O(snapname).
    type: str
    choices: [present, absent, rollback]
    default: present
  start:
    description:
      - With O(state=rollback), start the guest after the rollback.
      - A VM rolled back to a snapshot with RAM (O(vmstate)) runs afterwards whatever O(start) says, as PVE resumes
        it from the saved state.
    type: bool
    default: false
  retention:
    description:
      - Keep the newest O(retention) snapshots whose names start with O(snapname_prefix) (the one this run takes
        counts) and delete the older ones. Snapshots are ordered by the time PVE took them.
    type: int
  snapname_prefix:
    description: The name prefix O(retention) applies to; required with O(retention), and O(snapname) must start with it.
    type: str
  timeout:
    description: Seconds to wait for each snapshot task.
    type: int
    default: 600
'''

EXAMPLES = r'''
- name: A snapshot before the upgrade, keeping the last three
  iac.proxmox.pve_snapshot:
    name: web-01
    snapname: "pre-upgrade-{{ now(utc=true, fmt='%Y%m%d%H%M') }}"
    description: Before the nginx upgrade
    snapname_prefix: pre-upgrade-
    retention: 3

- name: Roll back and start again
  iac.proxmox.pve_snapshot:
    vmid: 101
    snapname: pre-upgrade-202611301200
    state: rollback
    start: true

- name: Delete a snapshot
  iac.proxmox.pve_snapshot:
    vmid: 101
    snapname: pre-upgrade-202611301200
    state: absent
'''

RETURN = r'''
vmid:
  description: The guest's ID.
  returned: always
  type: int
node:
  description: The guest's node.
  returned: always
  type: str
snapname:
  description: The snapshot the task was about.
  returned: always
  type: str
snapshots:
  description: The guest's snapshots after the run (in check mode, as they would be), oldest first.
  returned: always
  type: list
  elements: dict
  sample: [{name: pre-upgrade-202611301200, description: Before the nginx upgrade, snaptime: 1764504000,
            vmstate: false}]
removed:
  description: Snapshots deleted (or in check mode, that would be) by O(state=absent) or O(retention).
  returned: always
  type: list
  elements: str
plan:
  description: The write requests made, or in check mode the ones that would be made.
  returned: when something changed or would change
  type: list
  elements: str
'''

# First: the module_utils imported below then load through its cache of compiled code (see its docstring).
from ansible_collections.iac.proxmox.plugins.module_utils import _bytecode  # noqa: F401 pylint: disable=unused-import
from ansible_collections.iac.proxmox.plugins.module_utils._module import PveModule
from ansible_collections.iac.proxmox.plugins.module_utils._snapshot import converge_snapshot


def main():
    module = PveModule(argument_spec=dict(
        vmid=dict(type='int'),
        name=dict(type='str'),
        snapname=dict(type='str'),
        description=dict(type='str'),
        vmstate=dict(type='bool', default=False),
        state=dict(type='str', choices=['present', 'absent', 'rollback'], default='present'),
        start=dict(type='bool', default=False),
        retention=dict(type='int'),
        snapname_prefix=dict(type='str'),
        timeout=dict(type='int', default=600),
    ), required_one_of=[('vmid', 'name')])
    module.call_or_fail(converge_snapshot)


if __name__ == '__main__':
    main()
