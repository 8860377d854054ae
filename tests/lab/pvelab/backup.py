"""vzdump, after pve-manager's PVE/API2/VZDump.pm and PVE/VZDump.pm: a backup task per request that locks each
guest with `backup` while it runs, writes a backup volume to the storage, and fails with PVE's words when
the storage cannot take backups or runs out of space (the guest is then left as it was).
"""

import time

from fakepve.model import PveError, TaskError
from fakepve.routing import die, split_list

GIB = 1024 ** 3


class BackupApi(object):
    """Mixin for the lab's FakePve."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # PVE seconds a backup of one guest takes.
        self.backup_secs = 5

    def _routes_backup(self):
        return [('POST', '/nodes/{node}/vzdump', self._vzdump)]

    def _guest_bytes(self, guest):
        total = 0
        for key, value in guest.config.items():
            for part in str(value).split(','):
                if part.startswith('size=') and (key.startswith(('scsi', 'virtio', 'sata', 'ide', 'rootfs', 'mp',
                                                                 'efidisk', 'tpmstate'))):
                    text = part[5:]
                    unit = text[-1] if text[-1] in 'KMGT' else ''
                    number = float(text[:-1] if unit else text)
                    total += int(number * {'': 1, 'K': 1024, 'M': 1024 ** 2, 'G': GIB, 'T': 1024 ** 4}[unit])
        # A compressed backup of mostly empty disks: a tenth of their size, at least 64 MiB.
        return max(64 * 1024 ** 2, total // 10)

    async def _vzdump(self, values, user):
        node = values['node']
        storage = values.get('storage') or 'local'
        store = self.storages.get(storage)
        if store is None:
            raise die("storage '{0}' does not exist".format(storage))
        if 'backup' not in split_list(store.get('content')):
            raise die("can't use storage '{0}' for backups - wrong content type".format(storage))
        vmids = [int(v) for v in split_list(values.get('vmid'))]
        if not vmids:
            raise PveError(400, 'Parameter verification failed.', {'vmid': 'property is missing and it is not optional'})
        for vmid in vmids:
            self.require(user, '/vms/{0}'.format(vmid), 'VM.Backup')
        self.require(user, '/storage/' + storage, 'Datastore.AllocateSpace')
        mode = values.get('mode') or 'snapshot'
        log = ['INFO: starting new backup job: vzdump {0} --storage {1} --mode {2}'.format(
            ' '.join(str(v) for v in vmids), storage, mode)]

        task_id = ','.join(str(v) for v in vmids)

        async def body():
            # fakepve appends the task's record to tasklog before running its body.
            record = next(t for t in reversed(self.tasklog)
                          if t['type'] == 'vzdump' and t['id'] == task_id and t['status'] == 'running')
            failed = []
            for vmid in vmids:
                guest = self.guest(vmid)
                kind = 'qemu' if guest is not None and guest in self.vms else 'lxc'
                if guest is None or guest.node != node:
                    record['log'].append('ERROR: Backup of VM {0} failed - guest {0} not found on node {1}'.format(
                        vmid, node))
                    failed.append(vmid)
                    continue
                record['log'].append('INFO: Starting Backup of VM {0} ({1})'.format(vmid, kind))
                if guest.lock:
                    record['log'].append('ERROR: Backup of VM {0} failed - VM is locked ({1})'.format(vmid, guest.lock))
                    failed.append(vmid)
                    continue
                guest.lock = 'backup'
                if kind == 'qemu':
                    guest.config['lock'] = 'backup'
                try:
                    await self.pause(self.backup_secs)
                    size = self._guest_bytes(guest)
                    if size > store.get('avail', float('inf')):
                        record['log'].append('ERROR: Backup of VM {0} failed - vma_queue_write: write error - No '
                                             'space left on device'.format(vmid))
                        failed.append(vmid)
                        continue
                    stamp = time.strftime('%Y_%m_%d-%H_%M_%S', time.gmtime())
                    ext = 'vma.zst' if kind == 'qemu' else 'tar.zst'
                    name = 'dump/vzdump-{0}-{1}-{2}.{3}'.format(kind, vmid, stamp, ext)
                    store.setdefault('volumes', {})[name] = {'content': 'backup', 'format': ext, 'size': size,
                                                             'vmid': vmid, 'ctime': int(time.time())}
                    if 'avail' in store:
                        store['avail'] -= size
                    record['log'].append('INFO: Finished Backup of VM {0}'.format(vmid))
                finally:
                    guest.lock = None
                    if kind == 'qemu':
                        guest.config.pop('lock', None)
            if failed:
                record['log'].append('INFO: Backup job finished with errors')
                raise TaskError('job errors')
            record['log'].append('INFO: Backup job finished successfully')
            return None
        return await self.task(node, 'vzdump', task_id, user, body, log=log)
