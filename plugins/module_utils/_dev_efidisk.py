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
from ._dev_disk import plan_drive_move
from ._specbase import DeviceSpec

FIELDS = {
    'efidisk0': Field(props_normalizer(DRIVE, {'pre-enrolled-keys': as_bool}, defaults={'efitype': '2m',
                                                                                        'pre-enrolled-keys': 0},
                                       ignore=('size',))),
}


class EfiDiskSpec(DeviceSpec):
    """`efidisk`: one dict {storage, efitype, pre_enrolled_keys, state}."""

    option = 'efidisk'
    many = False
    fields = FIELDS

    def normalize(self, entry, option, params):
        check_storage('efidisk.storage', entry.get('storage'))
        bios = params.get('bios')
        if entry.get('state', 'present') == 'present' and bios is not None and bios != 'ovmf':
            raise ValidationError('efidisk', None, 'an EFI disk needs bios: ovmf (bios is {0})'.format(bios))
        return dict(entry)

    def plan(self, entry, current, plan, ctx):
        value = current.get('efidisk0')
        if entry.get('state', 'present') == 'absent':
            if value is not None:
                plan.detach('efidisk0', DRIVE.parse(value).get('file'))
            return
        bios = ctx.settings.get('bios', current.get('bios', 'seabios'))
        if bios != 'ovmf':
            raise ValidationError('efidisk', None, 'an EFI disk needs bios: ovmf (the VM has bios {0})'.format(bios))
        wanted = {}
        if entry.get('efitype') is not None:
            wanted['efitype'] = entry['efitype']
        if entry.get('pre_enrolled_keys') is not None:
            wanted['pre-enrolled-keys'] = '1' if entry['pre_enrolled_keys'] else '0'
        if value is None:
            if not entry.get('storage'):
                raise ValidationError('efidisk.storage', None, 'the VM has no EFI disk yet: give its storage')
            drive = {'file': '{0}:1'.format(entry['storage']), 'efitype': wanted.get('efitype', '4m'),
                     'pre-enrolled-keys': wanted.get('pre-enrolled-keys', '1')}
            plan.want('efidisk0', DRIVE.format(drive))
            plan.add_volume('efidisk0', entry['storage'], 'efidisk.storage')
            return
        drive = DRIVE.parse(value)
        have = {'efitype': drive.get('efitype', '2m'),
                'pre-enrolled-keys': str(as_bool(drive.get('pre-enrolled-keys', 0)))}
        for key, want in wanted.items():
            if have[key] != want:
                raise DiffError('efidisk0', 'efidisk.{0} can only be set when the EFI disk is created (it is {1}, the '
                                            'play asks for {2})'.format(key.replace('-', '_'), have[key], want))
        plan_drive_move(plan, 'efidisk0', value, entry.get('storage'), 'efidisk.storage')


EFIDISK = EfiDiskSpec()
