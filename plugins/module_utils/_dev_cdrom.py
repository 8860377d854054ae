# -*- coding: utf-8 -*-
# Copyright: iac.proxmox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A VM's CD/DVD drives: the entries of `disks` with `media: cdrom` (ideN, sataN, scsiN). Private to the collection.

A drive holds an ISO image (`<storage>:iso/<file>`), nothing (`none`: the drive is empty, the medium ejected)
or the node's physical drive (`cdrom`), always with `media=cdrom` (PVE requires it for an ISO). The disk spec
(_dev_disk) takes the other entries of `disks`; a slot that holds a disk is never turned into a CD/DVD drive, nor
a CD/DVD drive into a disk, and the cloud-init drive is left to the cloud-init spec.
"""

from __future__ import annotations

import re

from ._dev_disk import DRIVE_FIELD, detach_drive, is_cdrom
from ._errors import ValidationError
from ._propstring import DRIVE
from ._regex import regex
from ._specbase import DeviceSpec

CDROM_SLOT = regex(r'^(?:scsi(?:[0-9]|[12][0-9]|30)|sata[0-5]|ide[0-3])$')
ISO_VOLUME = regex(r'^[A-Za-z][A-Za-z0-9_.-]*:iso/[^/\s,]+\.(?:iso|img)$', re.IGNORECASE)
# The options of a disk entry that a CD/DVD drive entry does not take.
DISK_ONLY = ('storage', 'size', 'import_from', 'format', 'backup', 'discard', 'ssd', 'iothread', 'cache', 'aio',
             'iops_rd', 'iops_wr', 'iops_rd_max', 'iops_wr_max', 'mbps_rd', 'mbps_wr', 'mbps_rd_max', 'mbps_wr_max',
             'serial', 'wwn', 'ro', 'replicate', 'snapshot')


def is_cloudinit_drive(value):
    return 'cloudinit' in DRIVE.parse(value).get('file', '')


class CdromSpec(DeviceSpec):
    """`disks` entries with `media: cdrom`: a VM's CD/DVD drives by slot."""

    option = 'disks'
    name = 'cdroms'
    slot = CDROM_SLOT
    slot_help = 'a CD/DVD drive slot (ide0-3, sata0-5, scsi0-30)'
    field = DRIVE_FIELD

    def keys(self):
        return []  # the same keys as the disks' (docs/keys.md lists them there)

    def selects(self, entry):
        return entry.get('media') == 'cdrom'

    def normalize(self, entry, option, params):
        drive = dict(entry, option=option)
        for key in DISK_ONLY:
            if entry.get(key) is not None:
                raise ValidationError('{0}.{1}'.format(option, key), entry[key], 'is a disk option; a CD/DVD drive '
                                      '(media: cdrom) takes iso and state only')
        iso = entry.get('iso')
        if iso is not None and iso not in ('none', 'cdrom') and not ISO_VOLUME.match(iso):
            raise ValidationError(option + '.iso', iso, 'is not an ISO image (<storage>:iso/<file>.iso), none (an '
                                                        'empty drive) or cdrom (the host drive)')
        return drive

    def plan(self, entry, current, plan, ctx):
        slot, option = entry['slot'], entry['option']
        value = current.get(slot)
        if value is not None and (not is_cdrom(value) or is_cloudinit_drive(value)):
            raise ValidationError(option + '.slot', slot, 'holds {0} ({1}), not a CD/DVD drive; remove it first '
                                                          '(state: absent) to put a CD/DVD drive there'.format(
                                                              'the cloud-init drive' if is_cdrom(value) else 'a disk',
                                                              value))
        if entry.get('state') == 'absent':
            detach_drive(plan, slot, value)
            return
        iso = entry.get('iso')
        if value is None:
            drive = {'file': iso or 'none', 'media': 'cdrom'}
        else:
            drive = DRIVE.parse(value)
            if iso is not None and iso != drive.get('file'):
                drive['file'] = iso
                drive.pop('size', None)  # PVE writes the new image's size
            drive['media'] = 'cdrom'
        if ISO_VOLUME.match(drive['file']) and (value is None or DRIVE.parse(value).get('file') != drive['file']):
            plan.isos.append((slot, drive['file'], option))
        plan.want(slot, DRIVE.format(drive))


CDROMS = CdromSpec()
