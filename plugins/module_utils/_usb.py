# -*- coding: utf-8 -*-
# Copyright: iac.proxmox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""USB devices of a node and cluster USB mappings (/cluster/mapping/usb). Private to the collection.

A USB mapping entry names a device on a node by its vendor:device ID (`id=1050:0407`: any device with that
ID), or by the port it is plugged into (`path=1-4.1`: bus 1, port 4, then port 1 of the hub there), in which
case `id` is still required and records what the port should hold. The node's `/nodes/{node}/hardware/usb`
list (PVE::SysFSTools::scan_usb) gives `busnum`, `usbpath`, `vendid` and `prodid`; PVE::Mapping::USB's
assert_valid checks an entry against it as `<busnum>-<usbpath>` and `<vendid>:<prodid>`. The comparison,
the write and the diff are the shared mapping engine's (_mapping.converge).
"""

from __future__ import annotations

from ._checks import check_node_name
from ._diff import ABSENT
from ._errors import ValidationError
from ._mapping import ClusterNodes, MappingKind, NodeHardware, check_config_id, converge, read_mapping
from ._propstring import USB_MAP
from ._regex import regex

# PVE::Mapping::USB $map_fmt: id vendor:device in hex, path bus-port[.port...].
DEVICE_ID = regex(r'^[0-9a-fA-F]{4}:[0-9a-fA-F]{4}$')
USB_PATH = regex(r'^(\d+)-(\d+(?:\.\d+)*)$')
BAD_DESCRIPTION = regex(r'[,;=\n\r]')
# PVE's USB kind has `map` required on update as well, so every PUT carries the whole list.
KIND = MappingKind('usb', USB_MAP, entry_keys={'id': lambda value: str(value).lower()}, map_always=True)


def check_device_id(option, value):
    if not isinstance(value, str) or not DEVICE_ID.match(value):
        raise ValidationError(option, value, 'must be vendor:device in hex, such as 1050:0407')
    return value.lower()


def check_usb_path(option, value):
    if not isinstance(value, str) or not USB_PATH.match(value):
        raise ValidationError(option, value, 'must be a USB port path bus-port[.port...], such as 1-2 or 1-4.1 '
                                             '(see the busnum and usbpath of the node\'s USB devices)')
    return value


def device_id(device):
    return '{0}:{1}'.format(device.get('vendid', ''), device.get('prodid', '')).lower()


def device_path(device):
    """`<busnum>-<usbpath>` as PVE's assert_valid matches it; None for root hubs, which have no usbpath."""
    if not device.get('usbpath') or not device.get('busnum'):
        return None
    return '{0}-{1}'.format(device['busnum'], device['usbpath'])


def device_names(devices, limit=12):
    """The node's plugged-in devices (root hubs left out) for error messages."""
    names = []
    for device in devices:
        path = device_path(device)
        if path:
            label = ' '.join(p for p in (device.get('manufacturer'), device.get('product')) if p)
            names.append('{0} {1}{2}'.format(path, device_id(device), ' ' + label if label else ''))
    if len(names) > limit:
        names = names[:limit] + ['...']
    return ', '.join(names) or 'none'


def node_usb_devices(client, node):
    """The node's USB devices, root hubs included (one request)."""
    return client.get('/nodes/{0}/hardware/usb'.format(node))


class UsbHardware(NodeHardware):
    """The nodes' USB device lists (NodeHardware: read once per node, after the node check)."""

    def __init__(self, client, entries, nodes):
        super(UsbHardware, self).__init__(client, entries, nodes, node_usb_devices)

    def at_path(self, option, node, path):
        devices = self.devices(node)
        found = [d for d in devices if device_path(d) == path]
        if not found:
            raise ValidationError(option, path, 'no USB device at this port on node {0} (devices: {1})'.format(
                node, device_names(devices)))
        return found[-1]

    def check_id(self, option, node, wanted):
        devices = self.devices(node)
        if not any(device_id(d) == wanted for d in devices):
            raise ValidationError(option, wanted, 'no USB device with this vendor:device ID on node {0} (devices: '
                                                  '{1})'.format(node, device_names(devices)))


def desired_entries(items, current, hardware):
    """The map entries: checked, normalized, and a path's `id` completed from the entry it replaces or from the
    node's hardware. Each entry keeps its option name under 'option' for later messages."""
    existing = {}
    for text in (current or {}).get('map') or []:
        entry = USB_MAP.parse(text)
        if entry.get('path'):
            existing[(entry.get('node'), entry['path'])] = entry
    out, seen = [], {}
    for index, item in enumerate(items):
        option = 'map[{0}]'.format(index)
        node = check_node_name(option + '.node', item['node'])
        entry = {'node': node}
        if item.get('path') is not None:
            entry['path'] = check_usb_path(option + '.path', item['path'])
        if item.get('id') is not None:
            entry['id'] = check_device_id(option + '.id', item['id'])
        if 'path' not in entry and 'id' not in entry:
            raise ValidationError(option, item, 'give the device as id (vendor:device) or path (bus-port)')
        key = (node, entry.get('path') or entry['id'])
        if key in seen:
            raise ValidationError(option, key[1], 'is listed twice for node {0} (map[{1}])'.format(node, seen[key]))
        seen[key] = index
        if item.get('description') is not None:
            if BAD_DESCRIPTION.search(item['description']) or len(item['description']) > 4096:
                raise ValidationError(option + '.description', item['description'],
                                      'must not contain , ; = or line breaks, and at most 4096 characters')
            entry['description'] = item['description']
        if 'id' not in entry:
            source = existing.get((node, entry['path']))
            entry['id'] = source['id'].lower() if source and source.get('id') else device_id(
                hardware.at_path(option + '.path', node, entry['path']))
        entry['option'] = option
        out.append(entry)
    if not out:
        raise ValidationError('map', items, 'needs at least one entry (use state=absent to remove the mapping)')
    return out


def check_against_hardware(entries, current, hardware):
    """Entries that will be written, as PVE's assert_valid checks them when a VM starts: a path holds a device
    with the entry's id; an id alone is some device of the node."""
    normalize = KIND.fields()['map'].normalize
    unchanged = set(normalize([text]) for text in (current or {}).get('map') or [])
    for entry in entries:
        clean = dict((k, v) for k, v in entry.items() if k != 'option')
        if normalize([clean]) in unchanged:
            continue
        option = entry['option']
        if entry.get('path'):
            actual = device_id(hardware.at_path(option + '.path', entry['node'], entry['path']))
            if actual != entry['id']:
                raise ValidationError(option + '.id', entry['id'], 'the device at {0} on node {1} is {2}'.format(
                    entry['path'], entry['node'], actual))
        else:
            hardware.check_id(option + '.id', entry['node'], entry['id'])


def converge_usb_mapping(module):
    """pve_usb_mapping: bring the mapping to the play's state."""
    params = module.params
    mapping_id = check_config_id('id', params['id'])
    description = params['description']
    if description is not None and len(description) > 4096:
        raise ValidationError('description', description, 'may be at most 4096 characters')
    current = read_mapping(module.client, KIND, mapping_id)
    nodes = ClusterNodes(module.client)
    entries = None
    if params['state'] == 'present' and params['map'] is not None:
        hardware = UsbHardware(module.client, params['map'], nodes)
        entries = desired_entries(params['map'], current[0], hardware)
    desired = {
        'description': None if description is None else (description if description != '' else ABSENT),
        'map': [dict((k, v) for k, v in e.items() if k != 'option') for e in entries] if entries else None,
    }

    def validate(delta):
        if entries and 'map' in delta.set:
            check_against_hardware(entries, current[0], hardware)
    converge(module, KIND, mapping_id, params['state'], desired, current=current, validate=validate, nodes=nodes)
