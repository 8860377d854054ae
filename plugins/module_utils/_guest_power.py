# -*- coding: utf-8 -*-
# Copyright: iac.proxmox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The power step of the guest engine (_guestrun): start, stop, restart or make a template as the play's
state asks, reboot for pending changes when apply_pending says so, and destroy (state: absent).
Private to the collection.
"""

from __future__ import annotations

from ._errors import ValidationError
from ._guest import (destroy, read_config, read_pending, reboot, settled_template, shutdown, start, wait_unlocked,
                     write_guest)


class GuestPower(object):
    """Brings the guest to the power state the play asks (or destroys it)."""

    def absent(self):
        """state: absent - the guest destroyed once its lock is gone (stopped first: _guest.destroy)."""
        guest = self.guest
        if guest is None:
            self.module.exit(changed=False, vmid=self.params['vmid'], node=self.params['node'], status='absent',
                             diff={'before': {}, 'after': {}})
            return
        config = read_config(self.client, guest)
        if config.get('lock'):
            wait_unlocked(self.module, guest, config['lock'], self.lock_timeout)
        self.check_destroy(config)
        before = {'vmid': guest.vmid, 'name': guest.name, 'node': guest.node, 'status': guest.status}
        how = destroy(self.module, guest, config, self.params['shutdown_timeout'], force_stop=self.params['force_stop'],
                      lock_timeout=self.lock_timeout)
        self.module.exit(changed=True, vmid=guest.vmid, node=guest.node, name=guest.name, status='absent', stopped=how,
                         diff={'before': before, 'after': {}})

    def check_no_snapshots(self):
        """state: template of a guest with snapshots: PVE refuses the conversion (`unable to create template, because
        VM contains snapshots`, qemu-server API2/Qemu.pm template, pve-container API2/LXC.pm template), and only
        after this run would have written the config and shut a running guest down. Refused before any write."""
        guest = self.guest
        if self.params['state'] != 'template' or guest is None or guest.template:
            return
        names = sorted(s.get('name') for s in self.client.get(guest.path + '/snapshot') or []
                       if s.get('name') and s.get('name') != 'current')
        if names:
            raise ValidationError('state', 'template', '{0} has snapshots ({1}), and PVE makes a template only of a '
                                                       'guest without any (unable to create template, because {2} '
                                                       'contains snapshots). Nothing was changed; delete the snapshots '
                                                       'first (iac.proxmox.pve_snapshot with state: absent)'.format(
                                                           guest.label, ', '.join(names), self.kind.label))

    def power(self):
        """The power change the play's state asks for, if the guest is not in that state yet."""
        p = self.params
        guest = self.guest
        state = p['state']
        timeout = p['timeout']
        before = guest.status
        if state in ('started', 'restarted') and guest.template:
            raise ValidationError('state', state, '{0} is a template; templates cannot run'.format(guest.label))
        if state == 'started' and guest.status != 'running':
            start(self.module, guest, timeout, self.lock_timeout)
            self.power_done = True
        elif state == 'stopped' and guest.status == 'running':
            self.stopped_how = shutdown(self.module, guest, p['shutdown_timeout'], force_stop=p['force_stop'],
                                        lock_timeout=self.lock_timeout)
            self.extra_result['stopped'] = self.stopped_how
            self.power_done = True
        elif state == 'restarted' and not self.resumed:
            if guest.status == 'running':
                reboot(self.module, guest, p['shutdown_timeout'], self.lock_timeout)
            else:
                start(self.module, guest, timeout, self.lock_timeout)
            self.power_done = True
        elif state == 'template' and not guest.template:
            if guest.status == 'running':
                shutdown(self.module, guest, p['shutdown_timeout'], force_stop=p['force_stop'],
                         lock_timeout=self.lock_timeout)
            write_guest(self.module, guest, 'POST', guest.path + '/template',
                        action='convert {0} to a template'.format(guest.label), lock_timeout=self.lock_timeout,
                        task_timeout=timeout, settle=settled_template(self.module, guest))
            guest.template = True
            self.power_done = True
        if self.power_done:
            self.changed = True
            if before != guest.status and not self.resumed:
                self.before['status'] = before
                self.after['status'] = guest.status

    def settle_pending(self, current):
        """After the power step: what still waits for a restart of the running guest (self.pending, and the
        cloud-init keys in self.next_boot), rebooted away when apply_pending is reboot. Returns the effective
        config, read again when the power step changed the guest."""
        p = self.params
        guest = self.guest
        if self.power_done and guest.status == 'running' and not self.module.check_mode:
            current, self.pending = read_pending(self.client, guest)
        if self.power_done or guest.status != 'running':
            self.next_boot = []  # the guest (re)started after the change, or it reads it at its next start
        waits = self.pending or self.next_boot
        if p['apply_pending'] == 'reboot' and waits and guest.status == 'running' and p['state'] != 'stopped':
            reboot(self.module, guest, p['shutdown_timeout'], self.lock_timeout)
            self.power_done = self.changed = True
            self.next_boot = []
            if not self.module.check_mode:
                current, self.pending = read_pending(self.client, guest)
            else:
                self.pending = {}
        if self.next_boot:
            self.module.warn('{0} runs: PVE applied {1}, but the guest reads them from its cloud-init drive '
                             'only at its next boot, when PVE makes the drive anew (state: restarted or '
                             'apply_pending: reboot does that)'.format(guest.label, ', '.join(self.next_boot)))
        if self.pending and guest.status == 'running':
            self.module.warn('{0} runs with changes PVE keeps pending until the guest restarts: {1}. This run did '
                             'not apply them (state: restarted or apply_pending: reboot does)'.format(
                                 guest.label, ', '.join(sorted(self.pending))))
        return current
