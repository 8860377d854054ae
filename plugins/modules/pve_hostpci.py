#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: iac.proxmox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: pve_hostpci
short_description: Pass a PCI device through to a Proxmox VE VM, by host address or cluster mapping
version_added: 0.1.0
description:
  - Adds, updates or removes a C(hostpciN) device of a VM.
  - The device is given either by O(host) - one address or a list; an address without a function, such as
    V(0000:01:00), passes all functions of a multi-function device ("All Functions") - or by O(mapping), a
    cluster PCI mapping (see M(iac.proxmox.pve_pci_mapping)).
  - Without O(slot), the device is identified by what it is; a re-run finds the slot that holds it, and a new
    device takes the lowest free slot.
  - With O(slot), the slot is the key. One cluster mapping may back several slots - four identical GPUs as one
    mapping C(gpu) with four entries on the node, used by C(hostpci0)-C(hostpci3), one task per slot. PVE gives
    each slot a device of its own when the VM starts, so a mapping is refused for more slots than it has devices
    on the VM's node (mediated devices share one and are not counted). A raw host address fits one slot only.
  - Before anything is written - the device exists on the VM's node (or the mapping has an entry for it), an
    O(mdev) type is one the device offers, O(pcie) has a q35 machine, O(legacy_igd) has an i440fx machine and
    C(vga=none), hex IDs are C(0x) plus four digits.
  - PVE lets only C(root@pam), logged in with a password, set raw host addresses; API tokens (even root's) and
    other users must use a mapping. That refusal is explained in the failure message.
  - On a running VM the change stays pending until a restart (RV(pending), RV(reboot_required)).
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
  host:
    description:
      - Host PCI address(es) C([domain:]bus:dev[.func]) in hex. Without C(.func), all functions pass.
      - Exactly one of O(host) and O(mapping) is required.
    type: list
    elements: str
  mapping:
    description: ID of a cluster PCI mapping. The way for API tokens and users other than root@pam.
    type: str
  slot:
    description:
      - V(hostpci0)-V(hostpci15). Default - the slot already holding this device, else the lowest free one.
      - With O(state=absent), only this slot is removed (if it holds the device); without it, every slot holding
        the device.
    type: str
  pcie:
    description: Use PCI Express (needs a q35 machine type).
    type: bool
  rombar:
    description: Make the device's ROM visible in the guest's memory map (PVE's default is V(true)).
    type: bool
  romfile:
    description:
      - Custom ROM file name in C(/usr/share/kvm/).
      - PVE lets only C(root@pam) logged in with a password set it, with a mapping too; with an API token it is
        refused before anything is written.
    type: str
  x_vga:
    description: Mark the device as the VM's primary GPU.
    type: bool
  legacy_igd:
    description: Pass an Intel iGPU in legacy IGD mode (needs an i440fx machine and C(vga=none); device 00:02.0).
    type: bool
  mdev:
    description: Mediated device type to create from the device (one the device offers).
    type: str
  vendor_id:
    description: PCI vendor ID the guest sees, C(0x) plus four hex digits.
    type: str
  device_id:
    description: PCI device ID the guest sees.
    type: str
  sub_vendor_id:
    description: PCI subsystem vendor ID the guest sees.
    type: str
  sub_device_id:
    description: PCI subsystem device ID the guest sees.
    type: str
  state:
    description: V(absent) removes this device from the VM.
    type: str
    choices: [present, absent]
    default: present
'''

EXAMPLES = r'''
- name: The whole GPU (all functions) as the primary display of a q35 VM
  iac.proxmox.pve_hostpci:
    name: gaming-01
    host: "0000:01:00"
    pcie: true
    x_vga: true

- name: The same through a cluster mapping (works with API tokens)
  iac.proxmox.pve_hostpci:
    name: gaming-01
    mapping: gpu
    pcie: true
    x_vga: true

- name: A vGPU from the iGPU
  iac.proxmox.pve_hostpci:
    name: desktop-01
    host: "0000:00:02.0"
    mdev: i915-GVTg_V5_4
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
  description: The slot holding the device (null when absent).
  returned: always
  type: str
  sample: hostpci0
device:
  description: The device's options after the run.
  returned: always
  type: dict
  sample: {host: ["0000:01:00"], pcie: "1", x_vga: "1"}
pending:
  description: The hostpci slots whose change waits for a restart of the running VM.
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
from ansible_collections.iac.proxmox.plugins.module_utils._hostpci import converge_hostpci
from ansible_collections.iac.proxmox.plugins.module_utils._module import PRESENT_ABSENT, PveModule


def main():
    spec = dict(VM_IDENTITY_ARGSPEC)
    spec.update(
        host=dict(type='list', elements='str'),
        mapping=dict(type='str'),
        slot=dict(type='str'),
        pcie=dict(type='bool'),
        rombar=dict(type='bool'),
        romfile=dict(type='str'),
        x_vga=dict(type='bool'),
        legacy_igd=dict(type='bool'),
        mdev=dict(type='str'),
        vendor_id=dict(type='str'),
        device_id=dict(type='str'),
        sub_vendor_id=dict(type='str'),
        sub_device_id=dict(type='str'),
        state=PRESENT_ABSENT,
    )
    module = PveModule(argument_spec=spec, required_one_of=[('vmid', 'name'), ('host', 'mapping')],
                       mutually_exclusive=[('host', 'mapping')])
    module.call_or_fail(converge_hostpci)


if __name__ == '__main__':
    main()
