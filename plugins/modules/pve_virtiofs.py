#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: iac.proxmox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: pve_virtiofs
short_description: Share a directory mapping with a Proxmox VE VM over virtiofs
version_added: 0.1.0
description:
  - Adds, updates or removes a virtiofs share (C(virtiofsN), PVE 8.4 and later) of a directory mapping on a VM.
  - The share is identified by its mapping ID - a re-run finds the slot that holds it. A new share takes the
    lowest free slot unless O(slot) names one.
  - Before anything is written the mapping must exist and have an entry for the VM's node.
  - On a running VM PVE keeps the change pending until the VM restarts; RV(pending) and RV(reboot_required)
    say so.
  - Idempotent, with check mode (no write request at all) and diff mode.
author:
  - iac.proxmox maintainers (@iac-proxmox)
extends_documentation_fragment:
  - iac.proxmox.attributes
  - iac.proxmox.connection
  - iac.proxmox.vm
attributes:
  check_mode:
    description: Supported; nothing is written and RV(plan) lists what would be.
    support: full
  diff_mode:
    description: Supported.
    support: full
options:
  mapping:
    description: ID of the directory mapping to share (see M(iac.proxmox.pve_dir_mapping)).
    type: str
    required: true
  slot:
    description: V(virtiofs0)-V(virtiofs9). Default - the slot already holding this mapping, else the lowest free one.
    type: str
  cache:
    description: Caching policy of the shared file system.
    type: str
    choices: [auto, always, metadata, never]
  direct_io:
    description: Honor O_DIRECT from guest applications.
    type: bool
  expose_acl:
    description: Enable POSIX ACLs (implies extended attributes; not for Windows guests).
    type: bool
  expose_xattr:
    description: Enable extended attributes. Cannot be V(false) with O(expose_acl=true).
    type: bool
  state:
    description: V(absent) removes the share of this mapping.
    type: str
    choices: [present, absent]
    default: present
'''

EXAMPLES = r'''
- name: Share shared-data with the build VM
  iac.proxmox.pve_virtiofs:
    name: build-01
    mapping: shared-data
    cache: always
    expose_acl: true
'''

RETURN = r'''
vmid:
  description: The VM's ID.
  returned: always
  type: int
node:
  description: The VM's node.
  returned: always
  type: str
slot:
  description: The slot holding the share (null when absent).
  returned: always
  type: str
  sample: virtiofs0
device:
  description: The share's options after the run.
  returned: always
  type: dict
  sample: {dirid: shared-data, cache: always}
pending:
  description: The virtiofs slots whose change waits for a restart of the running VM.
  returned: always
  type: list
  elements: str
reboot_required:
  description: Whether the VM has changes pending until a restart.
  returned: always
  type: bool
plan:
  description: The write requests made, or in check mode the ones that would be made.
  returned: when something changed or would change
  type: list
  elements: str
'''

# First: the module_utils imported below then load through its cache of compiled code (see its docstring).
from ansible_collections.iac.proxmox.plugins.module_utils import _bytecode  # noqa: F401 pylint: disable=unused-import
from ansible_collections.iac.proxmox.plugins.module_utils._device import VM_IDENTITY_ARGSPEC
from ansible_collections.iac.proxmox.plugins.module_utils._module import PRESENT_ABSENT, PveModule
from ansible_collections.iac.proxmox.plugins.module_utils._virtiofs import converge_virtiofs


def main():
    spec = dict(VM_IDENTITY_ARGSPEC)
    spec.update(
        mapping=dict(type='str', required=True),
        slot=dict(type='str'),
        cache=dict(type='str', choices=['auto', 'always', 'metadata', 'never']),
        direct_io=dict(type='bool'),
        expose_acl=dict(type='bool'),
        expose_xattr=dict(type='bool'),
        state=PRESENT_ABSENT,
    )
    module = PveModule(argument_spec=spec, required_one_of=[('vmid', 'name')])
    module.call_or_fail(converge_virtiofs)


if __name__ == '__main__':
    main()
