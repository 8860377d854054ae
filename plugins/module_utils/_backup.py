# -*- coding: utf-8 -*-
# Copyright: iac.proxmox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Guest backups with vzdump. Private to the collection: not a public API."""

from __future__ import annotations

import time

from ._checks import check_storage
from ._errors import PveApiError, ValidationError
from ._guest import check_guest_name, find_guest


def backups(client, node, storage, vmid):
    """The guest's backups on the storage, newest first."""
    items = client.get('/nodes/{0}/storage/{1}/content'.format(node, storage), content='backup', vmid=vmid) or []
    return sorted(items, key=lambda item: int(item.get('ctime') or 0), reverse=True)


def check_backup_storage(client, node, storage, option='storage'):
    stores = dict((s['storage'], s) for s in client.get('/nodes/{0}/storage'.format(node)) or [])
    usable = sorted(s for s, i in stores.items() if 'backup' in str(i.get('content', '')).split(','))
    if storage not in stores:
        raise ValidationError(option, storage, 'is not a storage of node {0} (backup storages: {1})'.format(
            node, ', '.join(usable) or 'none'))
    if storage not in usable:
        raise ValidationError(option, storage, 'does not take backups (its content is {0}; backup storages: '
                                               '{1})'.format(stores[storage].get('content'), ', '.join(usable) or 'none'))


def ensure_backup(module, guest, storage, mode='snapshot', compress='zstd', max_age=0, timeout=3600, clock=time.time):
    """A backup of the guest on the storage no older than max_age seconds (0: always a new one).

    Returns (changed, the newest backup's volume entry or None in check mode). A failed vzdump task raises
    PveTaskError with the tail of its log.
    """
    client = module.client
    if max_age:
        try:
            found = backups(client, guest.node, storage, guest.vmid)
        except PveApiError:
            check_backup_storage(client, guest.node, storage)  # names the option and the node's backup storages
            raise
        if found and clock() - int(found[0].get('ctime') or 0) < max_age:
            return False, found[0]
    check_backup_storage(client, guest.node, storage)
    module.write('POST', '/nodes/{0}/vzdump'.format(guest.node),
                 {'vmid': guest.vmid, 'storage': storage, 'mode': mode, 'compress': compress},
                 action='back up {0} to {1} ({2} mode)'.format(guest.label, storage, mode), timeout=timeout)
    if module.check_mode:
        return True, None
    found = backups(client, guest.node, storage, guest.vmid)
    return True, found[0] if found else None


def backup_guest(module):
    """pve_backup: the guest the play names, backed up unless a backup younger than max_age exists."""
    p = module.params
    if p['name'] is not None:
        check_guest_name('name', p['name'])
    if p['max_age'] < 0:
        raise ValidationError('max_age', p['max_age'], 'must be 0 or more seconds')
    check_storage('storage', p['storage'])
    guest = find_guest(module.client, None, vmid=p['vmid'], name=p['name'] if p['vmid'] is None else None)
    if guest is None:
        what = 'vmid' if p['vmid'] is not None else 'name'
        raise ValidationError(what, p[what], 'no such guest in the cluster')
    changed, backup = ensure_backup(module, guest, p['storage'], mode=p['mode'], compress=p['compress'],
                                    max_age=p['max_age'], timeout=p['timeout'])
    module.exit(changed=changed, vmid=guest.vmid, node=guest.node, backup=(backup or {}).get('volid'))
