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

from ._checks import KIB, check_size, check_storage, gib_text
from ._diff import DiffError, Field, as_bool, props_normalizer
from ._errors import ValidationError
from ._propstring import DRIVE, split_volume_id
from ._specbase import DeviceSpec, flag_value, plan_grow, without_none

DISK_SLOT = re.compile(r'^(?:scsi(?:[0-9]|[12][0-9]|30)|virtio(?:[0-9]|1[0-5])|sata[0-5]|ide[0-3])$')
# Drives outside the disk slots, one each.
SINGLE_DRIVES = ('efidisk0', 'tpmstate0')

DRIVE_FIELD = Field(props_normalizer(DRIVE, {'backup': as_bool, 'ssd': as_bool, 'iothread': as_bool,
                                             'replicate': as_bool},
                                     defaults={'backup': 1, 'ssd': 0, 'iothread': 0, 'discard': 'ignore',
                                               'cache': 'none', 'replicate': 1}, ignore=('size',)))


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
    return out


class DiskSpec(DeviceSpec):
    """`disks`: a VM's disks by slot."""

    option = 'disks'
    slot = DISK_SLOT
    slot_help = 'a disk slot (scsi0-30, virtio0-15, sata0-5, ide0-3)'
    field = DRIVE_FIELD

    def normalize(self, entry, option, params):
        disk = dict(entry, option=option)
        disk['storage'] = check_storage(option + '.storage', entry.get('storage'))
        disk['size'] = check_size(option + '.size', entry.get('size'), KIB)
        return disk

    def plan(self, entry, current, plan, ctx):
        slot, option = entry['slot'], entry['option']
        value = current.get(slot)
        if entry.get('state') == 'absent':
            detach_drive(plan, slot, value)
            return
        if value is None:
            self.plan_new(entry, plan)
            return
        if is_cdrom(value):
            raise ValidationError(option + '.slot', slot, 'holds a CD-ROM or cloud-init drive, not a disk')
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
    def plan_new(entry, plan):
        slot, option = entry['slot'], entry['option']
        if not entry['storage'] or not entry['size']:
            raise ValidationError(option, slot, 'is a new disk: give its storage and size')
        drive = {'file': '{0}:{1}'.format(entry['storage'], gib_text(entry['size']))}
        if entry.get('format'):
            drive['format'] = entry['format']
        drive.update(drive_flags(entry))
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
