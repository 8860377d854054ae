"""Volumes and settings of VMs and containers that point at files or host devices, as PVE checks them (issue 15).

* `import-from` on a new VM disk (qemu-server src/PVE/API2/Qemu.pm $check_drive_param, $check_storage_access,
  create_disks, $import_from_volid; src/PVE/QemuServer/Drive.pm checked_parse_volname; pve-storage
  src/PVE/Storage/Plugin.pm parse_volname, file_size_info): the slot must read `<storage>:0,import-from=...`;
  the source is an `import` image (`<storage>:import/<file>`, untrusted: it must exist, qemu-img reads its
  format from the extension and refuses a backing file) or a VM image (`VM.Clone` on its owner, copied by
  clone_disk). Inside the create/update, the new volume is allocated with the source's virtual size (qcow2:
  the header's size field, as `qemu-img info` reads it; raw: the file's size) in whole KiB (vdisk_alloc takes
  KiB) and the drive's `size=` is the new volume's size.
* An existing volume set on a drive by a config update (an ISO on a CD/DVD drive): create_disks checks it as a
  create does (access, `images`/`iso` content type, it exists: `volume <volid> does not exist`) and writes its
  size; the host drive (`cdrom`) needs Sys.Console on `/` ($check_storage_access).
* hookscript: a config update checks it (Qemu.pm update_vm_api, pve-container src/PVE/LXC/Config.pm
  update_pct_config; both PVE::GuestHelpers::check_hookscript of pve-guest-common): a `snippets` volume, a
  file, executable. A VM create does not check it; a VM start does (exec_hookscript pre-start, stop on error).
* privileges of the new VM settings (Qemu.pm $check_vm_modify_config_perm, check_usb_perm,
  $check_vm_create_serial_perm, update_vm_api): keys in none of PVE's option lists (`args`, `affinity`,
  `parallelN`, `hugepages`, ...) are root@pam's only; `numaN` needs VM.Config.CPU; a `usbN` with a host
  device (not `spice`) and a `serialN` that is not `socket` are root@pam's only.
* container device passthrough (pve-container src/PVE/LXC/Config.pm verify_lxc_dev_string, update_pct_config,
  src/PVE/LXC/Tools.pm get_device_mode_and_rdev): the path starts with /dev/ and has no `.`/`..` part, and is
  a block or character device on the node (`node_devices`).
"""

import re
import struct

from fakepve.model import PveError, TaskError
from fakepve.qemu import DRIVE_KEY, NEW_DISK, format_size, is_cdrom, join_drive, split_drive, volume_ref
from fakepve.routing import die, param_error

from .guestnet import has_cloudinit_drive

KIB = 1024
QCOW2_MAGIC = b'QFI\xfb'

# Option lists of Qemu.pm whose keys a non-root user may set with a privilege; any other key is root@pam's
# (the `else` branch of $check_vm_modify_config_perm: "catches args, lock, etc.").
CPU_OPTIONS = {'cores', 'cpu', 'runningcpu', 'cpulimit', 'cpuunits', 'numa', 'smp', 'sockets', 'vcpus'}
MEMORY_OPTIONS = {'memory', 'balloon', 'shares', 'allow-ksm'}
HWTYPE_OPTIONS = {'acpi', 'hotplug', 'kvm', 'machine', 'runningmachine', 'scsihw', 'smbios1', 'tablet', 'vga',
                  'watchdog', 'audio0', 'rng0'}
GENERAL_OPTIONS = {'agent', 'autostart', 'bios', 'description', 'keyboard', 'localtime', 'migrate_downtime',
                   'migrate_speed', 'name', 'onboot', 'ostype', 'protection', 'reboot', 'startdate', 'startup',
                   'tdf', 'template'}
DISK_OPTIONS = {'boot', 'bootdisk', 'vmstatestorage'}
CLOUDINIT_OPTIONS = {'cicustom', 'cipassword', 'citype', 'ciuser', 'ciupgrade', 'nameserver', 'searchdomain',
                     'sshkeys'}
# Checked elsewhere (value dependent) or by fakepve: never the generic root-only branch.
SKIPPED = re.compile(r'^(?:(?:unused|serial|usb|hostpci|virtiofs|net|ipconfig|numa)\d+|tags|cdrom|vmstate|'
                     r'running-nets-host-mtu|freeze|delete|digest|skiplock|revert|force|background_delay|'
                     r'node|vmid|pool|storage|start|unique|archive|live-restore|ha-managed|'
                     r'import-working-storage|bwlimit)$')


def qemu_img_info(data, fmt):
    """(virtual size, backing file offset) of an image's bytes read as `fmt`, as `qemu-img info -f fmt` reports
    them; raises TaskError with PVE's words when qemu-img cannot read it."""
    if fmt == 'qcow2':
        if len(data) < 32 or data[:4] != QCOW2_MAGIC:
            raise TaskError('failed to query file information with qemu-img')
        backing = struct.unpack('>Q', data[8:16])[0]
        size = struct.unpack('>Q', data[24:32])[0]
        return size, backing
    if fmt == 'raw':
        return len(data), 0
    # vmdk (its descriptor or sparse header) and OVAs (extraction) are not modelled.
    raise TaskError("pvelab: importing a '{0}' image is not modelled".format(fmt))


def drive_props(value):
    volume, props = split_drive(value)
    return volume, dict(props)


class GuestFiles(object):
    """Mixin of LabPve (before SizeRules, whose `<storage>:0` allocation it replaces for import-from): see the
    module docstring."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # node -> {path: 'char' | 'block' | 'dir' | 'file'}: what stat() finds under /dev on the node.
        self.node_devices = {}

    # ------------------------------------------------------------ files

    def _put_file(self, name, content, filename, data):
        super()._put_file(name, content, filename, data)
        self.storages[name]['volumes']['{0}/{1}'.format(content, filename)]['head'] = bytes(data[:4096])

    def store_image(self, storage, filename, data):
        """An image file in the storage's import directory, as an upload leaves it (its bytes kept)."""
        self._put_file(storage, 'import', filename, data)

    def store_snippet(self, storage, filename, size=512, executable=False):
        """A file in the storage's snippets directory; `executable`: its x bit (a hookscript needs it)."""
        self.store_file(storage, filename, size, content='snippets')
        self.storages[storage]['volumes']['snippets/' + filename]['executable'] = executable

    async def _content_info(self, v, user):
        """GET .../content/{volume} (pve-storage src/PVE/API2/Storage/Content.pm info -> Storage.pm
        volume_size_info -> Plugin.pm file_size_info): an image's `size` is its virtual size as qemu-img info reads
        it (a qcow2's header), `used` what the file takes."""
        data = await super()._content_info(v, user)
        sid, volname, _volid, store, vtype, _owner, _fmt = self._volume_target(v)
        vol = self._find_volume(sid, volname) or {}
        if vtype == 'import' and vol.get('head') is not None and volname.endswith('.qcow2'):
            try:
                data['size'], _backing = qemu_img_info(vol['head'], 'qcow2')
            except TaskError:
                raise die("volume_size_info on '{0}:{1}' failed - no format".format(sid, volname))
            data['used'] = int(vol.get('size') or 0)
        return data

    # ------------------------------------------------------------ import-from: checks before the task

    def _check_import_param(self, user, vmid, key, value):
        """$check_drive_param and the import-from part of $check_storage_access."""
        volume, props = drive_props(value)
        source = props.get('import-from')
        if not source:
            return
        found = NEW_DISK.match(volume or '')
        if not found or float(found.group(2)) != 0:  # Perl's $3 != 0: '0.0' passes
            raise param_error(**{key: "'import-from' requires special syntax - use <storage ID>:0,import-from="
                                      "<source>"})
        if key == 'efidisk0':
            for required in ('efitype', 'pre-enrolled-keys'):
                if required not in props:
                    raise param_error(**{key: "need to specify '{0}' when using 'import-from'".format(required)})
        elif key == 'tpmstate0' and 'version' not in props:
            raise param_error(**{key: "need to specify 'version' when using 'import-from'"})
        sid, name = volume_ref(source)
        if sid is None:
            if user != 'root@pam':
                raise die('Only root can pass arbitrary filesystem paths.')
            return
        store = self._store(sid)
        vtype, owner, _fmt = self._parse_volname(store, name)
        if vtype not in ('images', 'import'):
            raise param_error(**{key: "{0} has wrong type '{1}' - needs to be 'images' or 'import'".format(
                source, vtype)})
        if owner:
            self.require(user, '/vms/{0}'.format(owner), 'VM.Clone')
        else:
            self._check_access(user, sid, vtype, owner, source)

    def _qm_check_drive(self, user, vmid, pool, key, value, default):
        self._check_import_param(user, vmid, key, value)
        volume, props = split_drive(value)
        if volume == 'cdrom' and is_cdrom(volume, props):
            self.require(user, '/', 'Sys.Console')
        if 'import-from' in dict(props) and not is_cdrom(volume, props):
            found = NEW_DISK.match(volume or '')
            if found:
                sid = found.group(1) or default
                if not sid:
                    raise die('no storage ID specified (and no default storage)')
                self._qm_image_store(sid, user)
            return None
        return super()._qm_check_drive(user, vmid, pool, key, value, default)

    # ------------------------------------------------------------ import-from: inside the task

    def _qm_new_drive(self, vmid, key, value, default):
        volume, props = drive_props(value)
        source = props.pop('import-from', None)
        if not source:
            return super()._qm_new_drive(vmid, key, value, default)
        sid = NEW_DISK.match(volume).group(1) or default
        src_sid, src_name = volume_ref(source)
        if src_sid is None:
            raise TaskError("pvelab: import-from an absolute path ('{0}') is not modelled".format(source))
        store = self.storages[src_sid]
        vtype, _owner, fmt = self._parse_volname(store, src_name)
        vol = self._volumes(src_sid).get(src_name)
        if vtype == 'import':
            fmt = src_name.rsplit('.', 1)[-1]
            path = self._volume_path(src_sid, src_name, vtype)
            if vol is None:
                raise TaskError("failed to stat '{0}'".format(path))
            size, backing = qemu_img_info(vol.get('head') or b'', fmt)
            if backing:
                raise TaskError("backing file not allowed for untrusted image '{0}'!".format(path))
        else:
            if vol is None or not vol.get('size'):
                raise TaskError("cannot import from '{0}' - could not get size of {0}".format(source))
            if src_name.split('/')[-1].split('.')[0].endswith('cloudinit'):
                raise TaskError("cannot import from '{0}' - cannot import from cloudinit disk".format(source))
            size = int(vol['size'])
        if key in ('efidisk0', 'tpmstate0'):
            size = {'efidisk0': 528, 'tpmstate0': 4096}[key] * KIB  # clone_disk: efisize / TPMSTATE_DISK_SIZE
        kib = -(-size // KIB)  # vdisk_alloc takes KiB; the lab allocates whole KiB
        volid, _fmt = self._qm_alloc(sid, vmid, props.pop('format', None), kib * KIB)
        props['size'] = format_size(kib * KIB)
        return join_drive(volid, props), [volid]

    # ------------------------------------------------------------ config updates

    def _vm_priv_checks(self, vm, user, p):
        """$check_vm_modify_config_perm's root-only branch and the usb/serial checks of update_vm_api."""
        if user == 'root@pam':
            return
        deletes = [k for k in str(p.get('delete', '') or '').split(',') if k]
        for key in sorted(p) + deletes:
            if DRIVE_KEY.match(key) or SKIPPED.match(key):
                continue
            if key in CPU_OPTIONS | MEMORY_OPTIONS | HWTYPE_OPTIONS | GENERAL_OPTIONS | DISK_OPTIONS | \
                    CLOUDINIT_OPTIONS:
                continue
            raise die("only root can set '{0}' config".format(key))
        if 'startup' in p or 'startup' in deletes:
            # "special case for startup since it changes host behaviour"
            self.require(user, '/vms/{0}'.format(vm.vmid), 'VM.Config.Options')
            self.require(user, '/', 'Sys.Modify')
        for key in deletes:
            value = vm.config.get(key, vm.pending.get(key))
            if re.fullmatch(r'serial\d+', key) and value is not None and value != 'socket':
                raise die("only root can delete '{0}' config for real devices".format(key))
            if re.fullmatch(r'usb\d+', key) and value is not None:
                self._check_usb_perm(vm.vmid, user, key, value)
        for key in sorted(p):
            if re.fullmatch(r'serial\d+', key):
                old = vm.config.get(key)
                if (old is None or old == 'socket') and p[key] == 'socket':
                    self.require(user, '/vms/{0}'.format(vm.vmid), 'VM.Config.HWType')
                else:
                    raise die("only root can modify '{0}' config for real devices".format(key))
            elif re.fullmatch(r'usb\d+', key):
                if vm.config.get(key):
                    self._check_usb_perm(vm.vmid, user, key, vm.config[key])
                self._check_usb_perm(vm.vmid, user, key, p[key])

    def _check_usb_perm(self, vmid, user, key, value):
        """Qemu.pm check_usb_perm."""
        self.require(user, '/vms/{0}'.format(vmid), 'VM.Config.HWType')
        device = dict((part.split('=', 1) if '=' in part else ('host', part))
                      for part in str(value).split(',') if part)
        if device.get('host'):
            if device['host'].lower() != 'spice':
                raise die("only root can set '{0}' config for real devices".format(key))
        elif device.get('mapping'):
            self.require(user, '/mapping/usb/{0}'.format(device['mapping']), 'Mapping.Use')
        else:
            raise die("either 'host' or 'mapping' must be set.")

    def check_hookscript(self, volid):
        """pve-guest-common PVE/GuestHelpers.pm check_hookscript: the message it dies with, or None."""
        sid, name = volume_ref(volid)
        if sid is None:
            vtype = None
        else:
            vtype = self._parse_volname(self._store(sid), name)[0]
        if vtype != 'snippets':
            return "'{0}' is not in the snippets directory".format(volid)
        vol = self._volumes(sid).get(name)
        if vol is None:
            return "script '{0}' does not exist".format(volid)
        if not vol.get('executable'):
            return "script '{0}' is not executable".format(volid)
        return None

    async def _apply_config(self, vm, user, p):
        if p.get('hookscript') is not None:  # checked before the privileges, in the parameter loop
            problem = self.check_hookscript(str(p['hookscript']))
            if problem:
                raise param_error(hookscript=problem)
        self._vm_priv_checks(vm, user, p)
        p = dict(p)
        for key in sorted(k for k in p if DRIVE_KEY.match(k)):
            self._qm_check_drive(user, vm.vmid, None, key, p[key], None)
        made = []
        try:
            for key in sorted(k for k in p if DRIVE_KEY.match(k)):
                volume, props = split_drive(p[key])
                if 'import-from' in dict(props):
                    if key in vm.config and not is_cdrom(*split_drive(vm.config[key])):
                        raise param_error(**{key: "unable to replace disk '{0}' - detach it first".format(key)})
                    p[key], volids = self._qm_new_drive(vm.vmid, key, p[key], None)
                    made.extend(volids)
                elif volume and volume not in ('none', 'cdrom') and not NEW_DISK.match(volume) and \
                        not volume.endswith(':cloudinit') and volume_ref(volume)[0] is not None:
                    # create_disks for an existing volume: it must exist, its size is written
                    p[key] = self._qm_new_drive(vm.vmid, key, p[key], None)[0]
            return await super()._apply_config(vm, user, p)
        except (PveError, TaskError) as exc:
            for volid in made:
                self._qm_free(volid)
            if isinstance(exc, TaskError):
                raise die(str(exc)) from exc
            raise

    def _config_priv(self, key):
        """The privilege $check_vm_modify_config_perm asks for `key` where fakepve's table differs."""
        if re.fullmatch(r'numa\d+', key):
            return 'VM.Config.CPU'
        if key in CLOUDINIT_OPTIONS or re.fullmatch(r'ipconfig\d+', key):
            return 'VM.Config.Cloudinit'  # or VM.Config.Network (check_vm_perm with $any): not modelled
        if not (DRIVE_KEY.match(key) or SKIPPED.match(key) or key in CPU_OPTIONS | MEMORY_OPTIONS |
                HWTYPE_OPTIONS | GENERAL_OPTIONS | DISK_OPTIONS):
            return 'root'
        return super()._config_priv(key)

    def cicustom_problem(self, config):
        """qemu-server src/PVE/QemuServer/Cloudinit.pm get_custom_cloudinit_files / read_cloudinit_snippets_file
        (and pve-storage abs_filesystem_path): why the snippets of `cicustom` cannot be read, or None."""
        parts = dict(part.split('=', 1) for part in str(config.get('cicustom') or '').split(',') if '=' in part)
        for kind in ('network', 'user', 'meta', 'vendor'):
            volid = parts.get(kind)
            if not volid:
                continue
            sid, name = volume_ref(volid)
            if sid is None:
                return "can't find file '{0}'".format(volid)
            if self._parse_volname(self._store(sid), name)[0] != 'snippets':
                return '{0} is not in the snippets directory'.format(volid)
            if name not in self._volumes(sid):
                return "can't find file '{0}'".format(volid)
        return None

    async def _qm_cloudinit_regenerate(self, values, user):
        vm = self.find(values['node'], values['vmid'])
        if has_cloudinit_drive(vm.config):
            problem = self.cicustom_problem(vm.config)
            if problem:
                raise die(problem)
        return await super()._qm_cloudinit_regenerate(values, user)

    # ------------------------------------------------------------ VM create and start

    async def _qm_create(self, v, user):
        if user != 'root@pam':
            if v.get('startup') is not None:
                self.require(user, '/', 'Sys.Modify')
            for key in sorted(v):
                if re.fullmatch(r'serial\d+', key) and v[key] != 'socket':
                    raise die("only root can set '{0}' config for real devices".format(key))
                if re.fullmatch(r'usb\d+', key):
                    self._check_usb_perm(int(v['vmid']), user, key, v[key])
        return await super()._qm_create(v, user)

    async def _do_start(self, vm, user, p):
        """vm_start_nolock: the pending changes are applied, the cloud-init drive generated (its snippets read),
        then the hookscript's pre-start phase runs (stop on error)."""
        if vm.status != 'running' and not vm.template:
            config = dict(vm.config)
            for key, value in vm.pending.items():
                if value is None:
                    config.pop(key, None)
                else:
                    config[key] = value
            problem = self.cicustom_problem(config) if has_cloudinit_drive(config) else None
            if not problem and config.get('hookscript'):
                problem = self.check_hookscript(config['hookscript'])
                if problem:
                    problem = 'hookscript error for {0} on pre-start: {1}'.format(vm.vmid, problem)
            if problem:
                async def body():
                    raise TaskError(problem)
                return await self.task(vm.node, 'qmstart', vm.vmid, user, body, vm=vm)
        return await super()._do_start(vm, user, p)

    # ------------------------------------------------------------ containers

    def _ct_device_problem(self, node, key, value):
        """update_pct_config's devN checks: the message PVE dies with, or None."""
        path = dict((part.split('=', 1) if '=' in part else ('path', part))
                    for part in str(value).split(',') if part).get('path')
        if path is None:
            return 'Path is not defined for passthrough device {0}'.format(key)
        kind = self.node_devices.get(node, {}).get(path)
        if kind is None:
            return 'Device {0} does not exist'.format(path)
        if kind not in ('char', 'block'):
            return '{0} is not a device'.format(path)
        return None

    def _ct_file_checks(self, user, node, v):
        if user != 'root@pam':
            return  # devN and hookscript are root@pam's: check_ct_modify_config_perm refuses them first
        for key in sorted(v):
            if re.fullmatch(r'dev\d+', key):
                problem = self._ct_device_problem(node, key, v[key])
                if problem:
                    raise die(problem)
        if v.get('hookscript') is not None:
            problem = self.check_hookscript(str(v['hookscript']))
            if problem:
                raise die(problem)

    async def _lxc_config_put(self, user, v):
        ct = self._find_ct(v['node'], v['vmid'])
        self._ct_file_checks(user, ct.node, v)
        return await super()._lxc_config_put(user, v)

    async def _lxc_create(self, user, v):
        self._ct_file_checks(user, v['node'], v)
        return await super()._lxc_create(user, v)
