"""The size a new volume gets from `STORAGE:SIZE` (SIZE in GiB, fractions allowed), computed as PVE does.

* VM disks: qemu-server src/PVE/API2/Qemu.pm create_disks (`$NEW_DISK_RE` of src/PVE/QemuServer/Drive.pm)
  turns SIZE into KiB with PVE::Tools::convert_size(SIZE, 'gb' => 'kb') (pve-common src/PVE/Tools.pm), which
  rounds a fractional KiB up; vdisk_alloc gets that many KiB and the config's `size=` holds exactly that many
  KiB, printed by PVE::JSONSchema::format_size (largest unit that divides it: 100M, 104858K). The EFI and TPM
  disks keep their fixed sizes (fakepve's own handling).
* Container rootfs and mount points: pve-container src/PVE/LXC.pm create_disks computes
  `int(SIZE * 1024) * 1024` KiB: whole MiB, a fractional MiB dropped (0.1 GiB is 102M, not 102.4M); the
  mount point's `size=` is that many bytes.
"""

from fakepve.lxc import NEW_DISK as CT_NEW_DISK, format_size, parse_mount, print_mount
from fakepve.qemu import FIXED_KIB, NEW_DISK, join_drive, split_drive

KIB = 1024


def convert_size(value, shift):
    """PVE::Tools::convert_size from a bigger unit to a smaller one: `value` (a decimal string) times
    2**(10 * shift), a fractional remainder rounded up to the next whole unit."""
    number = float(value) * 2 ** (10 * shift)
    if number - int(number) > 0.0:
        number += 1
    return int(number)


def vm_new_disk_bytes(gib_text):
    """Bytes of a VM disk allocated for `STORAGE:<gib_text>` (qemu-server create_disks)."""
    return convert_size(gib_text, 2) * KIB  # 'gb' => 'kb'


def ct_new_volume_bytes(gib_text):
    """Bytes of a container volume allocated for `STORAGE:<gib_text>` (pve-container create_disks)."""
    return int(float(gib_text) * 1024) * 1024 * KIB


class SizeRules(object):
    """Mixin for the lab's FakePve: new volumes get PVE's computed size, never the text the client sent."""

    def _qm_new_drive(self, vmid, key, value, default):
        volume, props = split_drive(value)
        if volume and volume.endswith(':cloudinit'):
            return self._new_cloudinit_drive(vmid, volume, props, default)
        found = NEW_DISK.match(volume or '')
        if not found or key in FIXED_KIB:
            return super()._qm_new_drive(vmid, key, value, default)
        props = dict(props)
        sid = found.group(1) or default
        size = vm_new_disk_bytes(found.group(2))
        volid, _fmt = self._qm_alloc(sid, vmid, props.pop('format', None), size)
        props['size'] = format_size(size)
        return join_drive(volid, props), [volid]

    def _new_cloudinit_drive(self, vmid, volume, props, default):
        """qemu-server src/PVE/API2/Qemu.pm create_disks: `<storage>:cloudinit` is allocated as
        vm-<vmid>-cloudinit (`.<format>`, qcow2 unless given, on storages with a path; raw elsewhere), 4 MiB
        (Cloudinit.pm CLOUDINIT_DISK_SIZE), media=cdrom."""
        props = dict(props)
        sid = volume.split(':', 1)[0] or default
        store = self.storages[sid]
        fmt = props.pop('format', None) or ('qcow2' if store.get('path') else 'raw')
        name = 'vm-{0}-cloudinit'.format(vmid) + ('.' + fmt if store.get('path') else '')
        volname, fmt = self._volume_name(store, vmid, fmt, name)
        store.setdefault('volumes', {})[volname] = {'content': 'images', 'format': fmt, 'size': 4 * 1024 ** 2,
                                                    'vmid': vmid, 'ctime': 0}
        props['media'] = 'cdrom'
        volid = '{0}:{1}'.format(sid, volname)
        return join_drive(volid, props), [volid]

    def _realise(self, vmid, key, value, taken, default_storage=None):
        mount = parse_mount(value)
        found = CT_NEW_DISK.match(mount.get('volume', ''))
        if not found:
            return super()._realise(vmid, key, value, taken, default_storage)
        sid, gib = found.group(1), found.group(2)
        mount['volume'] = self._allocate(vmid, sid, taken)
        size = ct_new_volume_bytes(gib)
        mount['size'] = format_size(size) if size else '0'
        return print_mount(mount, key == 'rootfs')
