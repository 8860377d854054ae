# -*- coding: utf-8 -*-
# Copyright: iac.proxmox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The converge-config step of the guest engine (_guestrun): an existing guest's state read once (waiting
out a lock, resuming a hibernated VM), validated against the cluster, and one config write guarded by the
config digest and retried after a lost answer or another writer's change. Private to the collection.
"""

from __future__ import annotations

from ._diff import compare
from ._errors import PveApiError, PveError, ValidationError, is_hotplug_problem
from ._guest import (QEMU, GuestState, find_guest, read_config, read_pending, read_state, start, wait_unlocked,
                     write_guest)
from ._guest_start import check_hookscript, check_root_only

CONFIG_ONLY = ('digest',)
# The config lock of a hibernated VM, and the keys hibernation adds until the resume removes them.
HIBERNATED = 'suspended'
HIBERNATION_KEYS = ('lock', 'vmstate', 'runningmachine', 'runningcpu', 'running-nets-host-mtu')


def clean(config):
    """A config without the keys that are not settings (the digest)."""
    return dict((k, v) for k, v in (config or {}).items() if k not in CONFIG_ONLY)


class GuestConfig(object):
    """Brings the config of an existing (or just created) guest to the spec."""

    # PVE key -> PVE's refusal of it for anyone but root@pam logged in with a password (checked before a write).
    root_only_keys = {}

    def converge_existing(self):
        """An existing guest: a rename checked, a lock waited out (or a hibernated VM resumed) when there is
        work, then its config converged."""
        guest = self.guest
        p = self.params
        if p['state'] in ('started', 'restarted') and guest.template:
            raise ValidationError('state', p['state'], '{0} is a template; templates cannot run'.format(guest.label))
        if p['vmid'] is not None and p['name'] is not None and guest.name != p['name']:
            if p.get('clone') is not None:
                # Other tools take vmid as the clone source; here it is the new guest's ID. Never rename then.
                raise ValidationError('vmid', p['vmid'], 'is {0} already; with clone, vmid is the ID for the new '
                                                         '{1} {2}, so nothing was renamed or cloned'.format(
                                                             guest.label, self.noun, p['name']))
            self.check_name_free(p['name'], vmid=guest.vmid)
        ref = None if p.get('clone') is None else str(p['clone'])
        if ref is not None and (ref == guest.name or (ref.isdigit() and int(ref) == guest.vmid)):
            # The play names the clone source itself as the guest: converging it would change the source.
            option = 'name' if p['vmid'] is None else 'vmid'
            raise ValidationError(option, p[option], 'is the clone source {0} itself; give the new {1} a name (and '
                                                     'vmid) of its own. Nothing was cloned or changed'.format(
                                                         guest.label, self.noun))
        state = self.state or read_state(self.client, guest)
        lock = state.lock or guest.lock
        if lock == HIBERNATED and self.kind is QEMU:
            state = self.resume_hibernated(state)
            lock = state.lock
        if lock and self._has_work(state.effective):
            wait_unlocked(self.module, guest, lock, self.lock_timeout)
            if lock == 'migrate':
                self.guest = guest = find_guest(self.client, self.kind, vmid=guest.vmid)
            state = read_state(self.client, guest)
        # A stopped guest takes its pending values with the next write or start: nothing waits on a reboot.
        self.pending = state.pending if guest.status == 'running' else {}
        return self.converge(state.effective, state.digest, new=False)

    def resume_hibernated(self, state):
        """A VM hibernated (`qm suspend --todisk`) carries `lock: suspended` until a start resumes it from its
        saved state (qemu-server QemuServer.pm vm_start: the one lock start accepts; the state volume and the
        lock go once it runs). state started or restarted: resume it first, then converge it as a running VM.
        Otherwise nothing but a start clears the lock: fail at once when there is work, instead of waiting."""
        guest, p = self.guest, self.params
        if p['state'] not in ('started', 'restarted'):
            if self._has_work(state.effective):
                raise PveError('{0} is hibernated (lock: suspended, its memory saved in {1}); PVE changes nothing '
                               'of it until a start resumes it. Use state: started to resume it, then '
                               'converge it; nothing was changed.'.format(guest.label,
                                                                          state.effective.get('vmstate') or '?'))
            return state
        self.before['status'] = 'hibernated'
        start(self.module, guest, p['timeout'], self.lock_timeout,
              action='resume {0} from hibernation (start)'.format(guest.label))
        self.after['status'] = guest.status
        self.power_done = self.resumed = self.changed = True
        if self.module.check_mode:
            return GuestState(dict((k, v) for k, v in state.effective.items() if k not in HIBERNATION_KEYS),
                              {}, state.digest)
        return read_state(self.client, guest)

    def _has_work(self, effective):
        try:
            plan = self.spec.plan(effective, creating=False)
            delta = compare(plan.desired, effective, plan.fields())
        except ValueError:
            return True
        if delta.changed or plan.resizes or plan.moves:
            return True
        state = self.params['state']
        status = self.guest.status
        return (state == 'started' and status != 'running') or (state == 'stopped' and status == 'running') or \
            state == 'restarted' or (state == 'template' and not self.guest.template)

    def converge(self, current, digest, new):
        """Converge the config of an existing (or just cloned) guest from `current` (its effective config);
        `digest` is the config digest `current` was read with (None: read it when writing). The config write,
        then the volume actions and the kind's own steps; returns the effective config after them."""
        p = self.params
        plan = self.spec.plan(current, creating=new)
        delta = compare(plan.desired, current, plan.fields())
        work = delta.changed or plan.resizes or plan.moves or (p['purge_volumes'] and plan.detached)
        if work and not new:
            self.validate_cluster(self.guest.node, current, plan, dict(plan.storages))
        if not new:
            self.before.update(delta.before)
        self.after.update(delta.after)
        self.changed_keys.extend(delta.changed_keys)
        if delta.changed:
            self.write_config(plan, delta, digest, new)
            self.changed = True
        self.move_volumes(plan.moves)
        self.resize_volumes(plan.resizes)
        if p['purge_volumes'] and plan.detached:
            self.purge(plan.detached)
        self.extra_actions(plan, delta)
        if self.changed and not self.module.check_mode:
            return self.after_write(None, plan)
        merged = dict(current)
        merged.update(delta.set)
        for key in delta.delete:
            merged.pop(key, None)
        return merged

    def write_config(self, plan, delta, digest, new):
        """The one config write, through module.write_fresh: after a lost answer or another writer's change
        the config is read again and only what is still missing is written, with the new digest."""
        guest = self.guest

        def send():
            nonlocal digest
            params = delta.params()
            if digest is None and not self.module.check_mode:
                digest = read_config(self.client, guest).get('digest')
            if digest:
                params['digest'] = digest
            try:
                write_guest(self.module, guest, self.config_method(plan, delta), guest.path + '/config', params,
                            action='set config of {0}: {1}'.format(guest.label, ', '.join(delta.changed_keys)),
                            lock_timeout=self.lock_timeout, task_timeout=self.params['timeout'],
                            read_timeout=self.config_read_timeout(plan, delta))
            except PveApiError as exc:
                if not is_hotplug_problem(exc):
                    raise
                # PVE wrote the change and applied the rest; these keys wait for the next start.
                self.module.warn('{0}: PVE could not hot-plug {1} ({2}); the change stays pending until the '
                                 'guest restarts'.format(guest.label, ', '.join(sorted(exc.errors)), '; '.join(
                                     '{0}: {1}'.format(k, v) for k, v in sorted(exc.errors.items()))))

        def reread():
            nonlocal plan, delta, digest
            state = read_state(self.client, guest)
            plan = self.spec.plan(state.effective, creating=new)
            delta = compare(plan.desired, state.effective, plan.fields())
            digest = state.digest
            return bool(delta.changed)
        self.module.write_fresh(send, reread)

    def after_write(self, config, plan):
        """The effective config after the writes (one read, or none when the start that follows reads it)."""
        guest = self.guest
        if guest.status == 'running':
            effective, self.pending = read_pending(self.client, guest)
            return effective
        if config is None and self.params['state'] in ('started', 'restarted') and not guest.template:
            return {}  # finish() reads the config once the guest runs
        return config if config is not None else clean(read_config(self.client, guest))

    def validate_cluster(self, node, current, plan, storages, check_node=False):
        """What needs the cluster to check: the node, the storages new volumes go to, the vCPU count."""
        p = self.params
        check_root_only(self.client, p, current, plan, self.root_only_keys)
        check_hookscript(self, node, current, plan)
        nodes = None
        if check_node or 'cores' in plan.desired or 'sockets' in plan.desired:
            nodes = dict((n['node'], n) for n in self.client.get('/nodes') or [])
            if node not in nodes:
                raise ValidationError('node', node, 'is not a node of the cluster (nodes: {0})'.format(
                    ', '.join(sorted(nodes))))
            vcpus = self.vcpus(plan.desired, current)
            limit = min(int(nodes[node].get('maxcpu') or self.max_vcpus), self.max_vcpus)
            if vcpus > limit:
                raise ValidationError('cores', p.get('cores'), '{0} vCPUs are more than node {1} has CPU threads '
                                                               '({2})'.format(vcpus, node, limit))
        for check in plan.checks:
            check(self, node)
        if storages:
            available = self.node_storages(node)
            for storage, option in sorted(storages.items()):
                info = available.get(storage)
                content = self.storage_content
                usable = sorted(s for s, i in available.items() if content in str(i.get('content', '')).split(','))
                if info is None:
                    raise ValidationError(option, storage, 'is not a storage of node {0} (storages for {1}: '
                                                           '{2})'.format(node, self.storage_noun,
                                                                         ', '.join(usable) or 'none'))
                if content not in str(info.get('content', '')).split(','):
                    raise ValidationError(option, storage, 'does not hold {0} (its content is {1}; storages for {0}: '
                                                           '{2})'.format(self.storage_noun, info.get('content'),
                                                                         ', '.join(usable) or 'none'))
                if not int(info.get('active', 1) or 0) or not int(info.get('enabled', 1) or 0):
                    raise ValidationError(option, storage, 'is not active on node {0}'.format(node))
