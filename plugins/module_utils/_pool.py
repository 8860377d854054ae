# -*- coding: utf-8 -*-
# Copyright: iac.proxmox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Resource pools (/pools, PVE 8+): comment and members (guests, storages), nested pools. Private to the
collection.

pve-manager PVE/API2/Pool.pm: POST /pools creates (a nested `parent/child` needs its parent), PUT /pools with
`vms`/`storage` adds members (a guest in another pool only with `allow-move`) or with `delete` removes them,
DELETE /pools?poolid= removes an empty pool. PVE does not check that a guest or storage it is given exists, so
the collection does, before any write.
"""

from __future__ import annotations

from ._errors import PveApiError, ValidationError
from ._regex import regex

POOL_SEGMENT = regex(r'^[A-Za-z][A-Za-z0-9_-]*$')
POOL_MISSING = regex(r"pool '[^']*' does not exist")


def check_poolid(option, poolid):
    """pve-poolid: up to three `/`-separated levels of letters, digits, '_' and '-'; each starts with a letter
    (Pool.pm create_pool: "pool name must start with a letter")."""
    parts = str(poolid or '').split('/')
    if not poolid or len(parts) > 3 or not all(POOL_SEGMENT.match(p) for p in parts):
        raise ValidationError(option, poolid, 'a pool ID is up to three levels separated by "/" (parent/child), each '
                                              'starting with a letter, then letters, digits, "_" and "-"')
    return poolid


def read_pool(client, poolid):
    """The pool {poolid, comment, members} or None (one request)."""
    try:
        items = client.get('/pools', poolid=poolid) or []
    except PveApiError as exc:
        if POOL_MISSING.search(exc.message or '') and exc.status not in (401, 403):
            return None
        raise
    return items[0] if items else None


def members_of(pool):
    """(guest vmids, storage ids) of a pool read from PVE."""
    vms, stores = set(), set()
    for item in (pool or {}).get('members') or []:
        if item.get('type') == 'storage':
            stores.add(item.get('storage'))
        elif item.get('vmid') is not None:
            vms.add(int(item['vmid']))
    return vms, stores


def pool_view(poolid, pool):
    if pool is None:
        return {}
    vms, stores = members_of(pool)
    return {'poolid': poolid, 'comment': pool.get('comment') or '',
            'members': [{'vmid': v} for v in sorted(vms)] + [{'storage': s} for s in sorted(stores)]}


def _view_from(poolid, comment, vms, stores):
    return {'poolid': poolid, 'comment': comment or '',
            'members': [{'vmid': v} for v in sorted(vms)] + [{'storage': s} for s in sorted(stores)]}


def parse_members(members):
    """(wanted vmids, wanted storages, unwanted vmids, unwanted storages, {guest name: present?}) from the members
    option."""
    add_vms, add_stores, del_vms, del_stores, names = set(), set(), set(), set(), {}
    for index, entry in enumerate(members or []):
        option = 'members[{0}]'.format(index)
        given = [k for k in ('vmid', 'name', 'storage') if entry.get(k) is not None]
        if len(given) != 1:
            raise ValidationError(option, entry, 'give one of vmid, name (a guest) or storage')
        absent = entry.get('state') == 'absent'
        if entry.get('vmid') is not None:
            (del_vms if absent else add_vms).add(int(entry['vmid']))
        elif entry.get('name') is not None:
            names[entry['name']] = not absent
        else:
            (del_stores if absent else add_stores).add(entry['storage'])
    both = (add_vms & del_vms) or (add_stores & del_stores)
    if both:
        raise ValidationError('members', sorted(both, key=str), 'listed both present and absent')
    return add_vms, add_stores, del_vms, del_stores, names


def resolve_names(client, pool, names):
    """{name: vmid} for the guests named: from the pool's own members when they are in it (no request), else from
    /cluster/resources (one request); names must be unique and exist."""
    known = dict((m.get('name'), int(m['vmid'])) for m in (pool or {}).get('members') or []
                 if m.get('vmid') is not None and m.get('name'))
    if all(name in known for name in names):
        return dict((name, known[name]) for name in names)
    found = {}
    guests = client.get('/cluster/resources', type='vm') or []
    for name in sorted(names):
        ids = sorted(int(g['vmid']) for g in guests if g.get('name') == name)
        if not ids:
            raise ValidationError('members', {'name': name}, 'no such guest in the cluster')
        if len(ids) > 1:
            raise ValidationError('members', {'name': name}, 'several guests carry this name ({0}); give the '
                                                             'vmid'.format(', '.join(str(i) for i in ids)))
        found[name] = ids[0]
    return found


def ensure_pool(module, poolid, state='present', comment=None, members=None, members_mode='add', allow_move=False):
    """Bring the pool to the state asked. Exits the module."""
    client = module.client
    current = read_pool(client, poolid)
    before = pool_view(poolid, current)
    if state == 'absent':
        _remove_pool(module, poolid, current)
        module.exit(changed=current is not None, poolid=poolid, pool={}, diff={'before': before, 'after': {}})
        return
    want_vms, want_stores, drop_vms, drop_stores, names = parse_members(members)
    if names:
        for name, vmid in resolve_names(client, current, names).items():
            (want_vms if names[name] else drop_vms).add(vmid)
    have_vms, have_stores = members_of(current)
    add_vms, add_stores = want_vms - have_vms, want_stores - have_stores
    if members_mode == 'exact' and members is not None:
        drop_vms |= have_vms - want_vms
        drop_stores |= have_stores - want_stores
    del_vms, del_stores = drop_vms & have_vms, drop_stores & have_stores
    set_comment = comment is not None and (current or {}).get('comment', '') != comment and \
        not (current is None and comment == '')
    if set_comment and comment == '':
        # PVE reads `comment=` as not given (pve-http-server decode_urlencoded) and Pool.pm update_pool sets the
        # comment only when it is given: it cannot be emptied through the API.
        raise ValidationError('comment', '', "PVE cannot empty a pool's comment through its API (an empty value "
                                             "counts as not given); give a new text, or leave the option out")
    moves = _check_additions(client, poolid, current, add_vms, add_stores, allow_move)
    changed = False
    if current is None:
        data = {'poolid': poolid}
        if comment:
            data['comment'] = comment
        module.write('POST', '/pools', data, action='create pool {0}'.format(poolid),
                     settle=lambda: read_pool(client, poolid) is not None)
        changed = True
        set_comment = False
    if add_vms or add_stores or set_comment:
        _add_members(module, poolid, comment if set_comment else None, add_vms, add_stores, moves)
        changed = True
    if del_vms or del_stores:
        _remove_members(module, poolid, del_vms, del_stores)
        changed = True
    after = _view_from(poolid, comment if comment is not None else (current or {}).get('comment'),
                       (have_vms | add_vms) - del_vms, (have_stores | add_stores) - del_stores)
    module.exit(changed=changed, poolid=poolid, pool=after, diff={'before': before, 'after': after})


def _remove_pool(module, poolid, current):
    """state=absent: delete the pool if it exists, refusing while it has members or child pools."""
    if current is None:
        return
    client = module.client
    vms, stores = members_of(current)
    children = [p['poolid'] for p in client.get('/pools') or [] if p['poolid'].startswith(poolid + '/')]
    what = ["pool '{0}'".format(c) for c in sorted(children)] + ['VM {0}'.format(v) for v in sorted(vms)] + \
        ["storage '{0}'".format(s) for s in sorted(stores)]
    if what:
        raise ValidationError('poolid', poolid, "pool '{0}' is not empty (contains {1}); remove its "
                                                "members first (members_mode=exact with members: [])".format(
                                                    poolid, ', '.join(what)))
    module.write('DELETE', '/pools', {'poolid': poolid}, action='delete pool {0}'.format(poolid),
                 settle=lambda: read_pool(client, poolid) is None)


def _check_additions(client, poolid, current, add_vms, add_stores, allow_move):
    """Validate before any write: the parent of a new nested pool exists, the guests and storages to add exist,
    a guest in another pool moves only with allow_move. Returns {vmid: other pool} of the guests that move."""
    if current is None and '/' in poolid:
        parent = poolid.rsplit('/', 1)[0]
        if read_pool(client, parent) is None:
            raise ValidationError('poolid', poolid, "parent '{0}' of pool '{1}' does not exist; create the parent "
                                                    "pool first".format(parent, poolid))
    moves = {}
    if add_vms:
        guests = dict((int(g['vmid']), g) for g in client.get('/cluster/resources', type='vm') or [])
        for vmid in sorted(add_vms):
            if vmid not in guests:
                raise ValidationError('members', {'vmid': vmid}, 'no such guest in the cluster')
            other = guests[vmid].get('pool')
            if other and other != poolid:
                moves[vmid] = other
        if moves and not allow_move:
            vmid = sorted(moves)[0]
            raise ValidationError('members', {'vmid': vmid}, "VM {0} belongs already to pool '{1}' and 'allow-move' "
                                                             "is not set; set allow_move to move it".format(
                                                                 vmid, moves[vmid]))
    if add_stores:
        known = sorted(s['storage'] for s in client.get('/storage') or [])
        for sid in sorted(add_stores):
            if sid not in known:
                raise ValidationError('members', {'storage': sid}, 'no such storage (storages: {0})'.format(
                    ', '.join(known) or 'none'))
    return moves


def _add_members(module, poolid, comment, add_vms, add_stores, moves):
    """One PUT adding the guests and storages (and setting the comment, unless it is None)."""
    data = {'poolid': poolid}
    if comment is not None:
        data['comment'] = comment
    if add_vms:
        data['vms'] = ','.join(str(v) for v in sorted(add_vms))
    if add_stores:
        data['storage'] = ','.join(sorted(add_stores))
    if moves:
        data['allow-move'] = 1
    what = ['VM {0}'.format(v) + (' (from pool {0})'.format(moves[v]) if v in moves else '')
            for v in sorted(add_vms)] + ['storage {0}'.format(s) for s in sorted(add_stores)]
    action = 'update pool {0}: {1}'.format(poolid, '; '.join(
        (['comment'] if comment is not None else []) + (['add ' + ', '.join(what)] if what else [])))
    module.write('PUT', '/pools', data, action=action)


def _remove_members(module, poolid, del_vms, del_stores):
    """One PUT with delete=1 removing the guests and storages."""
    data = {'poolid': poolid, 'delete': 1}
    if del_vms:
        data['vms'] = ','.join(str(v) for v in sorted(del_vms))
    if del_stores:
        data['storage'] = ','.join(sorted(del_stores))
    what = ['VM {0}'.format(v) for v in sorted(del_vms)] + ['storage {0}'.format(s) for s in sorted(del_stores)]
    module.write('PUT', '/pools', data, action='update pool {0}: remove {1}'.format(poolid, ', '.join(what)))


def converge_pool(module):
    """The module pve_pool: check the options, then converge."""
    p = module.params
    check_poolid('poolid', p['poolid'])
    ensure_pool(module, p['poolid'], state=p['state'], comment=p['comment'], members=p['members'],
                members_mode=p['members_mode'], allow_move=p['allow_move'])
