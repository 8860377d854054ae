# -*- coding: utf-8 -*-
# Copyright: iac.proxmox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read-only facts about guests, for pve_guest_info and the roles. Private to the collection.

One /cluster/resources read finds the guests; only what is asked for costs more (a config read per guest,
a pending read per running guest, an agent or interfaces read per running guest).
"""

from __future__ import annotations

from ._checks import check_node_name, check_tags
from ._diff import as_tags
from ._errors import PveApiError
from ._guest import Guest, check_guest_name, guest_addresses, list_guests, read_pending
from ._snapshot import snapshot_facts


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
                if 'cipassword' in effective:
                    effective['cipassword'] = '********'
                facts['config'] = effective
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
