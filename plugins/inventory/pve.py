# -*- coding: utf-8 -*-
# Copyright: iac.proxmox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
name: pve
short_description: Proxmox VE guests as inventory hosts
version_added: 0.1.0
author:
  - iac.proxmox maintainers (@iac-proxmox)
description:
  - Makes every VM and container of a Proxmox VE cluster an inventory host, from one C(/cluster/resources)
    read, grouped by node, pool, tag, type and status.
  - With O(addresses), C(ansible_host) comes from the QEMU guest agent (VMs) or the container's interfaces,
    read for the running guests concurrently by at most O(address_workers) workers.
  - With O(want_config), each guest's configuration is read too (one more request per guest, by the same
    workers) and set as C(pve_config), for O(compose), O(groups) and O(keyed_groups).
  - The inventory file's name must end in C(pve.yml) or C(pve.yaml).
  - Uses the same connection options, environment variables and client as the modules.
requirements:
  - proxmoxer >= 2.3.0
  - requests >= 2.34.2
  - urllib3 >= 2.8.0
extends_documentation_fragment:
  - ansible.builtin.constructed
  - ansible.builtin.inventory_cache
options:
  plugin:
    description: The name of this plugin.
    type: str
    required: true
    choices: [iac.proxmox.pve]
  api_host:
    description: Host name or address of a PVE node that serves the API.
    type: str
    env:
      - name: PROXMOX_HOST
  api_port:
    description: Port of the PVE API.
    type: int
    default: 8006
    env:
      - name: PROXMOX_PORT
  api_user:
    description: The PVE user, with realm (V(automation@pve)); with O(api_token_id), the token's owner.
    type: str
    env:
      - name: PROXMOX_USER
  api_password:
    description: Password of O(api_user); not needed with an API token.
    type: str
    env:
      - name: PROXMOX_PASSWORD
  api_token_id:
    description: Name of an API token of O(api_user), or the full token ID.
    type: str
    env:
      - name: PROXMOX_TOKEN_ID
  api_token_secret:
    description: Secret of the API token.
    type: str
    env:
      - name: PROXMOX_TOKEN_SECRET
  validate_certs:
    description: Verify the API's TLS certificate. Leave it on; give O(ca_path) for an internal CA.
    type: bool
    default: true
    env:
      - name: PROXMOX_VALIDATE_CERTS
  ca_path:
    description: PEM file of the CA to verify the API's certificate against; wins over E(REQUESTS_CA_BUNDLE) and
      E(CURL_CA_BUNDLE).
    type: path
    env:
      - name: PROXMOX_CA_PATH
  tls_fingerprint:
    description:
      - SHA-256 fingerprint of the PVE node's certificate, as C(pvenode cert info) shows it (V(AB:CD:...)).
      - The connection is accepted only when the certificate matches, so a self-signed cluster is used securely
        without a CA.
    type: str
    env:
      - name: PROXMOX_TLS_FINGERPRINT
  api_timeout:
    description: Seconds to wait for an answer to one API request.
    type: int
    default: 30
  nodes:
    description: Only guests on these nodes.
    type: list
    elements: str
    default: []
  pools:
    description: Only guests in these pools.
    type: list
    elements: str
    default: []
  tags:
    description: Only guests carrying all these tags.
    type: list
    elements: str
    default: []
  types:
    description: Which kinds of guest.
    type: list
    elements: str
    choices: [qemu, lxc]
    default: [qemu, lxc]
  running_only:
    description: Only running guests.
    type: bool
    default: false
  include_templates:
    description: Include templates (left out by default); they are put in the group C(<group_prefix>template).
    type: bool
    default: false
  hostname:
    description:
      - What names a host - the guest's V(name), or V(vmid).
      - PVE lets guests share a name. With V(name), guests whose name another guest carries too (or is the
        VMID of a guest without a name) are left out, with a warning naming their VMIDs, so that one host never
        stands for two guests (a play against it would act on either). V(vmid) lists every guest.
    type: str
    choices: [name, vmid]
    default: name
  addresses:
    description:
      - Set C(ansible_host) from the address each running guest reports (one more request per running guest).
    type: bool
    default: false
  address_workers:
    description: How many per-guest reads (addresses, configurations) run at once.
    type: int
    default: 8
  want_config:
    description:
      - Set C(pve_config) to each guest's configuration (one more request per guest).
      - NICs (C(net0), ...), C(ipconfig0)... and C(agent) are dicts (V({model, macaddr, bridge, ...}) for a VM's
        NIC, V({name, hwaddr, bridge, ip, ...}) for a container's), C(tags) a list, C(cores), C(sockets),
        C(memory) (MiB) and the like integers; other values as PVE stores them - the C(description) stays the
        free text it is. C(cipassword) is masked.
      - A guest whose configuration cannot be read (its node is offline) gets no C(pve_config), with a warning.
    type: bool
    default: false
  group_prefix:
    description: Prefix of the groups this plugin makes.
    type: str
    default: pve_
'''

EXAMPLES = r'''
# inventory/cluster.pve.yml - every running guest, grouped, with its address from the agent
plugin: iac.proxmox.pve
api_host: pve1.example.com
api_user: automation@pve
api_token_id: inventory
# api_token_secret from the environment: PROXMOX_TOKEN_SECRET
ca_path: /etc/ssl/certs/pve-root-ca.pem
running_only: true
addresses: true
keyed_groups:
  - key: pve_tags
    prefix: tag
compose:
  ansible_user: "'debian' if pve_type == 'qemu' else 'root'"

---
# inventory/config.pve.yml - groups and variables from each guest's configuration
plugin: iac.proxmox.pve
want_config: true
include_templates: true           # templates land in the group pve_template
keyed_groups:
  - key: pve_config.tags          # the tags as a list
    prefix: cfgtag
  - key: pve_config.net0.bridge   # VMs and containers by the bridge of their first NIC
    prefix: bridge
compose:
  notes: pve_config.description | default('')                  # free text, as written in the GUI
  agent_on: pve_config.agent.enabled | default('0') == '1'
'''

import concurrent.futures
import threading

from ansible.errors import AnsibleError
from ansible.plugins.inventory import BaseInventoryPlugin, Cacheable, Constructable

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.iac.proxmox.plugins.module_utils._client import (HAS_PROXMOXER, HAS_REQUESTS, LIBRARIES_URL,
                                                                          PveClient)
from ansible_collections.iac.proxmox.plugins.module_utils._diff import as_tags
from ansible_collections.iac.proxmox.plugins.module_utils._errors import PveApiError, PveError
from ansible_collections.iac.proxmox.plugins.module_utils._guest import Guest, guest_addresses, list_guests, read_config
from ansible_collections.iac.proxmox.plugins.module_utils._info import (inventory_config, inventory_host_names,
                                                                        select_guests)
from ansible_collections.iac.proxmox.plugins.module_utils._module import (connection_settings, token_refused,
                                                                          unverified_warning)

CONNECTION_OPTIONS = ('api_host', 'api_port', 'api_user', 'api_password', 'api_token_id', 'api_token_secret',
                      'validate_certs', 'ca_path', 'tls_fingerprint', 'api_timeout')


class InventoryModule(BaseInventoryPlugin, Constructable, Cacheable):
    NAME = 'iac.proxmox.pve'

    def verify_file(self, path):
        return super().verify_file(path) and path.endswith(('pve.yml', 'pve.yaml'))

    def _client(self):
        if not (HAS_REQUESTS and HAS_PROXMOXER):
            raise AnsibleError(missing_required_lib('requests' if not HAS_REQUESTS else 'proxmoxer', url=LIBRARIES_URL,
                                                    reason='the PVE API client of iac.proxmox'))
        params = dict((name, self.get_option(name)) for name in CONNECTION_OPTIONS)
        settings = connection_settings(params)
        warning = unverified_warning(settings)
        if warning and not getattr(self, '_warned', False):
            self._warned = True
            self.display.warning('iac.proxmox.pve inventory: ' + warning)
        self._pve_client = PveClient(**settings)
        return self._pve_client

    def _read(self):
        """What the cluster says: the guests (one request) and, if asked, the running guests' addresses and every
        guest's config (one request each, by the bounded workers)."""
        client = self._client()
        kinds = self.get_option('types')
        guests = select_guests(list_guests(client), tags=self.get_option('tags'), templates=self.get_option(
            'include_templates'))
        nodes, pools = set(self.get_option('nodes')), set(self.get_option('pools'))
        guests = [g for g in guests if g['type'] in kinds and (not nodes or g.get('node') in nodes)
                  and (not pools or g.get('pool') in pools)
                  and (not self.get_option('running_only') or g.get('status') == 'running')]
        reads = []
        if self.get_option('addresses'):
            reads += [('addresses', g) for g in guests if g.get('status') == 'running']
        if self.get_option('want_config'):
            reads += [('configs', g) for g in guests]
        data = {'guests': guests, 'addresses': {}, 'configs': {}}
        for (what, vmid), value in self._per_guest(reads):
            data[what][vmid] = value
        return data

    def _per_guest(self, reads):
        """The per-guest reads ((what, resource item): a running guest's addresses, a guest's config), by a
        bounded pool of workers (one client per worker thread: a connection is not shared between threads)."""
        local = threading.local()

        def worker_client():
            if not hasattr(local, 'client'):
                local.client = self._client()
            return local.client

        def read(task):
            what, item = task
            guest = Guest.from_resource(item)
            if what == 'addresses':
                return (what, str(item['vmid'])), guest_addresses(worker_client(), guest)
            try:
                return (what, str(item['vmid'])), inventory_config(item['type'], read_config(worker_client(), guest))
            except PveApiError as exc:  # a guest on an offline node, or gone since the listing
                return (what, str(item['vmid'])), {'__error__': str(exc)}
        if not reads:
            return []
        workers = max(1, int(self.get_option('address_workers')))
        with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
            return list(pool.map(read, reads))

    def parse(self, inventory, loader, path, cache=True):
        super().parse(inventory, loader, path, cache)
        self._read_config_data(path)
        cache_key = self.get_cache_key(path)
        use_cache = self.get_option('cache') and cache
        data = None
        if use_cache:
            try:
                data = self._cache[cache_key]
            except KeyError:
                data = None
        if data is None:
            try:
                data = self._read()
            except PveError as exc:
                refused = token_refused(exc, getattr(self, '_pve_client', None)) if isinstance(exc, PveApiError) \
                    else None
                raise AnsibleError('iac.proxmox.pve inventory: {0}'.format(refused or exc))
            if self.get_option('cache'):
                self._cache[cache_key] = data
        self._populate(data)

    def _group(self, *parts):
        name = self._sanitize_group_name(self.get_option('group_prefix') + '_'.join(str(p) for p in parts))
        return self.inventory.add_group(name)

    def _populate(self, data):
        strict = self.get_option('strict')
        names, warnings = inventory_host_names(data['guests'], by_name=self.get_option('hostname') == 'name')
        for warning in warnings:
            self.display.warning('iac.proxmox.pve inventory: ' + warning)
        for item in data['guests']:
            vmid = str(item['vmid'])
            if vmid not in names:  # its name stands for several guests (see inventory_host_names)
                continue
            host = self.inventory.add_host(names[vmid])
            tags = sorted(as_tags(item.get('tags') or ''))
            facts = {'pve_vmid': int(vmid), 'pve_name': item.get('name'), 'pve_node': item.get('node'),
                     'pve_type': item['type'], 'pve_status': item.get('status'), 'pve_tags': tags,
                     'pve_pool': item.get('pool'), 'pve_template': bool(int(item.get('template') or 0)),
                     'pve_lock': item.get('lock')}
            found = data['addresses'].get(vmid)
            if found:
                facts['ansible_host'] = found[0]
                facts['pve_ip_addresses'] = found
            config = data.get('configs', {}).get(vmid)
            if config is not None and '__error__' in config:
                self.display.warning('iac.proxmox.pve inventory: no pve_config for {0}: {1}'.format(
                    host, config['__error__']))
            elif config is not None:
                facts['pve_config'] = config
            for key, value in facts.items():
                self.inventory.set_variable(host, key, value)
            for group in (self._group('node', item.get('node')), self._group('type', item['type']),
                          self._group('status', item.get('status'))):
                self.inventory.add_child(group, host)
            if item.get('pool'):
                self.inventory.add_child(self._group('pool', item['pool']), host)
            if facts['pve_template']:
                self.inventory.add_child(self._group('template'), host)
            for tag in tags:
                self.inventory.add_child(self._group('tag', tag), host)
            variables = self.inventory.get_host(host).get_vars()
            self._set_composite_vars(self.get_option('compose'), variables, host, strict=strict)
            self._add_host_to_composed_groups(self.get_option('groups'), variables, host, strict=strict)
            self._add_host_to_keyed_groups(self.get_option('keyed_groups'), variables, host, strict=strict)
