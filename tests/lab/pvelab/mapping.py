"""Cluster resource mappings: /cluster/mapping/{dir,pci,usb}, stateful.

fakepve answers these generically (a write succeeds and stores nothing). PVE keeps each kind in one
section-config file (mapping/directory.cfg, mapping/pci.cfg, mapping/usb.cfg) whose digest guards
updates; the handlers here follow pve-manager's PVE/API2/Cluster/Mapping/{Dir,PCI,USB}.pm and
pve-guest-common's PVE/Mapping/*.pm for behaviour and wording.
"""

import copy
import json
import posixpath
import re

from fakepve import schema as pve_schema
from fakepve.model import PveError
from fakepve.routing import check_digest, die, param_error, sha1, split_list

# Per kind: the options an entry has besides `map`, and the words PVE's handlers use.
KINDS = {
    'dir': {'options': ('description',), 'create_failed': 'create directory mapping failed',
            'update_failed': 'update directory mapping failed', 'delete_failed': 'delete dir mapping failed'},
    'pci': {'options': ('description', 'mdev', 'live-migration-capable'),
            'create_failed': 'create hardware mapping failed', 'update_failed': 'update hardware mapping failed',
            'delete_failed': 'delete pci mapping failed'},
    'usb': {'options': ('description',), 'create_failed': 'create hardware mapping failed',
            'update_failed': 'update hardware mapping failed', 'delete_failed': 'delete usb mapping failed'},
}
BOOLEAN_OPTIONS = ('mdev', 'live-migration-capable')
# PVE::Mapping::Dir::pve_verify_path
DIR_PATH = re.compile(r'^/[^;,=()]+')
DIR_PATH_ERROR = ('Value does not look like a valid absolute path. '
                  'These symbols are currently not allowed in path: ;,=()')


def usb_map_item():
    """The schema of a USB map item (PVE::Mapping::USB $map_fmt), its patterns in Python's spelling: the schema
    dump keeps Perl's `(?^:...)` groups, which fakepve cannot compile and so would not check."""
    item = copy.deepcopy(pve_schema.load().paths['/cluster/mapping/usb']['POST']['parameters']['properties']['map'])
    for prop in item['items']['format'].values():
        if prop.get('pattern', '').startswith('(?^:'):
            prop['pattern'] = '(?:' + prop['pattern'][4:]
    return item['items']


def parse_map_entry(text):
    """A map entry (`node=pve1,path=/srv`) as a dict; values keep any '=' after the first one."""
    out = {}
    for part in str(text).split(','):
        if part:
            key, value = part.split('=', 1) if '=' in part else (part, '')
            out[key] = value
    return out


class MappingApi(object):
    """Mixin for the lab's FakePve: the three mapping kinds, each a dict id -> options."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.mappings = {kind: {} for kind in KINDS}
        # The node whose pveproxy answers (PVE checks directory paths on it), and each node's directories.
        self.local_node = 'pve1'
        self.node_dirs = {}

    def node_has_dir(self, node, path):
        """Perl's -e/-d on the node, as PVE::Mapping::Dir::assert_valid tests a path: the file system resolves
        repeated and trailing slashes, so /srv/data/ is the directory /srv/data."""
        return posixpath.normpath('/' + (path or '').lstrip('/')) in self.node_dirs.get(node, set())

    def _routes_mapping(self):
        routes = []
        for kind in KINDS:
            base = '/cluster/mapping/' + kind
            routes += [('GET', base, self._bind(self._mapping_list, kind)),
                       ('POST', base, self._bind(self._mapping_create, kind)),
                       ('GET', base + '/{id}', self._bind(self._mapping_get, kind)),
                       ('PUT', base + '/{id}', self._bind(self._mapping_update, kind)),
                       ('DELETE', base + '/{id}', self._bind(self._mapping_delete, kind))]
        return routes

    @staticmethod
    def _bind(handler, kind):
        async def call(values, user):
            return await handler(kind, values, user)
        return call

    # ----------------------------------------------------------------- state

    def mapping_digest(self, kind):
        """The digest of the kind's whole config file, as PVE's cfs_read_file gives it."""
        return sha1(json.dumps(self.mappings[kind], sort_keys=True))

    def add_mapping(self, kind, mapping_id, map_entries, **options):
        """Seed a mapping directly (tests and the topology use this)."""
        entry = {'map': list(map_entries)}
        entry.update((k.replace('_', '-'), v) for k, v in options.items() if v is not None)
        self.mappings[kind][mapping_id] = entry
        return entry

    def node_mapping(self, kind, mapping_id, node):
        """PVE::Mapping::*::get_node_mapping: the map entries for node, or None when the id is unknown."""
        entry = self.mappings[kind].get(mapping_id)
        if entry is None:
            return None
        return [parsed for parsed in (parse_map_entry(m) for m in entry.get('map', [])) if parsed.get('node') == node]

    # ------------------------------------------------------------ validation

    @staticmethod
    def _check_map_format(kind, entries):
        """The schema check of the map items PVE makes before its handler runs (a 400 per item)."""
        for index, text in enumerate(entries):
            entry = parse_map_entry(text)
            if kind == 'usb':  # fakepve checks no array item's format: check it against the schema's map_fmt
                why = pve_schema.check_value(usb_map_item(), text)[1]
                if why:
                    raise param_error(**{'map[{0}]'.format(index): why})
            if kind == 'dir' and not DIR_PATH.match(entry.get('path', '')):
                raise param_error(**{'map[{0}]'.format(index): 'invalid format - format error\npath: ' + DIR_PATH_ERROR})

    @staticmethod
    def _check_line_feed(opts):
        """pve-common src/PVE/SectionConfig.pm check_value, which check_config runs on every option the handler
        gets: a config file line cannot hold a line feed."""
        for value in opts.values():
            if isinstance(value, str) and re.search(r'[\n\r]', value):
                raise die('property contains a line feed')

    def _check_dir_map(self, entries):
        """PVE::Mapping::Dir::assert_valid_map_list: the local node's path exists and is a directory, and no
        node is listed twice."""
        counts = {}
        for text in entries:
            entry = parse_map_entry(text)
            node = entry.get('node')
            if node == self.local_node:
                path = entry.get('path', '')
                if not self.node_has_dir(node, path):
                    raise die('Path {0} does not exist'.format(path))
            counts[node] = counts.get(node, 0) + 1
        for node, count in sorted(counts.items()):
            if count > 1:
                raise die("Node '{0}' is specified {1} times.".format(node, count))

    @staticmethod
    def _options(kind, values):
        opts = {}
        for key in KINDS[kind]['options']:
            if values.get(key) is not None:
                opts[key] = int(values[key]) if key in BOOLEAN_OPTIONS else values[key]
        if values.get('map') is not None:
            items = values['map']
            opts['map'] = list(items) if isinstance(items, list) else [items]
        return opts

    # -------------------------------------------------------------- handlers

    async def _mapping_list(self, kind, values, user):
        check_node = values.get('check-node')
        out = []
        for mapping_id in sorted(self.mappings[kind]):
            entry = copy.deepcopy(self.mappings[kind][mapping_id])
            entry.update(id=mapping_id, digest=self.mapping_digest(kind))
            if check_node is not None and kind == 'usb':  # PVE/API2/Cluster/Mapping/USB.pm says `errors`
                entry['errors'] = self.usb_mapping_errors(mapping_id, check_node)
            elif check_node is not None:
                entry['checks'] = self._mapping_checks(kind, mapping_id, check_node)
            out.append(entry)
        return out

    def _mapping_checks(self, kind, mapping_id, node):
        if kind == 'pci':
            return self.pci_mapping_checks(mapping_id, node)
        checks = []
        found = self.node_mapping(kind, mapping_id, node)
        if found is not None and not found:
            checks.append({'severity': 'warning', 'message': 'No mapping for node {0}.'.format(node)})
        for entry in found or []:
            if kind == 'dir' and not self.node_has_dir(node, entry.get('path')):
                checks.append({'severity': 'error',
                               'message': 'Invalid configuration: Path {0} does not exist'.format(entry.get('path'))})
        return checks

    async def _mapping_get(self, kind, values, user):
        entry = self.mappings[kind].get(values['id'])
        if entry is None:
            raise die("mapping '{0}' not found".format(values['id']))
        return dict(copy.deepcopy(entry), digest=self.mapping_digest(kind))

    async def _mapping_create(self, kind, values, user):
        self.need_quorum()
        mapping_id = values['id']
        opts = self._options(kind, values)
        self._check_map_format(kind, opts.get('map', []))
        self._check_line_feed(opts)
        if kind == 'dir':
            self._check_dir_map(opts.get('map', []))
        if mapping_id in self.mappings[kind]:
            raise die("{0}: {1} ID '{2}' already defined".format(KINDS[kind]['create_failed'], kind, mapping_id))
        self.mappings[kind][mapping_id] = opts
        return None

    async def _mapping_update(self, kind, values, user):
        self.need_quorum()
        mapping_id = values['id']
        opts = self._options(kind, values)
        self._check_map_format(kind, opts.get('map', []))
        try:
            check_digest(self.mapping_digest(kind), values.get('digest'))
            if mapping_id not in self.mappings[kind]:
                raise die("{0} ID '{1}' does not exist".format(kind, mapping_id))
            self._check_line_feed(opts)
            if kind == 'dir' and 'map' in opts:
                self._check_dir_map(opts['map'])
        except PveError as exc:  # PVE's lock_*_config wraps any error with its prefix
            exc.message = '{0}: {1}'.format(KINDS[kind]['update_failed'], exc.message)
            raise
        deletes = split_list(values.get('delete'))
        for key in deletes:
            if key == 'map' or key not in KINDS[kind]['options']:
                raise param_error(delete="unknown option '{0}'".format(key) if key != 'map'
                                  else "cannot delete required option 'map'")
            if key in opts:
                raise param_error(delete="cannot set and delete property '{0}' at the same time!".format(key))
        data = self.mappings[kind][mapping_id]
        for key in deletes:
            data.pop(key, None)
        data.update(opts)
        return None

    async def _mapping_delete(self, kind, values, user):
        self.need_quorum()
        self.mappings[kind].pop(values['id'], None)
        return None
