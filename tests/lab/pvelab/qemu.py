"""QEMU behaviour fakepve leaves out, after qemu-server's PVE/API2/Qemu.pm and PVE/QemuServer.pm:

* config writes allocate new disks (`storage:size`, `storage:cloudinit`) as create does, and detach a
  removed disk to the next `unusedN` instead of forgetting it; deleting an `unusedN` frees its volume;
* `PUT .../resize` is routed here and served by pverules.PveRules (its checks run inside the task, as resize_vm does);
* `POST .../move_disk` moves a disk to another storage;
* a clone gets its own cloud-init drive (on the clone's target storage) instead of sharing the source's;
* `cipassword` is stored hashed and read back as `**********`; `PUT .../cloudinit` regenerates the drive,
  and so does every start (vm_start_nolock -> apply_cloudinit_config);
* the guest agent answers once a VM with `agent: 1` has run for `agent_boot_secs` PVE seconds, and reports
  the addresses the guest configured at its last boot from its cloud-init drive (see guestnet.py).
"""

import hashlib
import json
import re
import time

from aiohttp import web

from fakepve.model import FakeVm, PveError, TaskError
from fakepve.qemu import DRIVE_KEY, NEW_DISK, is_cdrom, join_drive, split_drive, volume_ref
from fakepve.routing import die, param_error
from fakepve.storage import _is_file, spec_of

from .guestnet import DhcpServer, boot, cloudinit_data, has_cloudinit_drive

MASKED_PASSWORD = '**********'
UNUSED_KEY = re.compile(r'^unused\d+$')


def agent_enabled(config):
    enabled = str(config.get('agent', '0')).split(',', maxsplit=1)[0]
    return enabled.rsplit('=', maxsplit=1)[-1] in ('1', 'true', 'yes', 'on')


def next_unused(config):
    n = 0
    while 'unused{0}'.format(n) in config:
        n += 1
    return 'unused{0}'.format(n)


def detachable_volume(value):
    """The volume a drive value holds, if removing the drive should leave it as unusedN."""
    volume, props = split_drive(value)
    if not volume or is_cdrom(volume, props) or volume_ref(volume)[0] is None:
        return None
    return volume


class LabVm(FakeVm):
    """A FakeVm whose pending deletes of disks leave the volume as unusedN, and whose agent boots."""

    agent_boot_secs = 5.0

    def apply_pending(self):
        for key, value in list(self.pending.items()):
            if value is None and DRIVE_KEY.match(key) and key in self.config:
                volume = detachable_volume(self.config[key])
                if volume:
                    self.config[next_unused(self.config)] = volume
        super().apply_pending()

    @property
    def agent(self):
        explicit = self.__dict__.get('agent_answers')
        if explicit is not None:
            return explicit
        if self.status != 'running' or not agent_enabled(self.config) or not self.started_at:
            return None
        scale = self.lab.time_scale or 0
        if time.time() - self.started_at < self.agent_boot_secs * scale:
            return None
        return {'interfaces': self.agent_interfaces()}

    def agent_interfaces(self):
        """What network-get-interfaces reports: loopback, and each NIC with what the guest configured at its
        last boot (from its cloud-init drive as it was then, or the lab's DHCP)."""
        if self.__dict__.get('guest_interfaces') is None:
            self.guest_boot()
        return [{'name': 'lo', 'hardware-address': '00:00:00:00:00:00',
                 'ip-addresses': [{'ip-address': '127.0.0.1', 'ip-address-type': 'ipv4', 'prefix': 8}]}] + \
            self.guest_interfaces

    @agent.setter
    def agent(self, value):
        self.__dict__['agent_answers'] = value

    # A start is where PVE regenerates the cloud-init drive and the guest boots from it: the lab sees it as
    # the VM becoming running from any other state (start, reboot, HA start, create or rollback with start).

    @property
    def status(self):
        return self.__dict__.get('status')

    @status.setter
    def status(self, value):
        was = self.__dict__.get('status')
        self.__dict__['status'] = value
        if value == 'running' and was != 'running' and 'lab' in self.__dict__:
            self.vm_started()

    @property
    def started_at(self):
        return self.__dict__.get('started_at')

    @started_at.setter
    def started_at(self, value):
        self.__dict__['started_at'] = value
        if value and self.status == 'running' and 'lab' in self.__dict__:
            self.guest_boot()  # a reset reboots the guest from the drive it has (PVE's vm_reset regenerates nothing)

    def vm_started(self):
        """qemu-server vm_start_nolock: regenerate the cloud-init drive, then the guest boots from it."""
        if has_cloudinit_drive(self.config):
            regenerate_cloudinit(self)
        self.guest_boot()

    def guest_boot(self):
        """The guest (re)boots: cloud-init applies the drive as it is now."""
        drive = self.__dict__.get('cloudinit_drive') if has_cloudinit_drive(self.config) else None
        self.__dict__['guest_interfaces'] = boot(drive, self.config, self.lab.dhcp)


class VmList(list):
    """pve.vms: every VM that joins it becomes a LabVm."""

    def __init__(self, owner, items=()):
        super().__init__()
        self.owner = owner
        for item in items:
            self.append(item)

    def append(self, vm):
        if isinstance(vm, FakeVm) and not isinstance(vm, LabVm):
            vm.__class__ = LabVm
        vm.lab = self.owner
        vm.cloudinit_generated = getattr(vm, 'cloudinit_generated', 0)
        super().append(vm)
        if vm.status == 'running' and vm.__dict__.get('guest_interfaces') is None:
            vm.vm_started()  # a VM the lab starts out running was started with its config


def regenerate_cloudinit(vm):
    """The cloud-init drive made anew from the config (PVE::QemuServer::Cloudinit::generate_cloudinit_config);
    GET .../cloudinit then shows no pending values."""
    vm.cloudinit_generated = getattr(vm, 'cloudinit_generated', 0) + 1
    vm.cloudinit_snapshot = dict((k, v) for k, v in vm.config.items()
                                 if k.startswith(('ci', 'ipconfig', 'sshkeys', 'nameserver', 'searchdomain')))
    vm.cloudinit_drive = cloudinit_data(vm.config)


def hash_password(password):
    """What PVE stores for cipassword: a crypt-style hash (anything already hashed is kept)."""
    if re.match(r'^\$(?:[156]|2[ay])(\$.+){2}', password):
        return password
    return '$5$lab$' + hashlib.sha256(password.encode()).hexdigest()


class QemuExtras(object):
    """Mixin for the lab's FakePve."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.dhcp = DhcpServer()
        self.vms = VmList(self, self.vms)

    def _routes_qemu_extras(self):
        one = '/nodes/{node}/qemu/{vmid}'
        return [('PUT', one + '/resize', self._qm_resize), ('POST', one + '/move_disk', self._qm_move_disk),
                ('PUT', one + '/cloudinit', self._qm_cloudinit_regenerate),
                ('GET', one + '/cloudinit', self._qm_cloudinit_pending)]

    # ------------------------------------------------------------ tasks

    async def task(self, node, ttype, tid, user, body, *args, **kwargs):
        if ttype == 'qmrollback':
            body = self._resume_from_ram(node, tid, body)
        if ttype == 'qmdestroy':
            body = self._refuse_a_used_base(node, tid, body)
        return await super().task(node, ttype, tid, user, body, *args, **kwargs)

    def _refuse_a_used_base(self, node, vmid, body):
        """qemu-server src/PVE/QemuServer.pm destroy_vm: a template whose base volume a linked clone still uses is
        not destroyed, before anything is removed (`base volume '<volid>' is still in use by linked cloned`,
        through pve-storage src/PVE/Storage.pm volume_is_base_and_used). The volumes are checked in
        foreach_volume_full's order (Drive.pm valid_drive_names, then unused disks), after the config lock's
        check. A base counts as used when a volume of its storage names it as its base: PVE's file-based
        storages name a linked clone `<base vmid>/<base name>/<vmid>/<name>` (Plugin.pm clone_image). On
        LVM-thin a linked clone's name does not keep its base (LvmThinPlugin.pm clone_image), so PVE lets the
        template go (Storage.pm vdisk_free: 'LVM-thin allows deletion of still referenced base volumes'), as
        the lab does."""
        async def checked():
            vm = self.find(node, vmid)
            if vm.config.get('template') in (1, '1', True) and not vm.lock:
                for volume in self._drive_volumes_in_pve_order(vm.config):
                    if self._base_is_used(volume):
                        raise TaskError("base volume '{0}' is still in use by linked cloned".format(volume))
            return await body()
        return checked

    @staticmethod
    def _drive_volumes_in_pve_order(config):
        order = {'ide': 0, 'scsi': 1, 'virtio': 2, 'sata': 3, 'efidisk': 4, 'tpmstate': 5, 'unused': 6}
        keyed = []
        for key, value in config.items():
            match = re.fullmatch(r'(ide|scsi|virtio|sata|efidisk|tpmstate|unused)(\d+)', key)
            if not match:
                continue
            volume, props = split_drive(value)
            if match.group(1) != 'unused' and is_cdrom(volume, props):
                continue
            if volume and not volume.startswith('/'):
                keyed.append(((order[match.group(1)], int(match.group(2))), volume))
        return [volume for _key, volume in sorted(keyed)]

    def _base_is_used(self, volume):
        sid, name = volume_ref(volume)
        store = self.storages.get(sid) if sid else None
        if not store or not _is_file(store) or not name.split('/')[-1].startswith('base-'):
            return False
        return any(other.startswith(name + '/') for other in store.get('volumes', {}))

    def _resume_from_ram(self, node, vmid, body):
        """pve-guest-common src/PVE/AbstractConfig.pm snapshot_rollback: once the snapshot's config and disks
        are back, a snapshot with RAM (`vmstate`) is resumed from it (__snapshot_rollback_vm_start; qemu-server
        src/PVE/QemuConfig.pm starts the VM with the state file), whether or not `start` was given. fakepve
        leaves the VM stopped."""
        async def resumed():
            note = await body()
            vm = self.find(node, vmid)
            snap = vm.snapshots.get(vm.config.get('parent')) or {}
            if snap.get('vmstate') and vm.status != 'running':
                vm.status = vm.qmpstatus = 'running'
                vm.started_at = time.time()
            return note
        return resumed

    # ------------------------------------------------------------ config

    async def _config_get(self, request):
        response = await super()._config_get(request)
        vm = self._vm(request)
        if 'cipassword' in vm.config:
            body = json.loads(response.text)
            body['data']['cipassword'] = MASKED_PASSWORD
            return web.json_response(body)
        return response

    async def _apply_config(self, vm, user, p):
        p = dict(p)
        if p.get('cipassword') is not None:
            p['cipassword'] = hash_password(str(p['cipassword']))
        deletes = [k for k in str(p.get('delete', '') or '').split(',') if k]
        # PVE deletes unusedN at once, running or not, and frees its volume.
        unused = [k for k in deletes if UNUSED_KEY.match(k)]
        rest = [k for k in deletes if k not in unused]
        if rest:
            p['delete'] = ','.join(rest)
        else:
            p.pop('delete', None)
        running = vm.status == 'running'
        detached = dict((k, detachable_volume(vm.config[k])) for k in rest
                        if DRIVE_KEY.match(k) and k in vm.config and not running)
        made = []
        try:
            for key in sorted(k for k in p if DRIVE_KEY.match(k)):
                volume = split_drive(p[key])[0]
                if NEW_DISK.match(volume) or volume.endswith(':cloudinit'):
                    if key in vm.config and not is_cdrom(*split_drive(vm.config[key])):
                        raise param_error(**{key: "unable to replace disk '{0}' - detach it first".format(key)})
                    p[key], volids = self._qm_new_drive(vm.vmid, key, p[key], None)
                    made.extend(volids)
            await super()._apply_config(vm, user, p)
        except (PveError, TaskError):
            for volid in made:
                self._qm_free(volid)
            raise
        for volume in detached.values():
            if volume:
                vm.config[next_unused(vm.config)] = volume
        for key in unused:
            if key in vm.config:
                self._qm_free(split_drive(vm.config.pop(key))[0])

    # ------------------------------------------------------------ move

    async def _qm_move_disk(self, values, user):
        vm = self.find(values['node'], values['vmid'])
        self.need_quorum()
        disk = values['disk']
        target = values.get('storage')
        if disk not in vm.config:
            raise die("disk '{0}' does not exist".format(disk))
        if not target:
            raise param_error(storage='property is missing and it is not optional')
        self._check_lock(vm)
        volume, props = split_drive(vm.config[disk])
        if is_cdrom(volume, props):
            raise die("you can't move a cdrom")
        sid, name = volume_ref(volume)
        if sid == target:
            raise die('you can\'t move to the same storage with same format')
        self._qm_image_store(target, user)

        async def body():
            vol = self._volumes(sid).get(name) or {}
            volid, _fmt = self._qm_alloc(target, vm.vmid, values.get('format'), int(vol.get('size') or 0))
            vm.config[disk] = join_drive(volid, props)
            if str(values.get('delete', 0)) in ('1', 'true'):
                self._qm_free(volume)
            else:
                vm.config[next_unused(vm.config)] = volume
            return 'moved {0} to {1}'.format(disk, volid)
        return await self.task(vm.node, 'qmmove', vm.vmid, user, body, vm=vm)

    # ------------------------------------------------------------ clone

    async def _qm_clone(self, values, user):
        upid = await super()._qm_clone(values, user)
        new = self.vm(int(values['newid']))
        if new is not None:
            for key, value in list(new.config.items()):
                volume, props = split_drive(value) if DRIVE_KEY.match(key) else (None, {})
                if volume and volume.split(':')[-1].endswith('cloudinit') and is_cdrom(volume, props):
                    fresh, fmt = self._clone_cloudinit_volume(volume, new.vmid, values)
                    dest, volname = volume_ref(fresh)
                    self.storages[dest].setdefault('volumes', {})[volname] = {
                        'content': 'images', 'format': fmt, 'size': 4 * 1024 ** 2, 'vmid': new.vmid, 'ctime': 0}
                    new.config[key] = join_drive(fresh, props)
        return upid

    def _clone_cloudinit_volume(self, volume, newid, values):
        """(volume id, format) of a clone's cloud-init drive. qemu-server PVE/QemuServer.pm clone_disk: the
        drive is always copied, onto `$storage || $src_storeid` (the clone's `storage` parameter when given),
        named vm-<newid>-cloudinit with `.<format>` on path-based storages; the format is resolve_dst_disk_format's
        (the requested or the source's, if the target storage supports it, else the storage's default)."""
        sid, name = volume_ref(volume)
        dest = values.get('storage') or sid
        store = self.storages[dest]
        spec = spec_of(store) or {'formats': None, 'format': 'raw'}
        fmt = values.get('format') or (self._volumes(sid).get(name) or {}).get('format') or 'raw'
        if fmt not in (spec['formats'] or ['raw']):
            fmt = store.get('format') or spec['format']
        volname, fmt = self._volume_name(store, newid, fmt, 'vm-{0}-cloudinit'.format(newid))
        return '{0}:{1}'.format(dest, volname), fmt

    # ------------------------------------------------------------ cloud-init

    async def _qm_cloudinit_regenerate(self, values, user):
        vm = self.find(values['node'], values['vmid'])
        self._check_lock(vm)
        if not any(DRIVE_KEY.match(k) and 'cloudinit' in str(v) for k, v in vm.config.items()):
            raise die('no cloudinit drive found')
        regenerate_cloudinit(vm)  # the running guest does not notice: it reads the drive at boot
        return None

    async def _qm_cloudinit_pending(self, values, user):
        vm = self.find(values['node'], values['vmid'])
        snapshot = getattr(vm, 'cloudinit_snapshot', {})
        out = []
        for key in sorted(set(snapshot) | set(k for k in vm.config if k.startswith(
                ('ci', 'ipconfig', 'sshkeys', 'nameserver', 'searchdomain')))):
            item = {'key': key}
            if key in snapshot:
                item['value'] = snapshot[key]
            if vm.config.get(key) != snapshot.get(key):
                if key in vm.config:
                    item['pending'] = vm.config[key]
                else:
                    item['delete'] = 1
            out.append(item)
        return out
