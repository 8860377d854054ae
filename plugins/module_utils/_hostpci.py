# -*- coding: utf-8 -*-
# Copyright: iac.proxmox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One PCI device passed through to a VM (pve_hostpci): its options, its identity (a mapping ID or a set of
host addresses), and the checks against the VM and the node that PVE would otherwise make only at the VM's
start. Private to the collection.
"""

from __future__ import annotations

import re

from ._device import DeviceKind, DeviceRun
from ._diff import Field, as_bool, props_normalizer
from ._errors import PveApiError, PveError, ValidationError
from ._mapping import MappingKind, check_config_id, check_on_node, read_mapping
from ._pci import check_address, device_names, node_devices, normalize_address, select
from ._propstring import HOSTPCI, PCI_MAP
from ._regex import regex

HEX_ID = regex(r'^0x[0-9a-fA-F]{4}$')
ROMFILE = regex(r'^[^,;/\s]+$')
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


def validate(job, merged):
    """Everything PVE would refuse at the VM's start, checked before the write."""
    node = job.guest.node
    label = job.guest.label
    machine = job.effective.get('machine') or 'i440fx (the default)'
    if merged.get('romfile') and not job.client.root_login:
        raise ValidationError('romfile', merged['romfile'], 'PVE lets only root@pam logged in with a password set a '
                                                            'ROM file; API tokens (even root@pam!...) and other users '
                                                            'are refused')
    if as_bool(merged.get('pcie', 0)) and not is_q35(job.effective):
        raise ValidationError('pcie', True, 'PCI Express needs the q35 machine type; {0} has machine {1}'.format(
            label, machine))
    if as_bool(merged.get('legacy-igd', 0)):
        if is_q35(job.effective):
            raise ValidationError('legacy_igd', True, 'legacy IGD mode needs an i440fx machine; {0} has machine '
                                                      '{1}'.format(label, machine))
        if job.effective.get('vga') != 'none':
            raise ValidationError('legacy_igd', True, "legacy IGD mode needs vga: none on the VM; {0} has vga {1}"
                                  .format(label, job.effective.get('vga', 'default')))
    mdev_target = None
    if merged.get('mapping'):
        mapping = merged['mapping']
        entry, _digest = read_mapping(job.client, PCI_MAPPINGS, mapping, check_node=node)
        if entry is None:
            raise ValidationError('mapping', mapping, 'no PCI mapping with this ID exists; create it with '
                                                      'iac.proxmox.pve_pci_mapping first')
        entries = [PCI_MAP.parse(m) for m in entry.get('map') or []]
        nodes = sorted(set(e.get('node') for e in entries))
        if node not in nodes:
            raise ValidationError('mapping', mapping, 'the PCI mapping has no entry for node {0}, where {1} runs (it '
                                                      'maps: {2})'.format(node, label, ', '.join(nodes) or 'no node'))
        check_on_node('mapping', mapping, entry, node, label, 'PCI mapping')
        check_enough_devices(job, mapping, merged, sum(1 for e in entries if e.get('node') == node))
        mdev_target = mapping
    else:
        devices = node_devices(job.client, node)
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
        if not merged.get('mdev'):
            check_not_assigned_twice(job, devices, addresses, functions)
    if merged.get('mdev'):
        types = [t.get('type') for t in job.client.get('/nodes/{0}/hardware/pci/{1}/mdev'.format(node, mdev_target))
                 or []]
        if merged['mdev'] not in types:
            why = 'is not a mediated device type {0} offers on node {1} (types: {2})'.format(
                mdev_target, node, ', '.join(types) or 'none')
            raise ValidationError('mdev', merged['mdev'], why)


def check_not_assigned_twice(job, devices, addresses, functions):
    """A host function passed through in another slot too: PVE refuses the VM's start with `device '<id>' assigned
    more than once` (qemu-server PCI.pm choose_hostpci_devices), whether the addresses are spelled alike or not
    (0000:01:00 is every function of 0000:01:00.0). Other slots' host addresses are expanded on the node's
    devices; mediated devices are shared and not counted."""
    mine = dict((normalize_address(d['id']), d) for d in functions)
    for slot in KIND.slots():
        if slot == job.slot or job.effective.get(slot) is None:
            continue
        other = KIND.fmt.parse(job.effective[slot])
        if other.get('mdev') or not other.get('host'):
            continue
        host = other['host']
        for address in host if isinstance(host, (list, tuple)) else str(host).split(';'):
            for device in select(devices, address) if address else []:
                taken = normalize_address(device['id'])
                if taken in mine:
                    index = next(i for i, a in enumerate(addresses) if mine[taken] in select(devices, a))
                    raise ValidationError('host[{0}]'.format(index), addresses[index], 'function {0} is already '
                                          'passed through in {1} of {2} ({3}); PVE refuses to start a VM with a '
                                          "device assigned more than once".format(taken, slot, job.guest.label,
                                                                                  job.effective[slot]))


def check_enough_devices(job, mapping, merged, devices):
    """Every slot on a mapping takes a device of its own when the VM starts: PVE gives each hostpciN, in slot order,
    the first of the mapping's devices on the node that no earlier slot took, and the start fails with `could
    not find a free device for 'hostpciN'` (one device: `assigned more than once`) when none is left
    (qemu-server PCI.pm choose_hostpci_devices). A config write does not count them, so it is checked here.
    Mediated devices (mdev) are shared and not counted."""
    if merged.get('mdev'):
        return
    slots = [s for s in job.holding_all(('mapping', mapping)) if s != job.slot
             and not KIND.fmt.parse(job.effective[s]).get('mdev')] + [job.slot]
    if len(slots) > devices:
        raise ValidationError('slot', job.slot, 'the PCI mapping {0} has {1} device{2} on node {3} and would back {4} '
                                                'slots of {5} ({6}); each slot takes a device of its own when the VM '
                                                'starts, so PVE could not start it. Add entries for node {3} to the '
                                                'mapping first'.format(mapping, devices, '' if devices == 1 else 's',
                                                                       job.guest.node, len(slots), job.guest.label,
                                                                       ', '.join(sorted(slots, key=lambda s: int(s[7:])))))


def explain(exc):
    """PVE lets only root@pam (with a password) set raw host addresses."""
    if isinstance(exc, PveApiError) and 'only root can set' in (exc.message or ''):
        raise PveError('{0} PVE allows raw host PCI addresses only for root@pam logged in with a password; API tokens '
                       '(even root@pam!...) and other users are refused. Use a cluster PCI mapping instead: create it '
                       'with iac.proxmox.pve_pci_mapping (a user with Mapping.Modify can) and pass mapping: <id> '
                       'here; the user then needs Mapping.Use on /mapping/pci/<id>.'.format(exc))


def converge_hostpci(module):
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
