"""Checks where fakepve (or the lab's first mixins) answered otherwise than PVE, after PVE's own sources:

* guest agent calls on a stopped VM: `VM <vmid> is not running` (qemu-server src/PVE/QemuServer/Agent.pm
  assert_agent_available);
* `status/shutdown` of a stopped VM is a `qmshutdown` task that ends OK (qemu-server src/PVE/API2/Qemu.pm
  vm_shutdown, src/PVE/QemuServer.pm vm_stop and _do_vm_stop: nothing to do when no process runs);
* vzdump to a storage without `backup` content: the permissions are checked before the task, the storage
  inside it, so the TASK fails (pve-manager PVE/API2/VZDump.pm vzdump, PVE/VZDump.pm new and storage_info);
* VM config updates (qemu-server src/PVE/API2/Qemu.pm $update_vm_api): `no options specified`, unknown keys
  in `delete`, a MAC for every NIC written (print_net over parse_net), and digest, lock and balloon checked
  before a POST's task starts (load_and_check_config(0));
* `PUT .../resize` of a VM: every check runs inside the `resize` task (qemu-server src/PVE/API2/Qemu.pm
  resize_vm, its $updatefn), and a resize to the current size ends OK without a change;
* containers: only the literal user root@pam, not its API tokens, may change feature flags other than nesting
  or use bind and device mount points (pve-container src/PVE/LXC.pm check_ct_modify_config_perm), whatever
  ACLs exist; `cpuunits` is stored clamped to 10000 (cgroup v2) at create and update (pve-container
  src/PVE/API2/LXC.pm create_vm, src/PVE/API2/LXC/Config.pm update_vm; pve-common src/PVE/CGroup.pm
  clamp_cpu_shares).
"""

import re

from fakepve.lxc import SIZE_UNITS, format_size, mount_type, parse_mount, split_props
from fakepve import schema as pve_schema
from fakepve.model import PveError, TaskError
from fakepve.qemu import is_cdrom, join_drive, split_drive, volume_ref, with_mac
from fakepve.routing import die, param_error, split_list
from fakepve.server import API, USER, ok, params

NET_KEY = re.compile(r'^net\d+$')
MOUNT_KEY = re.compile(r'^(rootfs|mp\d+)$')
SIZE_ARG = re.compile(r'^(\+?)(\d+(?:\.\d+)?)([KMGT]?)$')
# $update_vm_api's parameters that are not config keys (extracted before "no options specified").
UPDATE_ONLY = ('node', 'vmid', 'digest', 'background_delay', 'skip_cloud_init', 'import-working-storage', 'skiplock',
               'delete', 'revert', 'force')
# pve-common CGroup.pm clamp_cpu_shares on cgroup v2 (every PVE 8.4 and 9.x node).
CGROUP2_MAX_SHARES = 10000


def current_memory(value):
    """MiB of a VM's `memory` ([current=]<MiB>); PVE's default 512 when unset (QemuServer/Memory.pm)."""
    if value in (None, ''):
        return 512
    return int(split_props(str(value))[1].get('current') or str(value).split(',', maxsplit=1)[0])


class PveRules(object):
    """Mixin for the lab's FakePve (first in LabPve's bases)."""

    # ------------------------------------------------------------ guest agent

    async def _agent_call(self, match, values):
        vm = self.find(values['node'], values['vmid'])
        if 'agent' not in vm.config:
            raise PveError(500, 'No QEMU guest agent configured')
        if vm.status != 'running':
            raise PveError(500, 'VM {0} is not running'.format(vm.vmid))
        return await super()._agent_call(match, values)

    # ------------------------------------------------------------ shutdown

    async def _do_shutdown(self, vm, user, p):
        if vm.status != 'running' and not vm.ha_managed:
            async def body():
                return None  # _do_vm_stop: no process, nothing to do (the lock is not even looked at)
            return await self.task(vm.node, 'qmshutdown', vm.vmid, user, body, vm=vm)
        return await super()._do_shutdown(vm, user, p)

    # ------------------------------------------------------------ vzdump

    async def _vzdump(self, values, user):
        storage = values.get('storage') or 'local'
        store = self.storages.get(storage)
        if store is None or 'backup' in split_list(store.get('content')):
            return await super()._vzdump(values, user)
        vmids = [int(v) for v in split_list(values.get('vmid'))]
        if not vmids:
            raise param_error(vmid='property is missing and it is not optional')
        for vmid in vmids:
            self.require(user, '/vms/{0}'.format(vmid), 'VM.Backup')
        self.require(user, '/storage/' + storage, 'Datastore.AllocateSpace')
        reason = "could not get storage information for '{0}': can't use storage '{0}' for backups - wrong " \
                 "content type".format(storage)

        async def body():
            raise TaskError(reason)
        return await self.task(values['node'], 'vzdump', ','.join(str(v) for v in vmids), user, body)

    # ------------------------------------------------------------ VM config updates

    def _qm_option_exists(self, request, key):
        """PVE::QemuServer::option_exists: a config key of the schema (numbered ones under their `[n]` name)."""
        props = self.resolve(request, API).methods[request.method].get('parameters', {}).get('properties', {})
        return key not in UPDATE_ONLY and pve_schema._prop(props, key) is not None

    def _qm_update_checks(self, request, vm, p):
        """$update_vm_api before the config lock: returns the parameters as PVE goes on with them."""
        p = dict(p)
        options = [k for k in p if k not in UPDATE_ONLY]
        if not p.get('delete') and not p.get('revert') and not options:
            raise PveError(500, 'no options specified')
        for key in split_list(p.get('delete')):
            key = 'ide2' if key == 'cdrom' else key
            if key in p:
                raise param_error(delete="you can't use '-{0}' and -delete {0}' at the same time".format(key))
            if not self._qm_option_exists(request, key):
                raise param_error(delete="unknown option '{0}'".format(key))
        for key in options:
            if NET_KEY.match(key) and p[key] is not None:
                p[key] = with_mac(p[key])  # parse_net adds a MAC from the datacenter mac_prefix (BC:24:11)
        return p

    def _qm_early_checks(self, vm, p):
        """load_and_check_config: digest, lock and balloon, against the config before the change."""
        if p.get('digest') and p['digest'] != vm.digest():
            raise PveError(500, 'checksum mismatch (file change by other user?)')
        if not p.get('skiplock'):
            self._check_lock(vm)
        if p.get('memory') or p.get('balloon') is not None:
            memory = p.get('memory') or vm.pending.get('memory') or vm.config.get('memory')
            balloon = p['balloon'] if p.get('balloon') is not None else (
                vm.pending.get('balloon') or vm.config.get('balloon'))
            if balloon and int(balloon) > current_memory(memory):
                raise PveError(500, 'balloon value too large (must be smaller than assigned memory)')

    async def _config_update(self, request, sync):
        p = await params(request)
        self._verify(request, p)
        vm = self._vm(request)
        p = self._qm_update_checks(request, vm, p)
        user = request[USER]
        if sync:
            self._qm_early_checks(vm, p)
            await self._apply_config(vm, user, p)
            return None
        self.need_quorum()
        self._qm_early_checks(vm, p)

        async def body():
            try:
                self._qm_early_checks(vm, p)
                await self._apply_config(vm, user, p)
            except PveError as e:
                raise TaskError(e.message) from e
        return await self.task(vm.node, 'qmconfig', vm.vmid, user, body)

    async def _config_put(self, request):
        return ok(await self._config_update(request, True))

    async def _config_post(self, request):
        return ok(await self._config_update(request, False))

    # ------------------------------------------------------------ VM disk resize

    async def _qm_resize(self, values, user):
        vm = self.find(values['node'], values['vmid'])
        self.need_quorum()
        if not SIZE_ARG.match(str(values['size'])):
            raise param_error(size='value does not match the regex pattern')

        async def body():
            try:
                return self._qm_resize_now(vm, values, user)
            except PveError as e:
                raise TaskError(e.message) from e
        return await self.task(vm.node, 'resize', vm.vmid, user, body, vm=vm)

    def _qm_resize_now(self, vm, values, user):
        """resize_vm's $updatefn, run inside the task under the config lock."""
        disk = values['disk']
        if values.get('digest') and values['digest'] != vm.digest():
            raise die('checksum mismatch (file change by other user?)')
        if not values.get('skiplock'):
            self._check_lock(vm)
        if not vm.config.get(disk):
            raise die("disk '{0}' does not exist".format(disk))
        volume, props = split_drive(vm.config[disk])
        sid, name = volume_ref(volume)
        if not volume or sid is None:
            raise die("disk '{0}' has no associated volume".format(disk))
        if is_cdrom(volume, props):
            raise die("you can't resize a cdrom")
        self.require(user, '/storage/{0}'.format(sid), 'Datastore.AllocateSpace')
        vol = self._volumes(sid).get(name) or {}
        current = int(vol.get('size') or 0)
        if not current and props.get('size'):
            current = int(float(props['size'][:-1]) * SIZE_UNITS[props['size'][-1]])
        relative, number, unit = SIZE_ARG.match(str(values['size'])).groups()
        new = int(float(number) * (SIZE_UNITS[unit] if unit else 1)) + (current if relative else 0)
        if new < current:
            raise die('shrinking disks is not supported')
        if new == current:
            return None
        store = self.storages.get(sid, {})
        grow = new - current
        if 'avail' in store and grow > store['avail']:
            raise TaskError("unable to resize volume '{0}': no space left on storage '{1}'".format(volume, sid))
        if 'avail' in store:
            store['avail'] -= grow
        if name in store.get('volumes', {}):
            store['volumes'][name]['size'] = new
        props['size'] = format_size(new)
        vm.config[disk] = join_drive(volume, props)
        return 'resized {0} to {1}'.format(disk, format_size(new))

    # ------------------------------------------------------------ containers

    def _check_modify_perm(self, user, vmid, pool, old, new, deletes, unprivileged):
        if user != 'root@pam':
            self._ct_root_only(old or {}, new, deletes, unprivileged)
        super()._check_modify_perm(user, vmid, pool, old, new, deletes, unprivileged)

    @staticmethod
    def _ct_root_only(old, new, deletes, unprivileged):
        """The raise_perm_exc branches of check_ct_modify_config_perm: no privilege grants these."""
        def deny(why):
            raise PveError(403, 'Permission check failed ({0})'.format(why))
        for opt, deleting in [(k, False) for k in new] + [(k, True) for k in deletes]:
            if MOUNT_KEY.match(opt) and not deleting:
                kind = mount_type(parse_mount(new[opt]).get('volume', ''))
                if kind != 'volume':
                    deny('mount point type {0} is only allowed for root@pam'.format(kind))
            elif re.fullmatch(r'dev\d+', opt):
                deny('configuring device passthrough is only allowed for root@pam')
            elif opt == 'hookscript':
                deny('changing the hookscript is only allowed for root@pam')
            elif opt == 'features':
                if not unprivileged or str(unprivileged) in ('0', 'false'):
                    deny('changing feature flags for privileged container is only allowed for root@pam')
                before = split_props(old.get('features') or '')[1]
                after = {} if deleting else split_props(new.get('features') or '')[1]
                if not before or deleting:
                    # a new container, none set before, or a delete: PVE looks at one side only
                    side = before if deleting else after
                    other = set(side) - {'nesting'}
                else:
                    other = set(k for k in set(before) | set(after)
                                if before.get(k, '') != after.get(k, '') and k != 'nesting')
                if other:
                    deny('changing feature flags (except nesting) is only allowed for root@pam')

    async def _lxc_config_put(self, user, v):
        return await super()._lxc_config_put(user, self._clamp_cpuunits(v))

    async def _lxc_create(self, user, v):
        return await super()._lxc_create(user, self._clamp_cpuunits(v))

    @staticmethod
    def _clamp_cpuunits(v):
        if v.get('cpuunits') is not None and int(v['cpuunits']) >= CGROUP2_MAX_SHARES:
            v = dict(v)
            v['cpuunits'] = CGROUP2_MAX_SHARES
        return v
