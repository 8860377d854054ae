# -*- coding: utf-8 -*-
# Copyright: iac.proxmox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The guest engine pve_vm and pve_lxc share: find or create the guest, converge its config, then its power
state. Private to the collection.

One read of the current state (the guest, its config, and its pending changes when it runs), validation of
the spec against it, the diff, then the writes in order: create or clone, one config write, volume moves,
resizes, purges, the kind's own extra steps, power. In check mode the same steps are only planned. A
subclass per guest kind (_vm.VmRun, _lxc.CtRun) supplies the spec and what differs between the kinds.
"""

from __future__ import annotations

import contextlib

from ._checks import check_node_name, check_storage
from ._diff import AS_STORED, CREATE_ONLY, DiffError, compare, tags_need_style
from ._errors import PveApiError, PveError, PveTaskError, ValidationError, is_hotplug_problem
from ._guest import (QEMU, Guest, GuestState, allocate_vmid, check_guest_name, destroy, find_guest, find_guest_state,
                     is_denied, is_vmid_collision, list_guests, read_config, read_pending, read_state, read_status,
                     reboot, settled_created, settled_template, shutdown, start, wait_unlocked, write_guest)
from ._propstring import DRIVE, PropFormat, format_size

CONFIG_ONLY = ('digest',)
# The config lock of a hibernated VM, and the keys hibernation adds until the resume removes them.
HIBERNATED = 'suspended'
HIBERNATION_KEYS = ('lock', 'vmstate', 'runningmachine', 'runningcpu', 'running-nets-host-mtu')


def clean(config):
    """A config without the keys that are not settings (the digest)."""
    return dict((k, v) for k, v in (config or {}).items() if k not in CONFIG_ONLY)


def read_tag_style(client):
    """The datacenter's `tag-style` as a dict ({} when unset): GET /cluster/options, which every user may read
    (pve-manager API2/Cluster.pm get_options; pve-cluster DataCenterConfig.pm parses it into an object)."""
    style = (client.get('/cluster/options') or {}).get('tag-style') or {}
    if isinstance(style, str):
        style = PropFormat('tag-style').parse(style)
    return style


class GuestRun(object):
    """One pve_vm or pve_lxc task. Subclasses set the class attributes and the hooks below."""

    kind = None               # _guest.QEMU or _guest.LXC
    noun = 'guest'            # as messages name one: VM, container
    storage_content = 'images'
    storage_noun = 'VM disks'
    max_vcpus = 512

    def make_spec(self, params):
        raise NotImplementedError

    def create_from_scratch(self):
        raise NotImplementedError

    def clone_preview(self, source_config):
        """The config a clone of the source will have (check mode shows the plan against it)."""
        return clean(source_config)

    def clone_slots(self, source_config):
        """Volume slots a clone brings along."""
        return ()

    def check_clone_node(self, source, source_config, node):
        """Refuse, before any write, a clone to another node that PVE would refuse (see _vm.VmRun)."""

    def vcpus(self, desired, current):
        return int(desired.get('cores', current.get('cores', 1)))

    def config_method(self, plan, delta):
        return 'PUT'

    def config_read_timeout(self, plan, delta):
        """Seconds to wait for the answer to the config write, when PVE answers it only once slow work is done
        (None: api_timeout)."""
        return None

    def move_request(self, slot, storage):
        """(path suffix, parameters) of the request moving a volume to another storage."""
        raise NotImplementedError

    def extra_actions(self, plan, delta):
        """The kind's own steps after the config write (VMs regenerate their cloud-init drive)."""

    def after_power(self):
        """The kind's own steps after power changes (VMs can wait for their guest agent)."""

    def result_config(self, config):
        return config

    def resize_settled(self, slot, size, exc):
        """True if a failed resize of slot to size bytes found the disk already resized (see CtRun)."""
        return False

    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.client = module.client
        self.spec = self.make_spec(module.params)
        self.lock_timeout = module.params['lock_timeout']
        self.changed = False
        self.changed_keys = []
        self.before = {}
        self.after = {}
        self.guest = None
        self.power_done = False
        self.resumed = False  # a hibernated VM was resumed by this run (that start was its power change)
        self.pending = {}
        # Keys PVE applied at once that the running guest only reads at its next boot (cloud-init).
        self.next_boot = []
        self.stopped_how = None
        self._guests = None
        self.state = None  # the guest's GuestState when it was read together with the guest
        self._node_storages = {}
        self.extra_result = {}

    def node_storages(self, node):
        """The storages of a node by ID (read once per node and run)."""
        if node not in self._node_storages:
            self._node_storages[node] = dict((s['storage'], s) for s in
                                             self.client.get('/nodes/{0}/storage'.format(node)) or [])
        return self._node_storages[node]

    def guests(self):
        """The cluster's guest list, read once per run and only when needed."""
        if self._guests is None:
            self._guests = list_guests(self.client)
        return self._guests

    # ------------------------------------------------------------------ entry

    def run(self):
        p = self.params
        if p['vmid'] is None and p['name'] is None:
            raise ValidationError('name', None, 'give the {0} a name or a vmid'.format(self.noun))
        if p['name'] is not None:
            check_guest_name('name', p['name'])
        if p['node'] is not None:
            check_node_name('node', p['node'])
        if p['vmid'] is not None and not 100 <= p['vmid'] <= 999999999:
            raise ValidationError('vmid', p['vmid'], 'must be 100-999999999')
        check_storage('storage', p['storage'])
        try:
            self.find()
        except PveApiError as exc:
            if not is_denied(exc) or p['vmid'] is None:
                raise
            self.find_denied(exc)
        if p['state'] == 'absent':
            return self.absent()
        if p.get('tags') is not None:
            # How PVE stores these tags may depend on the datacenter's tag-style: then one read, else none.
            self.spec.tag_style = read_tag_style(self.client) if tags_need_style(p['tags']) else AS_STORED
        if self.guest is None:
            current = self.create()
        else:
            current = self.converge_existing()
        return self.finish(current)

    def find(self):
        p = self.params
        if p['vmid'] is not None and p['node'] is not None and p['state'] != 'absent':
            # The common case of a fleet: the guest and its config in one round trip, no cluster listing.
            self.guest, self.state = find_guest_state(self.client, self.kind, p['vmid'], p['node'])
            if self.guest is None:  # not there: elsewhere in the cluster, or new (the listing serves both)
                self.guest = find_guest(self.client, self.kind, vmid=p['vmid'], guests=self.guests())
        elif p['vmid'] is not None:
            self.guest = find_guest(self.client, self.kind, vmid=p['vmid'], node=p['node'])
        else:
            self.guest = find_guest(self.client, self.kind, name=p['name'], guests=self.guests())

    def find_denied(self, exc):
        """PVE answered 403 for /vms/<vmid>: the user may not see that VMID, which says nothing about whether a
        guest has it (PVE checks the privilege first). With `pool` and the user's ACL on that pool, a guest in
        the pool would be visible, so the VMID is not in the pool: create it there (PVE checks VM.Allocate on
        /pool/<pool> and refuses a VMID that is taken). Otherwise the 403 is the answer, explained."""
        p = self.params
        if p['pool'] and p['state'] != 'absent':
            self.guest = find_guest(self.client, self.kind, vmid=p['vmid'], guests=self.guests())
            if self.guest is None:
                return
        raise PveError('vmid {0}: PVE refuses to show {1} {0} to this user (HTTP 403: {2}), so whether it exists '
                       'is unknown; nothing was changed. A user whose privileges are on a pool sees only the '
                       'guests in that pool and creates guests there: give pool: <pool>{3}, or grant VM.Audit on '
                       '/vms/{0}.'.format(p['vmid'], self.kind.label, exc.message,
                                          ' (the guest is not in pool {0})'.format(p['pool']) if p['pool'] else ''))

    # ------------------------------------------------------------------ destroy

    def absent(self):
        guest = self.guest
        if guest is None:
            self.module.exit(changed=False, vmid=self.params['vmid'], node=self.params['node'], status='absent',
                             diff={'before': {}, 'after': {}})
            return
        config = read_config(self.client, guest)
        if config.get('lock'):
            wait_unlocked(self.module, guest, config['lock'], self.lock_timeout)
        before = {'vmid': guest.vmid, 'name': guest.name, 'node': guest.node, 'status': guest.status}
        how = destroy(self.module, guest, config, self.params['shutdown_timeout'], force_stop=self.params['force_stop'],
                      lock_timeout=self.lock_timeout)
        self.module.exit(changed=True, vmid=guest.vmid, node=guest.node, name=guest.name, status='absent', stopped=how,
                         diff={'before': before, 'after': {}})

    # ------------------------------------------------------------------ create

    def _check_name_free(self, name, vmid=None):
        for item in self.guests():
            if item.get('name') == name and (vmid is None or int(item['vmid']) != int(vmid)):
                raise ValidationError('name', name, 'is already the name of {0} {1} on {2}'.format(
                    'VM' if item['type'] == 'qemu' else 'CT', item['vmid'], item['node']))

    def create(self):
        p = self.params
        if p['name'] is None:
            raise ValidationError('name', None, 'a new {0} needs a name'.format(self.noun))
        if p['vmid'] is not None:
            self._check_name_free(p['name'])
        if p['clone'] is not None:
            return self.clone()
        return self.create_from_scratch()

    def clone(self):
        p = self.params
        ref = str(p['clone'])
        source = find_guest(self.client, self.kind, vmid=int(ref) if ref.isdigit() else None,
                            name=None if ref.isdigit() else ref, guests=self.guests())
        if source is None:
            raise ValidationError('clone', ref, 'no {0} or template with this {1} in the cluster'.format(
                self.noun, 'VMID' if ref.isdigit() else 'name'))
        # A clone copies the source's current values and drops its pending ones (clone_vm).
        source_config = read_config(self.client, source, current=True)
        node = p['node'] or source.node
        if not p['full']:
            if not source.template:
                raise ValidationError('full', False, 'a linked clone needs a template as its source; {0} is not '
                                                     'one'.format(source.label))
            if p['storage']:
                raise ValidationError('storage', p['storage'], 'a linked clone stays on the template\'s storage; use '
                                                               'full: true to clone onto another storage')
        if p['snapname'] and p['snapname'] not in self._snapshots(source):
            raise ValidationError('snapname', p['snapname'], 'is not a snapshot of {0}'.format(source.label))
        preview = self.clone_preview(source_config)
        plan = self.spec.plan(preview, creating=True, clone_slots=self.clone_slots(source_config))
        self.check_clone_keeps(source, preview, plan)
        storages = dict(plan.storages)
        if p['storage']:
            storages.setdefault(p['storage'], 'storage')
        self.validate_cluster(node, preview, plan, storages, check_node=node != source.node)
        if node != source.node:
            self.check_clone_node(source, source_config, node)
        data = {self.kind.name_key: p['name'], 'full': 1 if p['full'] else 0, 'storage': p['storage'], 'pool': p['pool'],
                'snapname': p['snapname'], 'target': node if node != source.node else None}
        where = ' (storage {0})'.format(p['storage']) if p['storage'] else ''
        action = 'clone {0} to new {1} {2} on {3}{4}'.format(source.label, self.kind.label, p['name'], node, where)

        def do_clone(newid):
            with self.creating(newid):
                return write_guest(self.module, source, 'POST', source.path + '/clone', dict(data, newid=newid),
                                   action=action, lock_timeout=self.lock_timeout, task_timeout=p['timeout'],
                                   settle=self.settled_create(newid))
        self.changed = True
        self.before = {}
        if self.module.check_mode:
            do_clone(p['vmid'])
            self.guest = Guest(self.kind, p['vmid'], node, name=p['name'], status='stopped')
            return self.converge(preview, None, new=True)
        if p['vmid'] is not None:
            do_clone(p['vmid'])
            vmid = p['vmid']
        else:
            vmid, _answer = allocate_vmid(self.module, do_clone)
        self.guest = Guest(self.kind, vmid, node, name=p['name'], status='stopped')
        config = read_config(self.client, self.guest)
        return self.converge(clean(config), config.get('digest'), new=True)

    def check_clone_keeps(self, source, preview, plan):
        """Before the clone: the play asks nothing of the clone that PVE cannot write to an existing guest.
        A clone keeps its source's create-only keys (LXC `unprivileged` is read-only after creation), so a
        different value is refused here, with the source named, instead of after the clone."""
        fields = plan.fields()
        for key in sorted(plan.desired):
            field = fields[key]
            if field.mode != CREATE_ONLY or plan.desired[key] is None:
                continue
            have = field.norm(preview.get(key))
            if field.norm(plan.desired[key]) != have:
                raise DiffError(key, self.clone_keeps_message(source, key, have, plan.desired[key]))
        compare(plan.desired, preview, fields)  # what else cannot be reached from the source (shrinking, ...)

    def clone_keeps_message(self, source, key, have, want):
        return ('{0}: {1} has {0}: {2}, and a clone keeps its source\'s value ({0} can only be set when a {3} is '
                'created); clone a source with {0}: {4}, or leave {0} out. Nothing was cloned.'.format(
                    key, source.label, have, self.noun, want))

    def settled_create(self, vmid):
        """settle() for this run's create or clone of `vmid` (see _guest.settled_created)."""
        if vmid is None:
            return None
        return settled_created(self.module, self.kind, vmid, self.params['name'], self.params['timeout'])

    @contextlib.contextmanager
    def creating(self, vmid):
        """Around a create or clone: if its task fails, say whether PVE left a guest behind."""
        try:
            yield
        except PveTaskError as exc:
            if vmid is not None and not is_vmid_collision(exc):
                left = [g for g in list_guests(self.client) if int(g['vmid']) == int(vmid)]
                if left:
                    guest = Guest.from_resource(left[0])
                    exc.hint = ('{0} was left behind ({1}{2}); remove it (state: absent) before trying '
                                'again.'.format(guest.label, guest.status, ', locked: {0}'.format(guest.lock)
                                                if guest.lock else ''))
                else:
                    exc.hint = 'PVE removed what it had made: nothing was left behind with VMID {0}.'.format(vmid)
            raise

    def _snapshots(self, guest):
        return [s.get('name') for s in self.client.get(guest.path + '/snapshot') or [] if s.get('name') != 'current']

    # ------------------------------------------------------------------ converge

    def converge_existing(self):
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
            self._check_name_free(p['name'], vmid=guest.vmid)
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
        `digest` is the config digest `current` was read with (None: read it when writing)."""
        p = self.params
        guest = self.guest
        plan = self.spec.plan(current, creating=new)
        delta = compare(plan.desired, current, plan.fields())
        work = delta.changed or plan.resizes or plan.moves or (p['purge_volumes'] and plan.detached)
        if work and not new:
            self.validate_cluster(guest.node, current, plan, dict(plan.storages))
        if new:
            self.after.update(delta.after)
        else:
            self.before.update(delta.before)
            self.after.update(delta.after)
        self.changed_keys.extend(delta.changed_keys)
        if delta.changed:
            self.write_config(plan, delta, digest, new)
            self.changed = True
        for slot, storage in plan.moves:
            suffix, data = self.move_request(slot, storage)
            write_guest(self.module, guest, 'POST', guest.path + suffix, data,
                        action='move {0} of {1} to storage {2}'.format(slot, guest.label, storage),
                        lock_timeout=self.lock_timeout, task_timeout=p['timeout'],
                        settle=self.settled_move(slot, storage))
            self.changed = True
            self.changed_keys.append(slot)
        for slot, size, have in plan.resizes:
            # An absolute size, sent again after a lost answer: a VM's resize to the current size does nothing, a
            # container's is refused (`disk is already at specified size`), which resize_settled checks.
            try:
                write_guest(self.module, guest, 'PUT', guest.path + '/resize',
                            {'disk': slot, 'size': format_size(size)},
                            action='resize {0} of {1} from {2} to {3}'.format(
                                slot, guest.label, format_size(have) if have else '?', format_size(size)),
                            lock_timeout=self.lock_timeout, task_timeout=p['timeout'], idempotent=True)
            except (PveApiError, PveTaskError) as exc:
                if not self.resize_settled(slot, size, exc):
                    raise
            self.changed = True
            if slot not in self.changed_keys:
                self.changed_keys.append(slot)
            self.before.setdefault(slot + '.size', format_size(have) if have else None)
            self.after[slot + '.size'] = format_size(size)
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

    def settled_move(self, slot, storage):
        """settle() for a disk move whose answer was lost: done once the disk is on the target storage."""
        def settle():
            wait_unlocked(self.module, self.guest, read_status(self.client, self.guest).get('lock'),
                          self.lock_timeout)
            volume = DRIVE.parse(read_config(self.client, self.guest, current=True).get(slot) or '').get('file') or ''
            return volume.split(':', 1)[0] == storage
        return settle

    def after_write(self, config, plan):
        """The effective config after the writes (one read, or none when the start that follows reads it)."""
        guest = self.guest
        if guest.status == 'running':
            effective, self.pending = read_pending(self.client, guest)
            return effective
        if config is None and self.params['state'] in ('started', 'restarted') and not guest.template:
            return {}  # finish() reads the config once the guest runs
        return config if config is not None else clean(read_config(self.client, guest))

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

    # ------------------------------------------------------------------ validation against the cluster

    def validate_cluster(self, node, current, plan, storages, check_node=False):
        """What needs the cluster to check: the node, the storages new volumes go to, the vCPU count."""
        p = self.params
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

    # ------------------------------------------------------------------ power and results

    def power(self):
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

    def finish(self, current):
        p = self.params
        guest = self.guest
        self.power()
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
        self.after_power()
        config = self.result_config(dict(current))
        self.module.exit(changed=self.changed, vmid=guest.vmid, node=guest.node,
                         name=config.get(self.kind.name_key, guest.name),
                         status=guest.status, template=guest.template, changed_keys=self.changed_keys,
                         pending=sorted(self.pending), reboot_required=bool(self.pending or self.next_boot),
                         config=config,
                         diff={'before': self.before, 'after': self.after}, **self.extra_result)
