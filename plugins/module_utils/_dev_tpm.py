# -*- coding: utf-8 -*-
# Copyright: iac.proxmox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A VM's TPM state (`tpm`: tpmstate0). Private to the collection.

`tpm: {storage, version}` adds it, `tpm: false` removes it. The version is chosen when it is created;
afterwards it can only move to another storage.
"""

from __future__ import annotations

from ._checks import check_storage
from ._diff import DiffError, Field, props_normalizer
from ._errors import ValidationError
from ._propstring import DRIVE
from ._dev_disk import SingleDriveSpec

FIELDS = {
    'tpmstate0': Field(props_normalizer(DRIVE, defaults={'version': 'v1.2'}, ignore=('size',))),
}
USAGE = 'give a dict {storage, version}, or false to remove the TPM'


class TpmSpec(SingleDriveSpec):
    """`tpm`: a dict {storage, version, state}, or false."""

    option = 'tpm'
    key = 'tpmstate0'
    noun = 'TPM'
    fields = FIELDS

    def normalize(self, entry, option, params):
        if isinstance(entry, bool) or str(entry).lower() in ('false', 'no', 'off', '0', 'absent'):
            if entry is True:
                raise ValidationError('tpm', entry, USAGE)
            return {'state': 'absent'}
        if not isinstance(entry, dict):
            raise ValidationError('tpm', entry, USAGE)
        unknown = set(entry) - {'storage', 'version', 'state'}
        if unknown:
            raise ValidationError('tpm', sorted(unknown), 'unknown TPM options (storage, version, state)')
        check_storage('tpm.storage', entry.get('storage'))
        if entry.get('version') not in (None, 'v1.2', 'v2.0'):
            raise ValidationError('tpm.version', entry['version'], 'must be v1.2 or v2.0')
        if entry.get('state', 'present') not in ('present', 'absent'):
            raise ValidationError('tpm.state', entry['state'], 'must be present or absent')
        return dict(entry)

    def new_drive(self, entry):
        return {'version': entry.get('version') or 'v2.0'}

    def check_kept(self, entry, drive):
        have = drive.get('version', 'v1.2')
        if entry.get('version') and entry['version'] != have:
            raise DiffError('tpmstate0', 'tpm.version can only be set when the TPM state is created (it is {0}, the '
                                         'play asks for {1})'.format(have, entry['version']))


TPM = TpmSpec()
