# -*- coding: utf-8 -*-
# Copyright: iac.proxmox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Serial ports of a VM (`serial`: serial0-serial3). Private to the collection.

qemu-server QemuServer.pm $serialdesc: `socket` (a console PVE's xterm.js and `qm terminal` attach to) or a
host device `/dev/...`. A host device is root@pam's only, to create, change or remove (Qemu.pm
$check_vm_create_serial_perm and update_vm_api); PVE's refusal is shown as it comes.
"""

from __future__ import annotations

from ._diff import ABSENT, Field, as_str
from ._errors import ValidationError
from ._regex import regex
from ._specbase import DeviceSpec

SERIAL_SLOT = regex(r'^serial[0-3]$')
SERIAL_TYPE = regex(r'^(?:socket|/dev/.+)$')


class SerialSpec(DeviceSpec):
    """`serial`: [{slot, type, state}]."""

    option = 'serial'
    slot = SERIAL_SLOT
    slot_help = 'a serial port slot (serial0-serial3)'
    field = Field(as_str)

    def normalize(self, entry, option, params):
        if entry.get('state') != 'absent':
            if entry.get('type') is None:
                raise ValidationError(option + '.type', None, 'is required: socket or a host device /dev/...')
            if not SERIAL_TYPE.match(entry['type']) or ',' in entry['type']:
                raise ValidationError(option + '.type', entry['type'], 'must be socket or a host device path such '
                                                                       'as /dev/ttyS0')
        return dict(entry, option=option)

    def plan(self, entry, current, plan, ctx):
        slot = entry['slot']
        if entry.get('state') == 'absent':
            if current.get(slot) is not None:
                plan.want(slot, ABSENT)
            return
        plan.want(slot, entry['type'])


SERIALS = SerialSpec()
