"""QEMU rules fakepve leaves out, after qemu-server:

* a clone with `target` (another node) is refused when any volume of the source (disks, cloud-init and
  CD-ROM images; `none` and the physical `cdrom` aside) is on a storage that is not shared:
  `can't clone VM to node '<target>' (VM uses local storage)` (src/PVE/API2/Qemu.pm clone_vm, its
  `$check_storage_access_clone`); a target `storage` must be enabled on both nodes
  (PVE::Storage::storage_check_enabled: `storage 'X' is not available on node 'Y'`);
* a VM created with a Windows ostype and no machine version gets its machine pinned to the newest machine
  version of the installed QEMU: `pc-i440fx-X.Y+pveN` or `pc-q35-X.Y+pveN` (src/PVE/API2/Qemu.pm create_vm
  -> src/PVE/QemuServer/Machine.pm check_and_pin_machine_string, windows_get_pinned_machine_version,
  latest_installed_machine_version, $PVE_MACHINE_VERSION); the machine value is written back in PVE's
  print_property_string order (the type bare, then the other keys). A config write changing `ostype` pins the
  same way unless it sets or deletes `machine` too, or a machine change is pending (API2/Qemu.pm update_vm);
* `status/suspend` with `todisk=1` (hibernation) saves the state to a volume `vm-<vmid>-state-suspend-<date>`
  on the vmstate storage and leaves `lock: suspended`, `vmstate`, `runningmachine` and `runningcpu` in the
  config (src/PVE/QemuServer/RunState.pm vm_suspend, src/PVE/QemuConfig.pm __snapshot_save_vmstate and
  find_vmstate_storage); `status/start` resumes it: the `suspended` lock is the one lock start accepts,
  pending changes are not applied, and once running the state volume is freed and `lock`, `vmstate`,
  `runningmachine`, `runningcpu` are removed (src/PVE/QemuServer.pm vm_start, vm_start_nolock).
"""

import re
import time

from fakepve.model import TaskError
from fakepve.qemu import DRIVE_KEY, QEMU_VERSION, is_cdrom, split_drive, volume_ref
from fakepve.routing import die, split_list

# qemu-server src/PVE/QemuServer/Machine.pm $PVE_MACHINE_VERSION: the highest +pveN of each QEMU machine version.
PVE_MACHINE_VERSION = {'4.1': 2, '9.2': 1, '10.0': 1, '11.0': 2}
# src/PVE/QemuServer/Helpers.pm windows_version: the ostypes that are Windows.
WINDOWS_OSTYPES = ('wxp', 'w2k', 'w2k3', 'w2k8', 'wvista', 'win7', 'win8', 'win10', 'win11')
# The machine property string: its keys after the bare `type` (Machine.pm $machine_fmt).
MACHINE_KEYS = ('type', 'viommu', 'aw-bits', 'enable-s3', 'enable-s4')
# What `query-cpu-model-expansion` gives a running default CPU (runningcpu of a hibernated VM).
RUNNING_CPU = 'kvm64,enforce,+kvm_pv_eoi,+kvm_pv_unhalt,+lahf_lm,+sep'


def latest_machine_version(kvm_version=QEMU_VERSION):
    """Machine.pm latest_installed_machine_version: 'major.minor' of QEMU, '+pveN' when PVE revised it."""
    version = '.'.join(kvm_version.split('.')[:2])
    pve = PVE_MACHINE_VERSION.get(version, 0)
    return version + ('+pve{0}'.format(pve) if pve else '')


def parse_machine(value):
    out = {}
    for part in str(value or '').split(','):
        if not part:
            continue
        key, eq, item = part.partition('=')
        if eq:
            out[key] = item
        else:
            out['type'] = part
    return out


def print_machine(machine):
    """print_property_string of the machine format: the default key `type` bare and first, then the rest."""
    parts = [machine['type']] if machine.get('type') else []
    parts += ['{0}={1}'.format(k, machine[k]) for k in sorted(machine) if k != 'type']
    return ','.join(parts)


def pinned_machine(machine_string, ostype):
    """Machine.pm check_and_pin_machine_string for an x86_64 VM: None when there is no machine to write."""
    machine = parse_machine(machine_string)
    base = machine.get('type')
    if (not base or base in ('pc', 'q35')) and ostype in WINDOWS_OSTYPES:
        base = base or 'pc'
        machine['type'] = '{0}-{1}'.format('pc-i440fx' if base == 'pc' else 'pc-q35', latest_machine_version())
    return print_machine(machine) or None


def running_machine(config):
    """What the running QEMU reports as its machine (Machine.pm get_current_qemu_machine): the type with its
    version and +pveN."""
    base = parse_machine(config.get('machine')).get('type') or 'pc'
    if base in ('pc', 'q35'):
        version = '.'.join(QEMU_VERSION.split('.')[:2])
        return '{0}-{1}+pve{2}'.format('pc-i440fx' if base == 'pc' else 'pc-q35', version,
                                       PVE_MACHINE_VERSION.get(version, 0))
    return base if re.search(r'\+pve\d+$', base) else base + '+pve0'


class VmRules(object):
    """Mixin for the lab's FakePve."""

    # ------------------------------------------------------------ clone to another node

    def clone_volumes(self, config):
        """(slot, volume) of every volume check_storage_access_clone looks at, in slot order."""
        out = []
        for key in sorted(config):
            if not DRIVE_KEY.match(key):
                continue
            volume, _props = split_drive(config[key])
            if not volume or volume in ('none', 'cdrom') or volume_ref(volume)[0] is None:
                continue
            out.append((key, volume))
        return out

    def _clone_checks_before_shared(self, values, user, src, target):
        """True when clone_vm gets as far as its local-storage check: the checks PVE runs before it pass."""
        storage, node = values.get('storage'), values['node']
        pool = values.get('pool')
        if pool and pool not in self.pools:
            return False
        newid = int(values['newid'])
        if not (self.allowed(user, '/vms/{0}'.format(newid), 'VM.Allocate')
                or (pool and self.allowed(user, '/pool/' + pool, 'VM.Allocate'))):
            return False
        if storage:
            store = self.storages.get(storage)
            if store is None or 'images' not in split_list(store.get('content')) or not store.get('shared'):
                return False
            # storage_check_enabled on this node, then on the target node (clone_vm $load_and_check).
            self._check_enabled(storage, node)
            self._check_enabled(storage, target)
        if src.lock:
            return False
        snapname = values.get('snapname')
        if snapname and snapname not in src.snapshots:
            return False
        full = values.get('full')
        full = (not src.template) if full is None else str(full) in ('1', 'true')
        if (storage or values.get('format')) and not full:
            return False
        config = src.snapshots[snapname] if snapname else src.config
        for _key, volume in self.clone_volumes(config):
            sid = volume_ref(volume)[0]
            if sid not in self.storages:
                return False
            props = split_drive(config[_key])[1]
            if not is_cdrom(volume, props) and not self.allowed(user, '/storage/' + (storage or sid),
                                                                'Datastore.AllocateSpace'):
                return False
        return True

    async def _qm_clone(self, values, user):
        node, target = values['node'], values.get('target')
        if target in (node, 'localhost'):
            target = None
        src = self.vm(int(values['vmid']))
        if target and target in self.nodes and src is not None and src.node == node:
            if self._clone_checks_before_shared(values, user, src, target):
                snapname = values.get('snapname')
                config = src.snapshots[snapname] if snapname else src.config
                local = [v for _k, v in self.clone_volumes(config)
                         if not self.storages[volume_ref(v)[0]].get('shared')]
                if local:
                    raise die("can't clone VM to node '{0}' (VM uses local storage)".format(target))
        return await super()._qm_clone(values, user)

    # ------------------------------------------------------------ the Windows machine pin

    async def _qm_create(self, values, user):
        values = dict(values)
        if values.get('machine') or str(values.get('ostype', '')) in WINDOWS_OSTYPES:
            machine = pinned_machine(values.get('machine'), str(values.get('ostype', '')))
            if machine:
                values['machine'] = machine
        return await super()._qm_create(values, user)

    async def _apply_config(self, vm, user, p):
        if p.get('ostype') is not None and p.get('machine') is None and 'machine' not in vm.pending:
            deletes = [k for k in str(p.get('delete', '') or '').split(',') if k]
            if 'machine' not in deletes:
                machine = pinned_machine(vm.config.get('machine'), str(p['ostype']))
                if machine and machine != vm.config.get('machine'):
                    p = dict(p, machine=machine)
        return await super()._apply_config(vm, user, p)

    # ------------------------------------------------------------ hibernation

    def vmstate_storage(self, config):
        """QemuConfig.pm find_vmstate_storage: vmstatestorage, else a shared storage a disk is on, else a local
        one (file-based storages preferred), else `local`."""
        if config.get('vmstatestorage'):
            return config['vmstatestorage']
        shared = local = None
        for key, volume in self.clone_volumes(config):
            if is_cdrom(volume, split_drive(config[key])[1]):
                continue
            sid = volume_ref(volume)[0]
            store = self.storages.get(sid, {})
            if store.get('shared'):
                if shared is None or store.get('path'):
                    shared = sid
            elif local is None or store.get('path'):
                local = sid
        return shared or local or 'local'

    async def _do_suspend(self, vm, user, p):
        if str(p.get('todisk', '0')) not in ('1', 'true'):
            return await super()._do_suspend(vm, user, p)
        self._need_running(vm)
        self._check_lock(vm)

        async def body():
            await self.ceph_io(vm)
            sid = self.vmstate_storage(vm.config)
            store = self.storages[sid]
            name = 'vm-{0}-state-suspend-{1}'.format(vm.vmid, time.strftime('%Y-%m-%d'))
            if store.get('path'):
                name += '.raw'
            memory = int(str(vm.config.get('memory', 512)).split(',', maxsplit=1)[0].split('=')[-1])
            size = (memory * 2 + 500) * 1024 ** 2
            store.setdefault('volumes', {})[name] = {'content': 'images', 'format': 'raw', 'size': size,
                                                     'vmid': vm.vmid, 'ctime': int(time.time())}
            if 'avail' in store:
                store['avail'] -= size
            vm.config['vmstate'] = '{0}:{1}'.format(sid, name)
            vm.config['runningmachine'] = running_machine(vm.config)
            vm.config['runningcpu'] = RUNNING_CPU
            vm.status = vm.qmpstatus = 'stopped'
            vm.lock = 'suspended'
            vm.config['lock'] = 'suspended'
        return await self.task(vm.node, 'qmsuspend', vm.vmid, user, body, vm=vm)

    async def _do_start(self, vm, user, p):
        if vm.lock != 'suspended' or vm.template or vm.ha_managed:
            return await super()._do_start(vm, user, p)

        async def body():
            if vm.status == 'running':
                raise TaskError('VM {0} already running'.format(vm.vmid))
            await self.ceph_io(vm)
            await self.pause(vm.start_secs)
            if vm.start_error:
                raise TaskError(vm.start_error)
            # Resuming: the pending changes stay pending (vm_start_nolock applies them only on a fresh start).
            vm.status = vm.qmpstatus = 'running'
            vm.started_at = time.time()
            state = vm.config.get('vmstate')
            if state:
                self._qm_free(state)
            for key in ('lock', 'vmstate', 'running-nets-host-mtu', 'runningmachine', 'runningcpu'):
                vm.config.pop(key, None)
            vm.lock = None
            return 'Resuming suspended VM'
        return await self.task(vm.node, 'qmstart', vm.vmid, user, body, vm=vm)
