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
    description: The device(s) can provide mediated devices.
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

import re

from ansible_collections.iac.proxmox.plugins.module_utils._checks import check_node_name
from ansible_collections.iac.proxmox.plugins.module_utils._diff import ABSENT, Field, as_bool, as_int
from ansible_collections.iac.proxmox.plugins.module_utils._errors import ValidationError
from ansible_collections.iac.proxmox.plugins.module_utils._mapping import (
    MappingKind, check_config_id, converge, read_mapping)
from ansible_collections.iac.proxmox.plugins.module_utils._module import PveModule
from ansible_collections.iac.proxmox.plugins.module_utils._pci import (
    check_address, device_names, hardware_ids, node_devices, normalize_address, select)
from ansible_collections.iac.proxmox.plugins.module_utils._propstring import PCI_MAP

DEVICE_ID = re.compile(r'^[0-9a-fA-F]{4}:[0-9a-fA-F]{4}$')


def paths(value):
    return tuple(normalize_address(p) for p in str(value).split(';') if p)


KIND = MappingKind('pci', PCI_MAP, entry_keys={'path': paths, 'iommugroup': as_int, 'id': str.lower,
                                               'subsystem-id': str.lower},
                   options={'mdev': Field(as_bool, default=0), 'live-migration-capable': Field(as_bool, default=0)})
FILLED = ('id', 'subsystem-id', 'iommugroup')


class Hardware(object):
    """Node hardware lists, read once per node and only when needed."""

    def __init__(self, client):
        self.client = client
        self.nodes = {}

    def device(self, option, node, path):
        if node not in self.nodes:
            self.nodes[node] = node_devices(self.client, node)
        first = path.split(';')[0]
        found = select(self.nodes[node], first)
        if not found:
            raise ValidationError(option, first, 'no such PCI device on node {0} (devices: {1})'.format(
                node, device_names(self.nodes[node])))
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


def run(module):
    params = module.params
    mapping_id = check_config_id('id', params['id'])
    current = read_mapping(module.client, KIND, mapping_id)
    hardware = Hardware(module.client)
    description = params['description']
    entries = None
    if params['state'] == 'present' and params['map'] is not None:
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
    converge(module, KIND, mapping_id, params['state'], desired, current=current, validate=validate)


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
            state=dict(type='str', default='present', choices=['present', 'absent']),
        ),
    )
    module.run(run)


if __name__ == '__main__':
    main()
