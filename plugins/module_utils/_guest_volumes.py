# -*- coding: utf-8 -*-
# Copyright: iac.proxmox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The volume step of the guest engine (_guestrun): after the config write, the disks the plan moves to
another storage, grows, or whose detached volumes it purges (purge_volumes), each write safe to repeat after
a lost answer. Private to the collection.
"""

from __future__ import annotations

from ._errors import PveApiError, PveTaskError
from ._guest import read_config, read_status, wait_unlocked, write_guest
from ._propstring import DRIVE, format_size


class GuestVolumes(object):
    """Moves, resizes and purges the volumes the plan names."""

    def move_volumes(self, moves):
        """Each (slot, storage) of the plan: the volume moved there (the kind's move_request), the old one deleted."""
        guest = self.guest
        for slot, storage in moves:
            suffix, data = self.move_request(slot, storage)
            write_guest(self.module, guest, 'POST', guest.path + suffix, data,
                        action='move {0} of {1} to storage {2}'.format(slot, guest.label, storage),
                        lock_timeout=self.lock_timeout, task_timeout=self.params['timeout'],
                        settle=self.settled_move(slot, storage))
            self.changed = True
            self.changed_keys.append(slot)

    def resize_volumes(self, resizes):
        """Each (slot, size, size now) of the plan: the disk grown to `size` bytes."""
        guest = self.guest
        for slot, size, have in resizes:
            # An absolute size, sent again after a lost answer: a VM's resize to the current size does nothing, a
            # container's is refused (`disk is already at specified size`), which resize_settled checks.
            try:
                write_guest(self.module, guest, 'PUT', guest.path + '/resize',
                            {'disk': slot, 'size': format_size(size)},
                            action='resize {0} of {1} from {2} to {3}'.format(
                                slot, guest.label, format_size(have) if have else '?', format_size(size)),
                            lock_timeout=self.lock_timeout, task_timeout=self.params['timeout'], idempotent=True)
            except (PveApiError, PveTaskError) as exc:
                if not self.resize_settled(slot, size, exc):
                    raise
            self.changed = True
            if slot not in self.changed_keys:
                self.changed_keys.append(slot)
            self.before.setdefault(slot + '.size', format_size(have) if have else None)
            self.after[slot + '.size'] = format_size(size)

    def settled_move(self, slot, storage):
        """settle() for a disk move whose answer was lost: done once the disk is on the target storage."""
        def settle():
            wait_unlocked(self.module, self.guest, read_status(self.client, self.guest).get('lock'),
                          self.lock_timeout)
            volume = DRIVE.parse(read_config(self.client, self.guest, current=True).get(slot) or '').get('file') or ''
            return volume.split(':', 1)[0] == storage
        return settle

    def purge(self, detached):
        """Delete the volumes of disks removed with state: absent (purge_volumes)."""
        guest = self.guest
        volumes = set(v for _slot, v in detached if v)
        if self.module.check_mode:
            self.module.write('PUT', guest.path + '/config', {'delete': 'unused volumes'},
                              action='delete the volumes {0} (purge_volumes)'.format(', '.join(sorted(volumes))))
            return
        config = read_config(self.client, guest)
        unused = sorted(k for k, v in config.items() if k.startswith('unused') and DRIVE.parse(v).get('file') in volumes)
        if not unused:
            return  # still pending (the VM runs): the volumes stay until the change is applied
        write_guest(self.module, guest, 'PUT', guest.path + '/config',
                    {'delete': ','.join(unused), 'digest': config.get('digest')},
                    action='delete the volumes {0} (purge_volumes)'.format(', '.join(sorted(volumes))),
                    lock_timeout=self.lock_timeout)
        self.changed = True
