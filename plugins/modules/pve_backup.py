#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: iac.proxmox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: pve_backup
short_description: Make sure a Proxmox VE guest has a recent vzdump backup
version_added: 0.1.0
description:
  - Backs up a VM or container with vzdump to a storage and waits for the task, unless a backup of the guest
    on that storage is younger than O(max_age) - so a second run within O(max_age) changes nothing.
  - A failed backup fails the task with the end of the vzdump log.
  - Check mode sends no write request and shows the plan.
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
    description: Not applicable.
    support: none
options:
  vmid:
    description: ID of the guest. Either O(vmid) or O(name) is required.
    type: int
  name:
    description: Name of the guest, when O(vmid) is not given.
    type: str
  storage:
    description: Storage to write the backup to; it must take backups.
    type: str
    required: true
  mode:
    description: vzdump mode.
    type: str
    choices: [snapshot, suspend, stop]
    default: snapshot
  compress:
    description: Compression.
    type: str
    choices: ['0', gzip, lzo, zstd]
    default: zstd
  max_age:
    description: Seconds a backup counts as recent; V(0) backs up on every run.
    type: int
    default: 86400
  timeout:
    description: Seconds to wait for the backup task.
    type: int
    default: 3600
'''

EXAMPLES = r'''
- name: A backup of web-01 from today
  iac.proxmox.pve_backup:
    name: web-01
    storage: nfs.01
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
backup:
  description: The newest backup's volume ID (null in check mode when one would be made).
  returned: always
  type: str
  sample: nfs.01:backup/vzdump-qemu-101-2026_11_21-12_00_00.vma.zst
plan:
  description: The write requests made, or in check mode the ones that would be made.
  returned: when something changed or would change
  type: list
  elements: str
'''

# First: the module_utils imported below then load through its cache of compiled code (see its docstring).
from ansible_collections.iac.proxmox.plugins.module_utils import _bytecode  # noqa: F401 pylint: disable=unused-import
from ansible_collections.iac.proxmox.plugins.module_utils._backup import backup_guest
from ansible_collections.iac.proxmox.plugins.module_utils._module import PveModule


def main():
    module = PveModule(argument_spec=dict(
        vmid=dict(type='int'),
        name=dict(type='str'),
        storage=dict(type='str', required=True),
        mode=dict(type='str', choices=['snapshot', 'suspend', 'stop'], default='snapshot'),
        compress=dict(type='str', choices=['0', 'gzip', 'lzo', 'zstd'], default='zstd'),
        max_age=dict(type='int', default=86400),
        timeout=dict(type='int', default=3600),
    ), required_one_of=[('vmid', 'name')])
    module.call_or_fail(backup_guest)


if __name__ == '__main__':
    main()
