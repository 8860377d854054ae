# -*- coding: utf-8 -*-
# Copyright: iac.proxmox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Cluster resource mappings (/cluster/mapping/<kind>): read, compare, converge. Private to the collection.

Directory, PCI and USB mappings share one shape: an ID, a description, a list of per-node `map`
entries (property strings) and a few kind-specific options, in one config file per kind guarded by a
digest. `converge()` takes a kind description and the desired state and does the rest: one read, the
comparison (map entries are order-free), validation of the nodes when something will be written, one
write, and the before/after for diff mode.
"""

from __future__ import annotations

import re

from ._diff import ABSENT, Field, as_text, compare, list_normalizer, props_normalizer
from ._errors import ValidationError
from ._regex import regex

CONFIG_ID = regex(r'^[A-Za-z][A-Za-z0-9_-]+$')


def check_config_id(option, value):
    """PVE's pve-configid: a letter, then letters, digits, '_' or '-', at least two characters."""
    if not isinstance(value, str) or not CONFIG_ID.match(value):
        raise ValidationError(option, value, 'must start with a letter and contain only letters, digits, "_" '
                                             'and "-" (at least two characters)')
    return value


def cluster_nodes(client):
    """Names of the cluster's nodes (one request)."""
    return sorted(item['node'] for item in client.get('/nodes') or [] if item.get('node'))


class ClusterNodes(object):
    """The cluster's node names for one run: read (GET /nodes) when first needed, then shared by every step
    that checks map entries against them, such as the hardware reads before the comparison and the check
    before the write."""

    def __init__(self, client):
        self.client = client
        self.names = None

    def check(self, entries, option='map'):
        """Every entry's node is a node of the cluster; the message names the entry and the known nodes."""
        if self.names is None:
            self.names = cluster_nodes(self.client)
        for index, entry in enumerate(entries):
            if entry['node'] not in self.names:
                raise ValidationError('{0}[{1}].node'.format(option, index), entry['node'],
                                      'no such node in the cluster (nodes: {0})'.format(', '.join(self.names) or
                                                                                        'none'))


class NodeHardware(object):
    """The nodes' device lists of one kind, read once per node and only when needed. Before the first read the
    entries' nodes are checked to be cluster nodes, so an unknown node is named as such instead of failing
    PVE's hostname lookup. read(client, node) returns one node's list."""

    def __init__(self, client, entries, nodes, read):
        self.client = client
        self.entries = entries
        self.cluster = nodes
        self.read = read
        self.nodes = {}

    def devices(self, node):
        if node not in self.nodes:
            self.cluster.check(self.entries)
            self.nodes[node] = self.read(self.client, node) or []
        return self.nodes[node]


class MappingKind(object):
    """What differs between mapping kinds.

    name: the API path segment (dir, pci, usb). fmt: the PropFormat of a map entry. entry_keys: the
    normalizers of an entry's keys. options: Fields of the kind's own options besides description and map.
    map_always: every update sends `map` (PVE's USB kind declares it required on update too).
    """

    def __init__(self, name, fmt, entry_keys=None, options=None, map_always=False):
        self.name = name
        self.fmt = fmt
        self.entry_keys = dict(entry_keys or {})
        self.options = dict(options or {})
        self.map_always = map_always

    @property
    def path(self):
        return '/cluster/mapping/' + self.name

    def fields(self):
        entry = props_normalizer(self.fmt, self.entry_keys)
        fields = {
            'description': Field(as_text),
            'map': Field(list_normalizer(entry), render=lambda entries: [self.fmt.format(e) for e in entries]),
        }
        fields.update(self.options)
        return fields

    def view(self, mapping_id, entry):
        """The mapping as modules return it: map entries as dicts, sorted by node."""
        if entry is None:
            return {}
        out = {'id': mapping_id, 'description': entry.get('description', '')}
        for key in self.options:
            if key in entry:
                out[key.replace('-', '_')] = entry[key]
        items = entry.get('map') or []
        if not isinstance(items, list):
            items = [items]
        parsed = [self.fmt.parse(item) if isinstance(item, str) else dict(item) for item in items]
        parsed = [dict((k.replace('-', '_'), v) for k, v in entry.items()) for entry in parsed]
        out['map'] = sorted(parsed, key=lambda e: (e.get('node', ''), sorted(e.items())))
        return out


def read_mapping(client, kind, mapping_id, check_node=None):
    """(entry or None, config digest) with one request: the kind's list. With check_node, PVE checks the entries
    on that node as a VM start there would (pve-manager PVE/API2/Cluster/Mapping/*.pm index) and each item
    carries them as `checks`."""
    digest = None
    query = {'check-node': check_node} if check_node else {}
    for item in client.get(kind.path, **query) or []:
        digest = item.get('digest', digest)
        if item.get('id') == mapping_id:
            return item, digest
    return None, digest


def check_on_node(option, mapping_id, entry, node, label, what):
    """The errors PVE's check-node found in a mapping's entries for node (read_mapping with check_node) as a
    ValidationError: a VM on that node would not start with the mapping."""
    errors = [c.get('message', '') for c in (entry or {}).get('checks') or [] if c.get('severity') == 'error']
    if errors:
        raise ValidationError(option, mapping_id, 'PVE finds the {0} invalid on node {1}, where {2} runs, so the VM '
                                                  'could not start: {3}'.format(what, node, label, '; '.join(errors)))


def converge(module, kind, mapping_id, state, desired, current=None, validate=None, nodes=None):
    """Bring the mapping to `state` with `desired` options ({key: value, ABSENT or None}).

    desired['map'] is a list of entry dicts (None: leave the map alone). current: (entry, digest) when the
    caller has read it already. validate(delta) runs before a write. nodes: the run's ClusterNodes when the
    caller has one already (so the node list is read once). Exits the module.
    """
    client = module.client
    path = '{0}/{1}'.format(kind.path, mapping_id)
    description = desired.get('description')
    if isinstance(description, str) and state == 'present':
        # pve-common SectionConfig.pm check_value refuses a line feed; the schema allows 4096 characters.
        if re.search(r'[\n\r]', description) or len(description) > 4096:
            why = 'must be one line of at most 4096 characters (PVE keeps it on one line of the mapping config file)'
            raise ValidationError('description', description, why)
    current, digest = current if current is not None else read_mapping(client, kind, mapping_id)
    before = kind.view(mapping_id, current)
    if state == 'absent':
        if current is not None:
            module.write('DELETE', path, action='delete {0} mapping {1}'.format(kind.name, mapping_id),
                         settle=lambda: read_mapping(client, kind, mapping_id)[0] is None)
        module.exit(changed=current is not None, id=mapping_id, mapping={},
                    diff={'before': before, 'after': {}})
        return
    if current is None and not desired.get('map'):
        raise ValidationError('map', None, '{0} mapping {1!r} does not exist yet; give its map entries to create '
                                           'it'.format(kind.name, mapping_id))
    first = delta = compare(desired, current or {}, kind.fields(), creating=current is None)
    if delta.changed:
        if desired.get('map'):
            (nodes or ClusterNodes(client)).check(desired['map'])
        if validate:
            validate(delta)

    def send():
        if current is None:
            module.write('POST', kind.path, dict(delta.set, id=mapping_id), settle=lambda: read_mapping(
                client, kind, mapping_id)[0] is not None, action='create {0} mapping {1}'.format(kind.name, mapping_id))
        else:
            params = delta.params()
            if kind.map_always and 'map' not in params:
                params['map'] = list(current.get('map') or [])
            if digest:
                params['digest'] = digest
            module.write('PUT', path, params, action='update {0} mapping {1}: {2}'.format(
                kind.name, mapping_id, ', '.join(delta.changed_keys)))

    def reread():
        nonlocal current, digest, delta
        current, digest = read_mapping(client, kind, mapping_id)
        delta = compare(desired, current or {}, kind.fields(), creating=current is None)
        return bool(delta.changed)
    if delta.changed:
        module.write_fresh(send, reread)
    after_entry = dict(current or {})
    for key in delta.delete:
        after_entry.pop(key, None)
    after_entry.update((k, v) for k, v in desired.items() if v is not None and v is not ABSENT)
    after = kind.view(mapping_id, after_entry)
    module.exit(changed=first.changed, id=mapping_id, mapping=after, diff={'before': before, 'after': after})
