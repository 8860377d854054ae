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
from ._regex import regex

DEVICE_ID = regex(r'^[0-9a-fA-F]{4}:[0-9a-fA-F]{4}$')


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
        """The device PVE checks for one address of an entry's path (PVE::Mapping::PCI::assert_valid): the
        function itself, or function 0 of a whole (multi-function) device."""
        devices = self.devices(node)
        if '.' not in path:
            path += '.0'
        found = select(devices, path)
        if not found:
            raise ValidationError(option, path, 'no such PCI device on node {0} (devices: {1})'.format(
                node, device_names(devices)))
        return found[0]


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
                source = hardware_ids(hardware.device(option + '.path', node, parts[0]))
            for name in FILLED:
                if name not in entry and source.get(name) is not None:
                    entry[name] = source[name]
        entry['option'] = option
        out.append(entry)
    if not out:
        raise ValidationError('map', params['map'], 'needs at least one entry (use state=absent to remove the mapping)')
    return out


def check_against_hardware(entries, current, hardware, mdev, every=False):
    """Entries that will be written (every=True: all of them), as PVE::Mapping::PCI::assert_valid checks them
    when a VM starts: each address of the path is a device of the node with the entry's id and subsystem-id,
    the first one in the entry's IOMMU group, and the mapping's mdev flag matches whether the device can
    provide mediated devices."""
    unchanged = set()
    if not every:
        for text in (current or {}).get('map') or []:
            unchanged.add(KIND.fields()['map'].normalize([text]))
    for entry in entries:
        clean = dict((k, v) for k, v in entry.items() if k != 'option')
        if KIND.fields()['map'].normalize([clean]) in unchanged:
            continue
        option = entry['option']
        for index, address in enumerate(entry['path'].split(';')):
            device = hardware.device(option + '.path', entry['node'], address)
            actual = hardware_ids(device)
            where = 'the device at {0} on node {1}'.format(device['id'], entry['node'])
            for key in ('id', 'subsystem-id', 'iommugroup'):
                if key == 'iommugroup' and index > 0:
                    continue
                name = '{0}.{1}'.format(option, key.replace('-', '_'))
                want, have = entry.get(key), actual.get(key)
                if want is None and have is not None:
                    raise ValidationError(name, None, '{0} has {1} {2}, and PVE refuses to start a VM on an entry '
                                                      'without it'.format(where, key, have))
                if want is not None and have is None:
                    raise ValidationError(name, want, '{0} has no {1}, and PVE refuses to start a VM on an entry '
                                                      'with one'.format(where, key))
                if want is not None and str(want).lower() != str(have).lower():
                    raise ValidationError(name, want, '{0} is {1}'.format(where, have) if key == 'id' else
                                          '{0} has {1} {2}'.format(where, key, have))
            capable = bool(device.get('mdev'))
            if capable != bool(mdev):
                raise ValidationError('mdev', bool(mdev), '{0} {1} mediated devices, and PVE refuses to start a '
                                                          'VM on a mapping whose mdev flag differs (set mdev: {2})'
                                      .format(where, 'can provide' if capable else 'cannot provide',
                                              'true' if capable else 'false'))


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
        mdev_changed = 'mdev' in delta.set or 'mdev' in delta.delete
        mdev = params['mdev'] if params['mdev'] is not None else as_bool((current[0] or {}).get('mdev', 0))
        if entries and ('map' in delta.set or mdev_changed):
            check_against_hardware(entries, current[0], hardware, mdev, every=mdev_changed)
        elif mdev_changed:
            stored = [dict(PCI_MAP.parse(text), option='map') for text in (current[0] or {}).get('map') or []]
            check_against_hardware(stored, None, Hardware(module.client, stored, nodes), mdev, every=True)
    converge(module, KIND, mapping_id, params['state'], desired, current=current, validate=validate, nodes=nodes)
