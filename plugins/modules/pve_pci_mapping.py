#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: iac.proxmox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: pve_pci_mapping
short_description: Manage Proxmox VE cluster PCI resource mappings
version_added: 0.1.0
description:
  - Creates, updates and removes a PCI mapping under C(/cluster/mapping/pci) - one cluster-wide ID for a PCI
    device, with its address on each node. VMs pass it through with M(iac.proxmox.pve_hostpci) and
    O(iac.proxmox.pve_hostpci#module:mapping), which needs no root@pam (only C(Mapping.Use) on the mapping).
  - A map entry left without C(id), C(subsystem_id) or C(iommugroup) gets them from the entry it replaces, or
    for a new entry from the node's hardware list. PVE compares these with the hardware when a VM starts, to
    notice a device that changed.
  - Entries that are written are checked against the node's hardware first - the device must exist, and a
    given C(id) must be the device's.
  - Idempotent (map entries are compared as a set); check mode (no write request at all) and diff mode.
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
    description: Supported.
    support: full
options:
  id:
    description: The mapping ID (letters, digits, C(_) and C(-); starts with a letter).
    type: str
    required: true
    aliases: [name]
  description:
    description: Description; an empty string removes it. Left alone when not given.
    type: str
  mdev:
    description:
      - The device(s) can provide mediated devices.
      - PVE checks at every VM start that this matches what the devices can do, so a value that does not is
        refused before any write (an mdev-capable device, such as an Intel iGPU with GVT-g, needs V(true)).
    type: bool
  live_migration_capable:
    description: The device(s) support live migration.
    type: bool
  map:
    description:
      - The device on each node; several entries per node are alternatives (the first free one is used).
      - Required to create a mapping; when given, it replaces the whole list. Left alone when not given.
    type: list
    elements: dict
    suboptions:
      node:
        description: A cluster node.
        type: str
        required: true
      path:
        description:
          - PCI address(es) on that node; without a function all functions of the device are mapped; several
            joined by C(;).
          - Every address must be a device of the node with the entry's O(map[].id) and O(map[].subsystem_id), as
            PVE checks at every VM start.
        type: str
        required: true
      id:
        description: Vendor and device ID, C(vendor:device) in hex (V(10de:2204)). Default - from the hardware.
        type: str
      subsystem_id:
        description: Subsystem vendor and device ID. Default - from the hardware.
        type: str
      iommugroup:
        description: IOMMU group of the device. Default - from the hardware.
        type: int
      description:
        description: Description of this node's device.
        type: str
  state:
    description: V(absent) removes the mapping.
    type: str
    choices: [present, absent]
    default: present
notes:
  - Requires C(Mapping.Modify) on C(/mapping/pci) to write and C(Sys.Audit) on C(/) to read node hardware.
'''

EXAMPLES = r'''
- name: The lab GPU, all functions, as mapping "gpu"
  iac.proxmox.pve_pci_mapping:
    id: gpu
    description: RTX 3090
    map:
      - node: pve1
        path: "0000:01:00"
'''

RETURN = r'''
id:
  description: The mapping ID.
  returned: always
  type: str
mapping:
  description: The mapping after the run (empty when absent).
  returned: always
  type: dict
  sample:
    id: gpu
    description: RTX 3090
    map:
      - {node: pve1, path: "0000:01:00", id: "10de:2204", subsystem_id: "1043:87b3", iommugroup: "14"}
plan:
  description: The write requests made, or in check mode the ones that would be made.
  returned: when something changed or would change
  type: list
  elements: str
'''

# First: the module_utils imported below then load through its cache of compiled code (see its docstring).
from ansible_collections.iac.proxmox.plugins.module_utils import _bytecode  # noqa: F401 pylint: disable=unused-import
from ansible_collections.iac.proxmox.plugins.module_utils._module import PRESENT_ABSENT, PveModule
from ansible_collections.iac.proxmox.plugins.module_utils._pci_mapping import converge_pci_mapping


def main():
    module = PveModule(
        argument_spec=dict(
            id=dict(type='str', required=True, aliases=['name']),
            description=dict(type='str'),
            mdev=dict(type='bool'),
            live_migration_capable=dict(type='bool'),
            map=dict(type='list', elements='dict', options=dict(
                node=dict(type='str', required=True),
                path=dict(type='str', required=True),
                id=dict(type='str'),
                subsystem_id=dict(type='str'),
                iommugroup=dict(type='int'),
                description=dict(type='str'),
            )),
            state=PRESENT_ABSENT,
        ),
    )
    module.call_or_fail(converge_pci_mapping)


if __name__ == '__main__':
    main()
