# -*- coding: utf-8 -*-
# Copyright: iac.proxmox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read-only facts about guests, for pve_guest_info and the roles. Private to the collection.

One /cluster/resources read finds the guests; only what is asked for costs more (a config read per guest,
a pending read per running guest, an agent or interfaces read per running guest).
"""

from __future__ import annotations

from ._checks import as_memory, check_node_name, check_tags
from ._dev_cloudinit import mask_secrets
from ._diff import as_tags
from ._errors import PveApiError
from ._guest import Guest, check_guest_name, guest_addresses, list_guests, read_pending
from ._propstring import AGENT, IPCONFIG, LXC_NET, NET
from ._regex import regex
from ._snapshot import snapshot_facts

# Config keys the inventory's pve_config gives in a parsed form: property strings by format, per guest type.
PARSED_KEYS = {
    'qemu': ((regex(r'^net\d+$'), NET), (regex(r'^ipconfig\d+$'), IPCONFIG), (regex(r'^agent$'), AGENT)),
    'lxc': ((regex(r'^net\d+$'), LXC_NET),),
}
INTEGER_KEYS = ('cores', 'sockets', 'vcpus', 'memory', 'balloon', 'swap', 'cpuunits')


def select_guests(guests, vmid=None, name=None, node=None, pool=None, tags=None, kind=None, templates=True):
    """The resource entries matching every filter given."""
    wanted_tags = as_tags(tags) if tags else frozenset()
    out = []
    for item in guests:
        if vmid is not None and int(item['vmid']) != int(vmid):
            continue
        if name is not None and item.get('name') != name:
            continue
        if node is not None and item.get('node') != node:
            continue
        if pool is not None and item.get('pool') != pool:
            continue
        if kind not in (None, 'any') and item.get('type') != kind:
            continue
        if not templates and int(item.get('template') or 0):
            continue
        if wanted_tags and not wanted_tags <= as_tags(item.get('tags') or ''):
            continue
        out.append(item)
    return sorted(out, key=lambda item: int(item['vmid']))


def guest_facts(client, item, config=True, pending=True, addresses=False, snapshots=False):
    """One guest's facts: identity and state from its listing, plus what is asked for."""
    guest = Guest.from_resource(item)
    facts = {'vmid': guest.vmid, 'name': guest.name, 'node': guest.node, 'type': item['type'],
             'status': item.get('status'), 'template': guest.template, 'tags': sorted(as_tags(item.get('tags') or '')),
             'pool': item.get('pool'), 'lock': item.get('lock')}
    running = guest.status == 'running'
    try:
        if config or pending:
            if running:
                effective, waiting = read_pending(client, guest)
            else:
                effective, waiting = client.get(guest.path + '/config') or {}, {}
                effective.pop('digest', None)
            if config:
                facts['config'] = mask_secrets(effective)
                facts['protection'] = str(effective.get('protection', '0')) in ('1', 'true')
            if pending:
                facts['pending'] = waiting
        if addresses:
            facts['ip_addresses'] = guest_addresses(client, guest) if running else []
            facts['ip'] = facts['ip_addresses'][0] if facts['ip_addresses'] else None
        if snapshots:
            facts['snapshots'] = snapshot_facts(client, guest)
    except PveApiError as exc:
        # A guest on an offline node is listed with status unknown; its details cannot be read.
        facts['error'] = str(exc)
    return facts


def gather(client, filters, config=True, pending=True, addresses=False, snapshots=False):
    """The facts of the guests the filters select (the filters are checked first)."""
    if filters.get('name') is not None:
        check_guest_name('name', filters['name'])
    if filters.get('node') is not None:
        check_node_name('node', filters['node'])
    check_tags('tags', filters.get('tags') or [])
    return [guest_facts(client, item, config=config, pending=pending, addresses=addresses, snapshots=snapshots)
            for item in select_guests(list_guests(client), **filters)]


def report_guests(module):
    """pve_guest_info: the guests the filters select, with what the play asks to know of each."""
    p = module.params
    filters = dict(vmid=p['vmid'], name=p['name'], node=p['node'], pool=p['pool'], tags=p['tags'], kind=p['type'],
                   templates=p['templates'])
    guests = gather(module.client, filters, config=p['config'], pending=p['pending'], addresses=p['addresses'],
                    snapshots=p['snapshots'])
    module.exit(changed=False, guests=guests)


def inventory_host_names(guests, by_name=True):
    """The inventory host name of each guest ({vmid as str: host name}), and a warning per host name that would
    stand for several guests. PVE lets guests share a name (and a name may be another guest's VMID, which names
    a guest without a name); one inventory host for two guests would carry one guest's variables in the other's
    groups, and a play or role run against it (safe_destroy, golden_image find their guest by the host's name)
    would act on either. Those guests are left out, with the warning; hostname: vmid lists every guest."""
    hosts = dict((str(g['vmid']), str(g['name']) if by_name and g.get('name') else str(g['vmid'])) for g in guests)
    claims = {}
    for vmid, host in hosts.items():
        claims.setdefault(host, []).append(vmid)
    warnings = []
    for host, vmids in sorted(claims.items()):
        if len(vmids) > 1:
            warnings.append('{0} stands for several guests (VMIDs {1}), so none of them is an inventory host. Give '
                            'each guest a name of its own, or set hostname: vmid'.format(
                                host, ', '.join(sorted(vmids, key=int))))
            for vmid in vmids:
                del hosts[vmid]
    return hosts, warnings


def inventory_config(kind, config):
    """A guest's config as the inventory's `pve_config` gives it: NICs, `ipconfigN` and `agent` as dicts (the
    collection's property-string codec), `tags` a sorted list, sizes and counts as integers (memory in MiB),
    secrets masked, `digest` left out. Free text (`description`) and every other key stay as PVE stores them:
    a description is never read as a property string."""
    out = {}
    for key, value in mask_secrets(dict(config or {})).items():
        if key == 'digest':
            continue
        if key == 'tags':
            out[key] = sorted(as_tags(value))
            continue
        if key in INTEGER_KEYS:
            try:
                out[key] = as_memory(value) if key == 'memory' else int(value)
                continue
            except (TypeError, ValueError):
                pass
        fmt = next((f for pattern, f in PARSED_KEYS.get(kind, ()) if pattern.match(key)), None)
        if fmt is not None and isinstance(value, str):
            try:
                out[key] = fmt.parse(value)
                continue
            except ValueError:
                pass
        out[key] = value
    return out
