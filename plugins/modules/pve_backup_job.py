#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: iac.proxmox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: pve_backup_job
short_description: Manage a Proxmox VE cluster backup job (vzdump schedule)
version_added: 0.1.0
description:
  - Creates, updates or deletes a backup job of the cluster (Datacenter, Backup; C(/cluster/backup)).
  - The job is compared as PVE stores it (C(enabled) as 0/1, guest lists in any order, C(prune-backups) as an
    object), so a rerun with the same options sends nothing.
  - O(schedule) is checked before any write with PVE's rules for calendar events, and refused with PVE's words
    (C(invalid calendar event '...' - ...)).
  - The selection is one of O(vmids), O(pool), or O(all) (with O(exclude)); giving one replaces the job's
    selection, as PVE does. Options not given are left as they are.
  - Check mode sends no write request and shows the plan; diff mode shows the job before and after.
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
    description: Shows the job before and after.
    support: full
options:
  id:
    description: ID of the job (a letter, then letters, digits, C(_) and C(-); at most 50 characters).
    type: str
    required: true
  schedule:
    description:
      - When the job runs, a PVE calendar event such as V(daily), V(sat 02:00), V(mon..fri 21:30), V(*:0/30).
      - Required to create the job.
    type: str
  vmids:
    description: Back up these guests.
    type: list
    elements: int
  pool:
    description: Back up the guests of this pool (it must exist).
    type: str
  all:
    description: Back up every guest of the cluster but those in O(exclude).
    type: bool
  exclude:
    description: With O(all), the guests not to back up (none when not given).
    type: list
    elements: int
  storage:
    description: Storage the backups go to; it must take backups. An empty string removes it (PVE then uses C(local)).
    type: str
  mode:
    description: vzdump mode.
    type: str
    choices: [snapshot, suspend, stop]
  compress:
    description: Compression.
    type: str
    choices: ['0', '1', gzip, lzo, zstd]
  prune_backups:
    description:
      - Retention of this job's backups instead of the storage's, with PVE's keys C(keep-last), C(keep-hourly),
        C(keep-daily), C(keep-weekly), C(keep-monthly), C(keep-yearly) (or C(keep-all)); C(keep_last) spelling
        works too. An empty dict removes the job's own retention.
    type: dict
  notes_template:
    description:
      - Template of the backups' notes; PVE fills in C(guestname), C(vmid), C(node) and C(cluster) written in double braces.
      - One line (write a new line as C(\n)); it needs a storage, O(storage) or the job's own, which is sent along
        with it as PVE requires.
    type: str
  notification_mode:
    description: How PVE notifies about the job's result.
    type: str
    choices: [auto, legacy-sendmail, notification-system]
  comment:
    description: Description of the job; an empty string removes it.
    type: str
  enabled:
    description: Whether the job runs.
    type: bool
    default: true
  state:
    description: V(absent) deletes the job.
    type: str
    choices: [present, absent]
    default: present
'''

EXAMPLES = r'''
- name: Nightly backup of the production pool, a week of dailies and four weeklies
  iac.proxmox.pve_backup_job:
    id: nightly-prod
    schedule: "mon..sun 02:30"
    pool: prod
    storage: nfs.01
    mode: snapshot
    compress: zstd
    prune_backups:
      keep-daily: 7
      keep-weekly: 4
    notes_template: "{{ '{{guestname}}' }} nightly"
    comment: Managed by Ansible

- name: Everything but two guests, on Saturdays
  iac.proxmox.pve_backup_job:
    id: weekly-all
    schedule: sat 03:00
    all: true
    exclude: [9000, 9001]
    storage: nfs.01

- name: Remove a job
  iac.proxmox.pve_backup_job:
    id: weekly-all
    state: absent
'''

RETURN = r'''
id:
  description: The job's ID.
  returned: always
  type: str
job:
  description: The job after the run (in check mode, as it would be), with the module's option names; empty when deleted.
  returned: always
  type: dict
  sample: {id: nightly-prod, schedule: "mon..sun 02:30", pool: prod, storage: nfs.01, mode: snapshot,
           compress: zstd, prune_backups: {keep-daily: 7, keep-weekly: 4}, enabled: true}
plan:
  description: The write requests made, or in check mode the ones that would be made.
  returned: when something changed or would change
  type: list
  elements: str
'''

# First: the module_utils imported below then load through its cache of compiled code (see its docstring).
from ansible_collections.iac.proxmox.plugins.module_utils import _bytecode  # noqa: F401 pylint: disable=unused-import
from ansible_collections.iac.proxmox.plugins.module_utils._backupjob import converge_backup_job
from ansible_collections.iac.proxmox.plugins.module_utils._module import PRESENT_ABSENT, PveModule


def main():
    module = PveModule(argument_spec=dict(
        id=dict(type='str', required=True),
        schedule=dict(type='str'),
        vmids=dict(type='list', elements='int'),
        pool=dict(type='str'),
        all=dict(type='bool'),
        exclude=dict(type='list', elements='int'),
        storage=dict(type='str'),
        mode=dict(type='str', choices=['snapshot', 'suspend', 'stop']),
        compress=dict(type='str', choices=['0', '1', 'gzip', 'lzo', 'zstd']),
        prune_backups=dict(type='dict'),
        notes_template=dict(type='str'),
        notification_mode=dict(type='str', choices=['auto', 'legacy-sendmail', 'notification-system']),
        comment=dict(type='str'),
        enabled=dict(type='bool', default=True),
        state=PRESENT_ABSENT,
    ))
    module.call_or_fail(converge_backup_job)


if __name__ == '__main__':
    main()
