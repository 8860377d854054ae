# -*- coding: utf-8 -*-
# Copyright: iac.proxmox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Guest snapshots, VMs and containers alike: take, describe, roll back, delete, keep the newest N.
Private to the collection: not a public API.

One read of the guest's snapshot list answers whether anything is to do. Before a snapshot is taken, PVE's own
capability check (GET .../feature?feature=snapshot, pve-guest-common AbstractConfig.pm has_feature) says whether
every volume can snapshot; a guest that cannot is refused before any write with PVE's reason. Every task is
waited for.
"""

from __future__ import annotations

from ._errors import ValidationError
from ._guest import check_guest_name, find_guest
from ._regex import regex

# pve-snapshot-name (pve-common PVE/JSONSchema.pm): a pve-configid of at most 40 characters.
SNAPNAME = regex(r'^[A-Za-z][A-Za-z0-9_-]+$')
SNAPNAME_MAX = 40
NOT_AVAILABLE = 'snapshot feature is not available'


def check_snapname(option, name, kind=None):
    if not isinstance(name, str) or not SNAPNAME.match(name) or len(name) > SNAPNAME_MAX:
        raise ValidationError(option, name, 'a snapshot name starts with a letter and has only letters, digits, '
                                            '"_" and "-" (2 to {0} characters)'.format(SNAPNAME_MAX))
    reserved = reserved_name(name, kind.api if kind else None)
    if reserved:
        raise ValidationError(option, name, "unable to use snapshot name '{0}' (reserved name)".format(reserved))
    return name


def reserved_name(name, api=None):
    """The reserved name PVE refuses `name` as, or None (api None: the guest's kind is not known yet, so only
    what both kinds refuse). qemu-server API2/Qemu.pm snapshot: 'current', and 'pending' in any case;
    pve-container API2/LXC/Snapshot.pm snapshot: 'current' and 'vzdump'; both compare case-sensitively but
    for 'pending'."""
    if name == 'current':
        return 'current'
    if api == 'qemu' and name.lower() == 'pending':
        return 'pending'
    if api == 'lxc' and name == 'vzdump':
        return 'vzdump'
    return None


def list_snapshots(client, guest):
    """The guest's snapshots (without PVE's 'current' entry), oldest first."""
    items = [dict(item) for item in client.get(guest.path + '/snapshot') or [] if item.get('name') != 'current']
    return sorted(items, key=lambda item: (int(item.get('snaptime') or 0), item['name']))


def snapshot_view(item):
    out = {'name': item['name'], 'description': item.get('description') or '',
           'snaptime': int(item.get('snaptime') or 0)}
    if 'vmstate' in item:
        out['vmstate'] = bool(int(item.get('vmstate') or 0))
    if item.get('parent'):
        out['parent'] = item['parent']
    return out


def check_can_snapshot(client, guest, option):
    """PVE's has_feature('snapshot') for the guest's current config; refuses with PVE's reason."""
    answer = client.get(guest.path + '/feature', feature='snapshot') or {}
    if not int(answer.get('hasFeature') or 0):
        raise ValidationError(option, None, 'PVE cannot snapshot {0}: {1} (a volume is on a storage or in a format '
                                            'without snapshots, such as raw on dir/nfs/cifs or plain LVM; qcow2, '
                                            'LVM-thin, ZFS, Ceph RBD and Btrfs can snapshot)'.format(
                                                guest.label, NOT_AVAILABLE))


def retention_victims(snapshots, prefix, keep, new=None):
    """The names of the snapshots starting with prefix that are older than the newest `keep` ones (new: the name
    of one about to be taken, which is the newest)."""
    named = [s for s in snapshots if s['name'].startswith(prefix) and s['name'] != new]
    ordered = sorted(named, key=lambda s: (int(s.get('snaptime') or 0), s['name']), reverse=True)
    room = keep - (1 if new is not None and new.startswith(prefix) else 0)
    return [s['name'] for s in ordered[max(room, 0):]]


def ensure_snapshot(module, guest, snapname=None, description=None, vmstate=False, state='present', retention=None,
                    prefix=None, start=False, timeout=None):
    """Bring the guest's snapshots to the state asked. Returns (changed, result dict)."""
    client = module.client
    snaps = list_snapshots(client, guest)
    by_name = dict((s['name'], s) for s in snaps)
    before = {'snapshots': [snapshot_view(s) for s in snaps]}
    after_snaps = [dict(s) for s in snaps]
    changed = False
    removed = []
    path = guest.path + '/snapshot'
    if state == 'rollback':
        _rollback(module, guest, snaps, snapname, start, timeout)
        return True, dict(removed=[], diff={'before': before, 'after': before})
    if state == 'absent':
        if snapname in by_name:
            module.write('DELETE', '{0}/{1}'.format(path, snapname), timeout=timeout,
                         action='delete snapshot {0} of {1}'.format(snapname, guest.label))
            after_snaps = [s for s in after_snaps if s['name'] != snapname]
            changed = True
        after = {'snapshots': [snapshot_view(s) for s in after_snaps]}
        return changed, dict(removed=[snapname] if changed else [], diff={'before': before, 'after': after})
    new = None
    if snapname is not None and snapname not in by_name:
        new = snapname
        _take(module, guest, snapname, description, vmstate, timeout)
        changed = True
        entry = {'name': snapname, 'description': description or '', 'snaptime': 0}
        after_snaps.append(entry)
    elif snapname is not None and description is not None and \
            (by_name[snapname].get('description') or '').strip() != description.strip():
        module.write('PUT', '{0}/{1}/config'.format(path, snapname), {'description': description},
                     action='set the description of snapshot {0} of {1}'.format(snapname, guest.label))
        changed = True
        for entry in after_snaps:
            if entry['name'] == snapname:
                entry['description'] = description
    if retention is not None:
        removed = retention_victims(snaps, prefix, retention, new=new)
        for name in removed:
            module.write('DELETE', '{0}/{1}'.format(path, name), timeout=timeout,
                         action='delete snapshot {0} of {1} (retention {2})'.format(name, guest.label, retention))
        after_snaps = [s for s in after_snaps if s['name'] not in removed]
        changed = changed or bool(removed)
    if changed and not module.check_mode:
        after_snaps = list_snapshots(client, guest)
    after = {'snapshots': [snapshot_view(s) for s in after_snaps]}
    return changed, dict(removed=removed, diff={'before': before, 'after': after})


def _rollback(module, guest, snaps, snapname, start, timeout):
    """state=rollback: roll the guest back to an existing, complete snapshot (and start it)."""
    by_name = dict((s['name'], s) for s in snaps)
    if snapname not in by_name:
        raise ValidationError('snapname', snapname, 'no such snapshot of {0} (snapshots: {1})'.format(
            guest.label, ', '.join(s['name'] for s in snaps) or 'none'))
    if by_name[snapname].get('snapstate'):
        raise ValidationError('snapname', snapname, 'unable to rollback to incomplete snapshot (snapstate = '
                                                    '{0})'.format(by_name[snapname]['snapstate']))
    data = {'start': 1} if start else None
    if int(by_name[snapname].get('vmstate') or 0) and guest.kind.api == 'qemu':
        # pve-guest-common src/PVE/AbstractConfig.pm snapshot_rollback: a snapshot with RAM is resumed from it
        # (__snapshot_rollback_vm_start), with or without start.
        then = ' and resume it from the saved RAM'
    else:
        then = ' and start it' if start else ''
    module.write('POST', '{0}/snapshot/{1}/rollback'.format(guest.path, snapname), data, timeout=timeout,
                 action='roll {0} back to snapshot {1}{2}'.format(guest.label, snapname, then))


def _take(module, guest, snapname, description, vmstate, timeout):
    """Take a new snapshot (not of a template, and only when every volume can be snapshotted)."""
    if guest.template:
        raise ValidationError('snapname', snapname, "{0} is a template: you can't take a snapshot if it's a "
                                                    "template".format(guest.label))
    check_can_snapshot(module.client, guest, 'snapname')
    data = {'snapname': snapname}
    if description:
        data['description'] = description
    if vmstate:
        data['vmstate'] = 1
    module.write('POST', guest.path + '/snapshot', data, timeout=timeout, action='take snapshot {0} of {1}{2}'.format(
        snapname, guest.label, ' with RAM' if vmstate else ''))


def snapshot_facts(client, guest):
    """The snapshots pve_guest_info reports: oldest first, without PVE's 'current' entry."""
    return [snapshot_view(s) for s in list_snapshots(client, guest)]


def converge_snapshot(module):
    """The module pve_snapshot: check the options, then converge."""
    p = module.params
    if p['name'] is not None:
        check_guest_name('name', p['name'])
    if p['snapname'] is None and not (p['state'] == 'present' and p['retention'] is not None):
        raise ValidationError('snapname', None, 'is required with state={0}{1}'.format(
            p['state'], '' if p['state'] != 'present' else ' unless retention only prunes old snapshots'))
    if p['snapname'] is not None:
        check_snapname('snapname', p['snapname'])
    if p['retention'] is not None:
        if p['retention'] < 1:
            raise ValidationError('retention', p['retention'], 'must keep at least 1 snapshot')
        if not p['snapname_prefix']:
            raise ValidationError('snapname_prefix', p['snapname_prefix'], 'is required with retention: it says '
                                                                           'which snapshots the rule applies to')
        if p['state'] != 'present':
            raise ValidationError('retention', p['retention'], 'applies with state=present only')
        if p['snapname'] is not None and not p['snapname'].startswith(p['snapname_prefix']):
            raise ValidationError('snapname', p['snapname'], 'does not start with snapname_prefix {0!r}, so '
                                                             'retention would not count it'.format(p['snapname_prefix']))
    if p['start'] and p['state'] != 'rollback':
        raise ValidationError('start', True, 'applies with state=rollback only')
    if p['timeout'] < 1:
        raise ValidationError('timeout', p['timeout'], 'must be at least 1 second')
    guest = find_guest(module.client, None, vmid=p['vmid'], name=p['name'] if p['vmid'] is None else None)
    if guest is None:
        what = 'vmid' if p['vmid'] is not None else 'name'
        raise ValidationError(what, p[what], 'no such guest in the cluster')
    if p['snapname'] is not None:
        check_snapname('snapname', p['snapname'], guest.kind)
    if p['vmstate'] and guest.kind.api != 'qemu':
        raise ValidationError('vmstate', True, '{0} is a container: only VMs save their RAM with a '
                                               'snapshot'.format(guest.label))
    changed, result = ensure_snapshot(module, guest, snapname=p['snapname'], description=p['description'],
                                      vmstate=p['vmstate'], state=p['state'], retention=p['retention'],
                                      prefix=p['snapname_prefix'], start=p['start'], timeout=p['timeout'])
    module.exit(changed=changed, vmid=guest.vmid, node=guest.node, snapname=p['snapname'],
                snapshots=result['diff']['after']['snapshots'], removed=result['removed'], diff=result['diff'])
