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

import re

from ansible_collections.iac.proxmox.plugins.module_utils._device import VM_IDENTITY_ARGSPEC, DeviceKind, DeviceRun
from ansible_collections.iac.proxmox.plugins.module_utils._diff import Field, as_bool, props_normalizer
from ansible_collections.iac.proxmox.plugins.module_utils._errors import PveApiError, PveError, ValidationError
from ansible_collections.iac.proxmox.plugins.module_utils._mapping import MappingKind, check_config_id, read_mapping
from ansible_collections.iac.proxmox.plugins.module_utils._module import PveModule
from ansible_collections.iac.proxmox.plugins.module_utils._pci import (
    check_address, device_names, node_devices, normalize_address, select)
from ansible_collections.iac.proxmox.plugins.module_utils._propstring import HOSTPCI, PCI_MAP

HEX_ID = re.compile(r'^0x[0-9a-fA-F]{4}$')
ROMFILE = re.compile(r'^[^,;/\s]+$')
PCI_MAPPINGS = MappingKind('pci', PCI_MAP)


def host_identity(value):
    items = value if isinstance(value, (list, tuple)) else str(value).split(';')
    return tuple(sorted(normalize_address(a) for a in items if a))


def identity(device):
    if device.get('mapping'):
        return ('mapping', device['mapping'])
    return ('host', host_identity(device.get('host') or ()))


KIND = DeviceKind('hostpci', 16, HOSTPCI, Field(props_normalizer(
    HOSTPCI, {'host': host_identity, 'pcie': as_bool, 'rombar': as_bool, 'x-vga': as_bool, 'legacy-igd': as_bool},
    defaults={'pcie': 0, 'rombar': 1, 'x-vga': 0, 'legacy-igd': 0})), identity=identity, label='PCI device',
    shareable=lambda device: device[0] == 'mapping')


def flag(value, default=False):
    """A boolean option as a property: its PVE default drops the key; None leaves it as it is."""
    if value is None:
        return None
    if value == default:
        return False
    return '1' if value else '0'


def is_q35(config):
    return 'q35' in str(config.get('machine', ''))


def validate(run, merged):
    """Everything PVE would refuse at the VM's start, checked before the write."""
    node = run.guest.node
    label = run.guest.label
    machine = run.effective.get('machine') or 'i440fx (the default)'
    if merged.get('romfile') and not run.client.root_login:
        raise ValidationError('romfile', merged['romfile'], 'PVE lets only root@pam logged in with a password set a '
                                                            'ROM file; API tokens (even root@pam!...) and other users '
                                                            'are refused')
    if as_bool(merged.get('pcie', 0)) and not is_q35(run.effective):
        raise ValidationError('pcie', True, 'PCI Express needs the q35 machine type; {0} has machine {1}'.format(
            label, machine))
    if as_bool(merged.get('legacy-igd', 0)):
        if is_q35(run.effective):
            raise ValidationError('legacy_igd', True, 'legacy IGD mode needs an i440fx machine; {0} has machine '
                                                      '{1}'.format(label, machine))
        if run.effective.get('vga') != 'none':
            raise ValidationError('legacy_igd', True, "legacy IGD mode needs vga: none on the VM; {0} has vga {1}"
                                  .format(label, run.effective.get('vga', 'default')))
    mdev_target = None
    if merged.get('mapping'):
        mapping = merged['mapping']
        entry, _digest = read_mapping(run.client, PCI_MAPPINGS, mapping)
        if entry is None:
            raise ValidationError('mapping', mapping, 'no PCI mapping with this ID exists; create it with '
                                                      'iac.proxmox.pve_pci_mapping first')
        entries = [PCI_MAP.parse(m) for m in entry.get('map') or []]
        nodes = sorted(set(e.get('node') for e in entries))
        if node not in nodes:
            raise ValidationError('mapping', mapping, 'the PCI mapping has no entry for node {0}, where {1} runs (it '
                                                      'maps: {2})'.format(node, label, ', '.join(nodes) or 'no node'))
        check_enough_devices(run, mapping, merged, sum(1 for e in entries if e.get('node') == node))
        mdev_target = mapping
    else:
        devices = node_devices(run.client, node)
        addresses = merged.get('host') or []
        functions = []
        for index, address in enumerate(addresses):
            found = select(devices, address)
            if not found:
                raise ValidationError('host[{0}]'.format(index), address, 'no such PCI device on node {0} (devices: {1})'
                                      .format(node, device_names(devices)))
            functions.extend(found)
        if as_bool(merged.get('legacy-igd', 0)) and not re.search(r'02\.0$', addresses[0]):
            raise ValidationError('legacy_igd', True, 'legacy IGD mode only works for the device at 00:02.0')
        if merged.get('mdev') and len(functions) > 1:
            raise ValidationError('mdev', merged['mdev'], 'a mediated device needs a single function, but {0} has '
                                                          '{1}'.format(';'.join(addresses), len(functions)))
        if functions:
            mdev_target = functions[0]['id']
    if merged.get('mdev'):
        types = [t.get('type') for t in run.client.get('/nodes/{0}/hardware/pci/{1}/mdev'.format(node, mdev_target))
                 or []]
        if merged['mdev'] not in types:
            why = 'is not a mediated device type {0} offers on node {1} (types: {2})'.format(
                mdev_target, node, ', '.join(types) or 'none')
            raise ValidationError('mdev', merged['mdev'], why)


def check_enough_devices(run, mapping, merged, devices):
    """Every slot on a mapping takes a device of its own when the VM starts: PVE gives each hostpciN, in slot order,
    the first of the mapping's devices on the node that no earlier slot took, and the start fails with `could
    not find a free device for 'hostpciN'` (one device: `assigned more than once`) when none is left
    (qemu-server PCI.pm choose_hostpci_devices). A config write does not count them, so it is checked here.
    Mediated devices (mdev) are shared and not counted."""
    if merged.get('mdev'):
        return
    slots = [s for s in run.holding_all(('mapping', mapping)) if s != run.slot
             and not KIND.fmt.parse(run.effective[s]).get('mdev')] + [run.slot]
    if len(slots) > devices:
        raise ValidationError('slot', run.slot, 'the PCI mapping {0} has {1} device{2} on node {3} and would back {4} '
                                                'slots of {5} ({6}); each slot takes a device of its own when the VM '
                                                'starts, so PVE could not start it. Add entries for node {3} to the '
                                                'mapping first'.format(mapping, devices, '' if devices == 1 else 's',
                                                                       run.guest.node, len(slots), run.guest.label,
                                                                       ', '.join(sorted(slots, key=lambda s: int(s[7:])))))


def explain(exc):
    """PVE lets only root@pam (with a password) set raw host addresses."""
    if isinstance(exc, PveApiError) and 'only root can set' in (exc.message or ''):
        raise PveError('{0} PVE allows raw host PCI addresses only for root@pam logged in with a password; API tokens '
                       '(even root@pam!...) and other users are refused. Use a cluster PCI mapping instead: create it '
                       'with iac.proxmox.pve_pci_mapping (a user with Mapping.Modify can) and pass mapping: <id> '
                       'here; the user then needs Mapping.Use on /mapping/pci/<id>.'.format(exc))


def run(module):
    p = module.params
    options = {'pcie': flag(p['pcie']), 'rombar': flag(p['rombar'], default=True), 'x-vga': flag(p['x_vga']),
               'legacy-igd': flag(p['legacy_igd']), 'romfile': p['romfile'], 'mdev': p['mdev']}
    for name in ('vendor_id', 'device_id', 'sub_vendor_id', 'sub_device_id'):
        if p[name] is not None and not HEX_ID.match(p[name]):
            raise ValidationError(name, p[name], 'must be 0x followed by four hex digits, such as 0x10de')
        options[name.replace('_', '-')] = p[name]
    if p['romfile'] is not None and not ROMFILE.match(p['romfile']):
        raise ValidationError('romfile', p['romfile'], 'must be a file name in /usr/share/kvm/ (no path, comma or ";")')
    if p['mdev'] is not None and not re.match(r'^[^/.:,;=\s]+$', p['mdev']):
        raise ValidationError('mdev', p['mdev'], 'is not a mediated device type name')
    if p['mapping'] is not None:
        check_config_id('mapping', p['mapping'])
        options['mapping'] = p['mapping']
        device = ('mapping', p['mapping'])
    else:
        if not p['host']:
            raise ValidationError('host', p['host'], 'give at least one PCI address')
        addresses = [check_address('host[{0}]'.format(i), a) for i, a in enumerate(p['host'])]
        options['host'] = addresses
        device = ('host', host_identity(addresses))
    DeviceRun(module, KIND).converge(device, options, p['state'], slot=p['slot'], validate=validate, explain=explain)


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
        state=dict(type='str', choices=['present', 'absent'], default='present'),
    )
    module = PveModule(argument_spec=spec, required_one_of=[('vmid', 'name'), ('host', 'mapping')],
                       mutually_exclusive=[('host', 'mapping')])
    module.run(run)


if __name__ == '__main__':
    main()
