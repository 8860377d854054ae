# -*- coding: utf-8 -*-
# Copyright: iac.proxmox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A VM's EFI disk (`efidisk`: efidisk0). Private to the collection.

It needs bios: ovmf. Its type (efitype) and pre-enrolled keys are chosen when it is created; afterwards it can
only move to another storage or go (`state: absent`).
"""

from __future__ import annotations

from ._checks import check_storage
from ._diff import DiffError, Field, as_bool, props_normalizer
from ._errors import ValidationError
from ._propstring import DRIVE
from ._dev_disk import SingleDriveSpec

FIELDS = {
    'efidisk0': Field(props_normalizer(DRIVE, {'pre-enrolled-keys': as_bool}, defaults={'efitype': '2m',
                                                                                        'pre-enrolled-keys': 0},
                                       ignore=('size',))),
}


def wanted(entry):
    """The create-time settings the play names, as PVE writes them."""
    out = {}
    if entry.get('efitype') is not None:
        out['efitype'] = entry['efitype']
    if entry.get('pre_enrolled_keys') is not None:
        out['pre-enrolled-keys'] = '1' if entry['pre_enrolled_keys'] else '0'
    return out


class EfiDiskSpec(SingleDriveSpec):
    """`efidisk`: one dict {storage, efitype, pre_enrolled_keys, state}."""

    option = 'efidisk'
    key = 'efidisk0'
    noun = 'EFI disk'
    fields = FIELDS

    def normalize(self, entry, option, params):
        check_storage('efidisk.storage', entry.get('storage'))
        bios = params.get('bios')
        if entry.get('state', 'present') == 'present' and bios is not None and bios != 'ovmf':
            raise ValidationError('efidisk', None, 'an EFI disk needs bios: ovmf (bios is {0})'.format(bios))
        return dict(entry)

    def check_context(self, entry, current, ctx):
        bios = ctx.settings.get('bios', current.get('bios', 'seabios'))
        if bios != 'ovmf':
            raise ValidationError('efidisk', None, 'an EFI disk needs bios: ovmf (the VM has bios {0})'.format(bios))

    def new_drive(self, entry):
        settings = wanted(entry)
        return {'efitype': settings.get('efitype', '4m'),
                'pre-enrolled-keys': settings.get('pre-enrolled-keys', '1')}

    def check_kept(self, entry, drive):
        have = {'efitype': drive.get('efitype', '2m'),
                'pre-enrolled-keys': str(as_bool(drive.get('pre-enrolled-keys', 0)))}
        for key, want in wanted(entry).items():
            if have[key] != want:
                raise DiffError('efidisk0', 'efidisk.{0} can only be set when the EFI disk is created (it is {1}, the '
                                            'play asks for {2})'.format(key.replace('-', '_'), have[key], want))


EFIDISK = EfiDiskSpec()
