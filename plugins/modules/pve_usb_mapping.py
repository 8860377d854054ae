#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: iac.proxmox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: pve_usb_mapping
short_description: Manage Proxmox VE cluster USB resource mappings
version_added: 0.1.0
description:
  - Creates, updates and removes a USB mapping under C(/cluster/mapping/usb) - one cluster-wide ID for a USB
    device, with where to find it on each node. A VM passes it through as a C(usbN) device with
    C(mapping=<id>), which needs no root@pam (only C(Mapping.Use) on the mapping).
  - A map entry names the device by its vendor and device ID (O(map[].id) - any device with that ID on the
    node), or by the port it is plugged into (O(map[].path)). With only a path, the ID is taken from the entry
    it replaces or, for a new entry, from the node's USB device list; PVE keeps it to notice a different
    device on that port.
  - Entries that are written are checked against the node's USB devices first, as PVE checks them when a VM
    starts - a path must hold a device, with the given ID if one is given; an ID alone must be a device of the
    node. The nodes must be nodes of the cluster.
  - Idempotent (map entries are compared as a set; IDs case-insensitively); a run that changes nothing sends no
    write request. Check mode (no write request at all) and diff mode.
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
    description: Supported; shows the mapping before and after.
    support: full
options:
  id:
    description: The mapping ID (letters, digits, C(_) and C(-); starts with a letter; at least two characters).
    type: str
    required: true
    aliases: [name]
  description:
    description: Description, at most 4096 characters; an empty string removes it. Left alone when not given.
    type: str
  map:
    description:
      - The device on each node; several entries for one node are alternatives.
      - Required to create a mapping; when given, it replaces the whole list (order does not matter). Left
        alone when not given.
      - Each entry needs O(map[].id) or O(map[].path), or both.
    type: list
    elements: dict
    suboptions:
      node:
        description: A cluster node.
        type: str
        required: true
      id:
        description:
          - Vendor and device ID, C(vendor:device) in hex (V(1050:0407)), as C(lsusb) or the node's USB device
            list (C(vendid) and C(prodid)) show it.
          - Alone, any device with this ID on the node is used. With O(map[].path), the device expected on that
            port. Default with a path - the ID of the device on the port.
        type: str
      path:
        description:
          - The port, C(bus-port[.port...]) (V(1-2); V(1-4.1) is port 1 of the hub on port 4 of bus 1) - the
            C(busnum) and C(usbpath) of the node's USB device list. Whatever device is plugged in there is used.
        type: str
      description:
        description: Description of this node's device (no C(,), C(;), C(=) or line breaks).
        type: str
  state:
    description: V(present) creates or updates the mapping; V(absent) removes it.
    type: str
    choices: [present, absent]
    default: present
notes:
  - Requires C(Mapping.Modify) on C(/mapping/usb) to write, and C(Sys.Modify) on C(/) to read the nodes' USB
    device lists (PVE's requirement for C(/nodes/<node>/hardware/usb)), which the module does only for entries
    it writes or must complete.
  - PVE requires the whole map list on every update, so an update of the description alone sends the stored
    list unchanged along with it.
seealso:
  - name: PVE resource mappings
    description: Resource mapping in the Proxmox VE administration guide.
    link: https://pve.proxmox.com/pve-docs/pve-admin-guide.html#resource_mapping
'''

EXAMPLES = r'''
- name: A YubiKey by its ID, wherever it is plugged in, on both nodes
  iac.proxmox.pve_usb_mapping:
    id: yubikey
    description: 2FA token for the build VM
    map:
      - node: pve1
        id: "1050:0407"
      - node: pve2
        id: "1050:0407"

- name: Whatever is plugged into port 1 of USB 3 bus 2 of pve1 (the ID is read from the node)
  iac.proxmox.pve_usb_mapping:
    id: backup-disk
    map:
      - node: pve1
        path: "2-1"

- name: Remove the mapping
  iac.proxmox.pve_usb_mapping:
    id: backup-disk
    state: absent
'''

RETURN = r'''
id:
  description: The mapping ID.
  returned: always
  type: str
  sample: yubikey
mapping:
  description: The mapping after the run (empty when absent).
  returned: always
  type: dict
  contains:
    id:
      description: The mapping ID.
      type: str
    description:
      description: The description, empty when none.
      type: str
    map:
      description: The per-node entries, sorted by node.
      type: list
      elements: dict
  sample:
    id: backup-disk
    description: ""
    map:
      - {node: pve1, path: "2-1", id: "0781:5583"}
plan:
  description: The write requests made, or in check mode the ones that would be made.
  returned: when something changed or would change
  type: list
  elements: str
  sample: ["create usb mapping backup-disk"]
'''

# First: the module_utils imported below then load through its cache of compiled code (see its docstring).
from ansible_collections.iac.proxmox.plugins.module_utils import _bytecode  # noqa: F401 pylint: disable=unused-import
from ansible_collections.iac.proxmox.plugins.module_utils._module import PRESENT_ABSENT, PveModule
from ansible_collections.iac.proxmox.plugins.module_utils._usb import converge_usb_mapping


def main():
    module = PveModule(
        argument_spec=dict(
            id=dict(type='str', required=True, aliases=['name']),
            description=dict(type='str'),
            map=dict(type='list', elements='dict', options=dict(
                node=dict(type='str', required=True),
                id=dict(type='str'),
                path=dict(type='str'),
                description=dict(type='str'),
            )),
            state=PRESENT_ABSENT,
        ),
    )
    module.call_or_fail(converge_usb_mapping)


if __name__ == '__main__':
    main()
