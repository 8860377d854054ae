# -*- coding: utf-8 -*-
# Copyright: iac.proxmox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A VM's disks (`disks`: scsiN, virtioN, sataN, ideN) and what every QEMU drive shares. Private to the collection.

A drive slot holds a disk, a CD-ROM (`media=cdrom`, `none` or the host's `cdrom`) or the cloud-init drive.
The disk spec creates disks, grows them, moves them to another storage and detaches them; it refuses to
treat a CD-ROM as a disk. The drive helpers below serve the EFI disk, the TPM state and clones too.
"""

from __future__ import annotations

import re
from urllib.parse import unquote as urllib_unquote

from ._checks import KIB, check_size, check_storage, gib_text
from ._diff import DiffError, Field, as_bool, as_int, as_number, props_normalizer
from ._errors import ValidationError
from ._propstring import DRIVE, format_size, split_volume_id
from ._regex import regex
from ._specbase import DeviceSpec, flag_value, plan_grow, without_none

DISK_SLOT = regex(r'^(?:scsi(?:[0-9]|[12][0-9]|30)|virtio(?:[0-9]|1[0-5])|sata[0-5]|ide[0-3])$')
# Drives outside the disk slots, one each.
SINGLE_DRIVES = ('efidisk0', 'tpmstate0')

# The throttle options (Drive.pm $add_throttle_desc): iops integers, mbps numbers; 0 or absent is no limit.
IOPS_KEYS = ('iops_rd', 'iops_wr', 'iops_rd_max', 'iops_wr_max')
MBPS_KEYS = ('mbps_rd', 'mbps_wr', 'mbps_rd_max', 'mbps_wr_max')
# Which bus takes which option (qemu-server src/PVE/QemuServer/Drive.pm $scsi_fmt, $virtio_fmt, $sata_fmt,
# $ide_fmt): `ro` only scsi and virtio (%readonly_fmt), `wwn` scsi, sata and ide (%wwn_fmt).
BUS_OPTIONS = {'ro': ('scsi', 'virtio'), 'wwn': ('scsi', 'sata', 'ide')}
WWN = regex(r'^0x[0-9a-fA-F]{16}$')
# pve-common JSONSchema.pm pve_verify_urlencoded: what an url-encoded string may hold.
URLENCODED = regex(r"^[-%a-zA-Z0-9_.!~*'()]*$")
# import_from: an import image (`<storage>:import/<file>`) or a VM image (`<storage>:<vmid>/<volume>`,
# `<storage>:vm-<vmid>-disk-N`, `<storage>:base-...`).
IMPORT_SOURCE = regex(r'^[A-Za-z][A-Za-z0-9_.-]*:(?:import/[^/\s]+\.(?:qcow2|raw|vmdk)|\d+/[^/\s]+|'
                      r'(?:vm|base)-\d+-[^/\s]+)$')

DRIVE_FIELD = Field(props_normalizer(DRIVE, dict({'backup': as_bool, 'ssd': as_bool, 'iothread': as_bool,
                                                  'replicate': as_bool, 'ro': as_bool, 'snapshot': as_bool},
                                                 **dict([(k, as_int) for k in IOPS_KEYS] +
                                                        [(k, as_number) for k in MBPS_KEYS])),
                                     defaults=dict({'backup': 1, 'ssd': 0, 'iothread': 0, 'discard': 'ignore',
                                                    'cache': 'none', 'replicate': 1, 'ro': 0, 'snapshot': 0},
                                                   **dict((k, 0) for k in IOPS_KEYS + MBPS_KEYS)),
                                     ignore=('size',)))


def is_cdrom(value):
    drive = DRIVE.parse(value)
    return drive.get('media') == 'cdrom' or drive.get('file') in ('cdrom', 'none')


def volume_storage(value):
    """The storage of a drive value's volume, or None for a path or `none`."""
    volume = DRIVE.parse(value).get('file', '')
    if ':' not in volume or volume.startswith('/'):
        return None
    return split_volume_id(volume)[0]


def volume_format(volume):
    name = volume.rsplit('/', 1)[-1]
    for ext in ('qcow2', 'vmdk', 'raw'):
        if name.endswith('.' + ext):
            return ext
    return 'raw'


def is_drive_key(key):
    return key in SINGLE_DRIVES or bool(DISK_SLOT.match(key))


def drive_slots(config):
    """The disk slots of a config that hold volumes (not CD-ROMs)."""
    return [k for k, v in config.items() if is_drive_key(k) and not is_cdrom(v)]


def clone_volumes(config):
    """(slot, volume ID) of every volume in a config's drives, CD-ROM images and the cloud-init drive included
    (what qemu-server's clone_vm checks for shared storage); `none` and the host's `cdrom` are no volumes."""
    out = []
    for key in sorted(config):
        if not is_drive_key(key):
            continue
        volume = DRIVE.parse(config[key]).get('file') or ''
        if ':' in volume:
            out.append((key, volume))
    return out


def retarget_drive(_key, value, storage):
    """A drive value with its volume on another storage (a clone's target); CD-ROMs stay as they are."""
    if is_cdrom(value):
        return value
    drive = DRIVE.parse(value)
    volume = drive.get('file', '')
    if ':' not in volume:
        return value
    drive['file'] = '{0}:{1}'.format(storage, split_volume_id(volume)[1])
    return DRIVE.format(drive)


def detach_drive(plan, slot, value):
    """Remove a drive (`state: absent`); a volume it held stays as an unused volume, listed for purge_volumes."""
    if value is not None:
        plan.detach(slot, None if is_cdrom(value) else DRIVE.parse(value).get('file'))


def drive_flags(disk):
    """The drive options the play sets; None removes a key (its PVE default)."""
    out = {}
    if disk.get('backup') is not None:
        out['backup'] = flag_value(disk, 'backup', None, '0')
    for key in ('ssd', 'iothread'):
        if disk.get(key) is not None:
            out[key] = flag_value(disk, key)
    if disk.get('discard') is not None:
        out['discard'] = flag_value(disk, 'discard', 'on')
    if disk.get('cache') is not None:
        out['cache'] = None if disk['cache'] == 'none' else disk['cache']
    for key in ('ro', 'snapshot'):
        if disk.get(key) is not None:
            out[key] = flag_value(disk, key)
    if disk.get('replicate') is not None:
        out['replicate'] = flag_value(disk, 'replicate', None, '0')
    for key in ('aio', 'serial', 'wwn'):
        if disk.get(key) is not None:
            out[key] = disk[key] or None
    for key in IOPS_KEYS + MBPS_KEYS:
        if disk.get(key) is not None:
            out[key] = number_text(disk[key]) if disk[key] else None
    return out


def number_text(value):
    """A number as PVE prints it back: 100 not 100.0."""
    number = float(value)
    return str(int(number)) if number.is_integer() else repr(number)


def check_drive_options(disk, option):
    """The drive options of a disk entry PVE would refuse (Drive.pm's formats), checked before any write."""
    bus = re.match(r'^[a-z]+', disk['slot']).group(0)
    for key, buses in sorted(BUS_OPTIONS.items()):
        if disk.get(key) is not None and bus not in buses:
            raise ValidationError('{0}.{1}'.format(option, key), disk[key], 'is not an option of {0} drives (PVE '
                                  'takes it on {1} drives)'.format(bus, ', '.join(buses)))
    if disk.get('wwn') and not WWN.match(disk['wwn']):
        raise ValidationError(option + '.wwn', disk['wwn'], "is not a worldwide name: '0x' and 16 hex digits")
    serial = disk.get('serial')
    if serial:
        try:
            decoded = urllib_unquote(serial)
        except ValueError:
            decoded = None
        if not URLENCODED.match(serial) or decoded is None or len(decoded.encode('utf-8')) > 20:
            raise ValidationError(option + '.serial', serial, 'is not a drive serial: up to 20 bytes, url-encoded '
                                  "(letters, digits, -_.!~*'() and %XX)")
    for key in IOPS_KEYS + MBPS_KEYS:
        value = disk.get(key)
        if value is not None and (isinstance(value, bool) or value < 0):
            raise ValidationError('{0}.{1}'.format(option, key), value, 'must be 0 (no limit) or more')


class DiskSpec(DeviceSpec):
    """`disks`: a VM's disks by slot."""

    option = 'disks'
    slot = DISK_SLOT
    slot_help = 'a disk slot (scsi0-30, virtio0-15, sata0-5, ide0-3)'
    field = DRIVE_FIELD

    def selects(self, entry):
        return entry.get('media') != 'cdrom'

    def normalize(self, entry, option, params):
        disk = dict(entry, option=option)
        if entry.get('iso') is not None:
            raise ValidationError(option + '.iso', entry['iso'], 'is an option of CD/DVD drives; add media: cdrom')
        disk['storage'] = check_storage(option + '.storage', entry.get('storage'))
        disk['size'] = check_size(option + '.size', entry.get('size'), KIB)
        source = entry.get('import_from')
        if source is not None and not IMPORT_SOURCE.match(str(source)):
            raise ValidationError(option + '.import_from', source, 'is not an image to import: give '
                                  '<storage>:import/<file>.qcow2|raw|vmdk or a VM image such as '
                                  '<storage>:vm-<vmid>-disk-N or <storage>:<vmid>/<volume>')
        check_drive_options(disk, option)
        return disk

    def plan(self, entry, current, plan, ctx):
        slot, option = entry['slot'], entry['option']
        value = current.get(slot)
        if entry.get('state') == 'absent':
            detach_drive(plan, slot, value)
            return
        if value is None:
            self.plan_new(entry, plan, getattr(ctx.spec, 'import_sizes', None) or {})
            return
        if is_cdrom(value):
            raise ValidationError(option + '.slot', slot, 'holds a CD/DVD drive or the cloud-init drive, not a disk '
                                                          '({0}); a CD/DVD drive is an entry with media: '
                                                          'cdrom'.format(value))
        drive = DRIVE.parse(value)
        self.check_kept(entry, drive, value, slot in ctx.clone_slots)
        storage = volume_storage(value)
        if entry['storage'] and storage and entry['storage'] != storage:
            plan.move(slot, entry['storage'], option + '.storage')
        plan_grow(plan, slot, option, drive.get('size'), entry['size'], 'disks')
        merged = dict(drive)
        merged.update(drive_flags(entry))
        plan.want(slot, DRIVE.format(without_none(merged)))

    @staticmethod
    def plan_new(entry, plan, import_sizes):
        """A new disk; import_sizes: the virtual size of each image the run has checked (by source)."""
        slot, option = entry['slot'], entry['option']
        source = entry.get('import_from')
        if source:
            # PVE's import-from: `<storage>:0,import-from=<source>`, the new volume gets the image's size;
            # the image is checked (and a larger size planned as a resize) by the run (see plan_import_size).
            if not entry['storage']:
                raise ValidationError(option, slot, 'is a new disk imported from {0}: give its storage'.format(
                    source))
            drive = {'file': '{0}:0'.format(entry['storage']), 'import-from': source}
            plan.imports.append((slot, source, entry['size'], option))
            if import_sizes.get(source) is not None:
                plan_import_size(plan, slot, option, entry['size'], import_sizes[source], source)
        else:
            if not entry['storage'] or not entry['size']:
                raise ValidationError(option, slot, 'is a new disk: give its storage and size (or import_from)')
            drive = {'file': '{0}:{1}'.format(entry['storage'], gib_text(entry['size']))}
        if entry.get('format'):
            drive['format'] = entry['format']
        drive.update(without_none(drive_flags(entry)))
        plan.want(slot, DRIVE.format(drive))
        plan.add_volume(slot, entry['storage'], option + '.storage')

    @staticmethod
    def check_kept(entry, drive, value, cloned):
        """What the play cannot change of an existing disk: a cloned disk's storage and format are the clone's,
        and the format is chosen when the disk is created."""
        slot, option = entry['slot'], entry['option']
        storage = volume_storage(value)
        if cloned and (entry.get('format') or (entry['storage'] and entry['storage'] != storage)):
            raise ValidationError(option, slot, 'comes from the clone source; its storage and format are the '
                                                "clone's (use the storage option to clone it onto {0})".format(
                                                    entry['storage'] or 'another storage'))
        have = drive.get('format', volume_format(drive.get('file', '')))
        if entry.get('format') and entry['format'] != have:
            raise DiffError(slot, '{0}: format can only be chosen when the disk is created (it is {1})'.format(
                option, have))


def plan_import_size(plan, slot, option, size, image_size, source):
    """A disk imported from an image of image_size bytes gets that size: a larger play size is a resize after the
    import, a smaller one an error (disks only grow)."""
    if not size or size == image_size:
        return
    if size < image_size:
        raise ValidationError(option + '.size', format_size(size), 'is smaller than the image {0} it is imported '
                              'from ({1}); disks only grow: give {1} or more, or leave size out'.format(
                                  source, format_size(image_size)))
    if not any(s == slot for s, _size, _have in plan.resizes):
        plan.resizes.append((slot, size, image_size))


class SingleDriveSpec(DeviceSpec):
    """A drive a VM has at most one of, in a fixed key (efidisk0, tpmstate0), given as one dict: created on
    `storage` with the settings it can only get then, moved when the play names another storage, removed with
    `state: absent`. Subclasses name the key and the option, and say what a new drive is and what of an existing
    one the play cannot change."""

    many = False
    key = None
    noun = None  # as messages name it: EFI disk, TPM

    def plan(self, entry, current, plan, ctx):
        value = current.get(self.key)
        if entry.get('state', 'present') == 'absent':
            detach_drive(plan, self.key, value)
            return
        self.check_context(entry, current, ctx)
        if value is None:
            if not entry.get('storage'):
                raise ValidationError(self.option + '.storage', None, 'the VM has no {0} yet: give its storage'.format(
                    self.noun))
            drive = dict(self.new_drive(entry), file='{0}:1'.format(entry['storage']))
            plan.want(self.key, DRIVE.format(drive))
            plan.add_volume(self.key, entry['storage'], self.option + '.storage')
            return
        self.check_kept(entry, DRIVE.parse(value))
        if entry.get('storage') and volume_storage(value) != entry['storage']:
            plan.move(self.key, entry['storage'], self.option + '.storage')

    def check_context(self, entry, current, ctx):
        """What the rest of the VM must be for this drive (the EFI disk needs bios: ovmf)."""

    def new_drive(self, entry):
        """The drive's settings when it is created (its file aside)."""
        raise NotImplementedError

    def check_kept(self, entry, drive):
        """Raise a DiffError for what the play asks of an existing drive that only its creation can set."""
        raise NotImplementedError


DISKS = DiskSpec()
