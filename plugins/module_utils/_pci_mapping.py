# -*- coding: utf-8 -*-
# Copyright: iac.proxmox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A cluster PCI mapping (pve_pci_mapping): its map entries checked, completed from the node's hardware, and
converged through the mapping engine (_mapping). Private to the collection.
"""

from __future__ import annotations

import re

from ._checks import check_node_name
from ._diff import ABSENT, Field, as_bool, as_int
from ._errors import ValidationError
from ._mapping import ClusterNodes, MappingKind, NodeHardware, check_config_id, converge, read_mapping
from ._pci import check_address, device_names, hardware_ids, node_devices, normalize_address, select
from ._propstring import PCI_MAP

DEVICE_ID = re.compile(r'^[0-9a-fA-F]{4}:[0-9a-fA-F]{4}$')


def paths(value):
    return tuple(normalize_address(p) for p in str(value).split(';') if p)


KIND = MappingKind('pci', PCI_MAP, entry_keys={'path': paths, 'iommugroup': as_int, 'id': str.lower,
                                               'subsystem-id': str.lower},
                   options={'mdev': Field(as_bool, default=0), 'live-migration-capable': Field(as_bool, default=0)})
FILLED = ('id', 'subsystem-id', 'iommugroup')


class Hardware(NodeHardware):
    """The nodes' PCI device lists (NodeHardware: read once per node, after the node check)."""

    def __init__(self, client, entries, nodes):
        super(Hardware, self).__init__(client, entries, nodes, node_devices)

    def device(self, option, node, path):
        devices = self.devices(node)
        first = path.split(';')[0]
        found = select(devices, first)
        if not found:
            raise ValidationError(option, first, 'no such PCI device on node {0} (devices: {1})'.format(
                node, device_names(devices)))
        return sorted(found, key=lambda d: d['id'])[0]


def desired_entries(params, current, hardware):
    """The map entries: checked, normalized, and completed from the current entries or the hardware."""
    existing = {}
    for text in (current or {}).get('map') or []:
        entry = PCI_MAP.parse(text)
        existing[(entry.get('node'), paths(entry.get('path', '')))] = entry
    out, seen = [], set()
    for index, item in enumerate(params['map']):
        option = 'map[{0}]'.format(index)
        node = check_node_name(option + '.node', item['node'])
        parts = [check_address('{0}.path'.format(option), p) for p in str(item['path']).split(';') if p]
        if not parts:
            raise ValidationError(option + '.path', item['path'], 'give a PCI address')
        path = ';'.join(parts)
        key = (node, tuple(parts))
        if key in seen:
            raise ValidationError(option, path, 'is listed twice for node {0}'.format(node))
        seen.add(key)
        entry = {'node': node, 'path': path}
        for name, value in (('id', item.get('id')), ('subsystem-id', item.get('subsystem_id'))):
            if value is not None:
                if not DEVICE_ID.match(value):
                    raise ValidationError('{0}.{1}'.format(option, name.replace('-', '_')), value,
                                          'must be vendor:device in hex, such as 10de:2204')
                entry[name] = value.lower()
        if item.get('iommugroup') is not None:
            if item['iommugroup'] < 0:
                raise ValidationError(option + '.iommugroup', item['iommugroup'], 'must be 0 or more')
            entry['iommugroup'] = str(item['iommugroup'])
        if item.get('description') is not None:
            if re.search(r'[,;=\n\r]', item['description']):
                raise ValidationError(option + '.description', item['description'], 'must not contain , ; = or '
                                                                                    'line breaks')
            entry['description'] = item['description']
        if any(k not in entry for k in FILLED):
            source = existing.get(key)
            if source is None:
                source = hardware_ids(hardware.device(option + '.path', node, path))
            for name in FILLED:
                if name not in entry and source.get(name) is not None:
                    entry[name] = source[name]
        entry['option'] = option
        out.append(entry)
    if not out:
        raise ValidationError('map', params['map'], 'needs at least one entry (use state=absent to remove the mapping)')
    return out


def check_against_hardware(entries, current, hardware):
    """Entries that will be written: the device exists on the node and is the one the entry names."""
    unchanged = set()
    for text in (current or {}).get('map') or []:
        unchanged.add(KIND.fields()['map'].normalize([text]))
    for entry in entries:
        clean = dict((k, v) for k, v in entry.items() if k != 'option')
        if KIND.fields()['map'].normalize([clean]) in unchanged:
            continue
        device = hardware.device(entry['option'] + '.path', entry['node'], entry['path'])
        actual = hardware_ids(device)
        if entry.get('id') and entry['id'] != actual['id']:
            raise ValidationError(entry['option'] + '.id', entry['id'], 'the device at {0} on node {1} is {2}'.format(
                device['id'], entry['node'], actual['id']))


def converge_pci_mapping(module):
    params = module.params
    mapping_id = check_config_id('id', params['id'])
    current = read_mapping(module.client, KIND, mapping_id)
    nodes = ClusterNodes(module.client)
    description = params['description']
    entries = None
    if params['state'] == 'present' and params['map'] is not None:
        hardware = Hardware(module.client, params['map'], nodes)
        entries = desired_entries(params, current[0], hardware)
    desired = {
        'description': None if description is None else (description if description != '' else ABSENT),
        'mdev': params['mdev'],
        'live-migration-capable': params['live_migration_capable'],
        'map': [dict((k, v) for k, v in e.items() if k != 'option') for e in entries] if entries else None,
    }

    def validate(delta):
        if entries and 'map' in delta.set:
            check_against_hardware(entries, current[0], hardware)
    converge(module, KIND, mapping_id, params['state'], desired, current=current, validate=validate, nodes=nodes)
