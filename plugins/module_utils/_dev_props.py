# -*- coding: utf-8 -*-
# Copyright: iac.proxmox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Single-key devices of a VM, each one grouped property: `rng` (rng0), `watchdog`, `audio` (audio0) and
`smbios` (smbios1). Private to the collection.

Each option is a dict merged into the key's current value (keys the play leaves out keep theirs);
`state: absent` removes the key. The formats are qemu-server's: QemuServer/RNG.pm $rng_fmt, QemuServer.pm
$watchdog_fmt, $audio_fmt and $smbios1_fmt. None of them hot-plugs: on a running VM they wait as pending
changes for the next start.

smbios1 keeps its text values base64-encoded with `base64=1`, as PVE's GUI writes them (pve-manager
Parser.js printQemuSmbios1: every value but the uuid encoded, since SMBIOS strings may hold any character
and PVE's format allows only base64 characters); a value stored plain (no `base64=1`) compares decoded the
same. The `uuid` is kept unless the play gives one.
"""

from __future__ import annotations

import base64

from ._diff import ABSENT, Field, as_bool, as_int, props_normalizer
from ._errors import ValidationError
from ._propstring import PropFormat
from ._regex import regex
from ._specbase import DeviceSpec

RNG = PropFormat('rng', default_key='source')
WATCHDOG = PropFormat('watchdog', default_key='model')
AUDIO = PropFormat('audio', required=('device',))
SMBIOS = PropFormat('smbios1')
SMBIOS_TEXT = ('manufacturer', 'product', 'version', 'serial', 'sku', 'family')
UUID = regex(r'^[a-fA-F0-9]{8}(?:-[a-fA-F0-9]{4}){3}-[a-fA-F0-9]{12}$')


def decode_smbios(value):
    """smbios1 as plain values: the text keys decoded when `base64=1`, the uuid lower-case."""
    data = SMBIOS.parse(value) if not isinstance(value, dict) else dict(value)
    encoded = as_bool(data.pop('base64', 0)) == 1
    out = {}
    for key, item in data.items():
        if key in SMBIOS_TEXT and encoded:
            try:
                item = base64.b64decode(str(item)).decode('utf-8')
            except (ValueError, UnicodeDecodeError):
                pass
        elif key == 'uuid':
            item = str(item).lower()
        out[key] = str(item)
    return out


def encode_smbios(plain):
    """smbios1 as PVE's GUI writes it: text values base64-encoded and `base64=1`."""
    data = {}
    for key, item in plain.items():
        data[key] = base64.b64encode(item.encode('utf-8')).decode('ascii') if key in SMBIOS_TEXT else item
    if any(k in SMBIOS_TEXT for k in data):
        data['base64'] = '1'
    return SMBIOS.format(data)


class PropDevice(DeviceSpec):
    """One dict option -> one PVE property key. choices: subkey -> allowed values; ints: integer subkeys;
    needed: subkeys a new value must have."""

    many = False
    key = None
    fmt = None
    subkeys = ()
    choices = {}
    ints = ()
    needed = ()

    @property
    def fields(self):
        return {self.key: self.field}

    def normalize(self, entry, option, params):
        if not isinstance(entry, dict):
            raise ValidationError(option, entry, 'give a dict of {0}'.format(', '.join(self.subkeys)))
        unknown = sorted(set(entry) - set(self.subkeys) - {'state'})
        if unknown:
            raise ValidationError(option, ', '.join(unknown), 'unknown {0} options (known: {1}, state)'.format(
                option, ', '.join(self.subkeys)))
        if entry.get('state', 'present') not in ('present', 'absent'):
            raise ValidationError(option + '.state', entry['state'], 'must be present or absent')
        for key, allowed in self.choices.items():
            if entry.get(key) is not None and entry[key] not in allowed:
                raise ValidationError('{0}.{1}'.format(option, key), entry[key], 'must be one of {0}'.format(
                    ', '.join(allowed)))
        for key in self.ints:
            if entry.get(key) is not None:
                try:
                    number = int(entry[key])
                except (TypeError, ValueError):
                    number = -1
                if number < 0 or str(number) != str(entry[key]).strip():
                    raise ValidationError('{0}.{1}'.format(option, key), entry[key], 'must be a whole number, 0 or '
                                                                                     'more')
        self.check(entry, option)
        return dict(entry, option=option)

    def check(self, entry, option):
        """The format's own checks."""

    def plan(self, entry, current, plan, ctx):
        value = current.get(self.key)
        if entry.get('state') == 'absent':
            if value is not None:
                plan.want(self.key, ABSENT)
            return
        merged = self.fmt.parse(value) if value is not None else {}
        for key in self.subkeys:
            if entry.get(key) is not None:
                merged[key] = str(entry[key])
        missing = [k for k in self.needed if k not in merged]
        if missing:
            raise ValidationError(self.option + '.' + missing[0], None, 'is required for a new {0}'.format(
                self.option))
        plan.want(self.key, self.fmt.format(merged))


class RngSpec(PropDevice):
    option = 'rng'
    key = 'rng0'
    fmt = RNG
    subkeys = ('source', 'max_bytes', 'period')
    choices = {'source': ('/dev/urandom', '/dev/random', '/dev/hwrng')}
    ints = ('max_bytes', 'period')
    needed = ('source',)
    field = Field(props_normalizer(RNG, {'max_bytes': as_int, 'period': as_int},
                                   defaults={'max_bytes': 1024, 'period': 1000}))


class WatchdogSpec(PropDevice):
    option = 'watchdog'
    key = 'watchdog'
    fmt = WATCHDOG
    subkeys = ('model', 'action')
    choices = {'model': ('i6300esb', 'ib700'), 'action': ('reset', 'shutdown', 'poweroff', 'pause', 'debug', 'none')}
    field = Field(props_normalizer(WATCHDOG, defaults={'model': 'i6300esb'}))

    def plan(self, entry, current, plan, ctx):
        if entry.get('state') != 'absent' and current.get(self.key) is None and entry.get('model') is None:
            entry = dict(entry, model='i6300esb')  # PVE's default, written so the value is never empty
        super().plan(entry, current, plan, ctx)


class AudioSpec(PropDevice):
    option = 'audio'
    key = 'audio0'
    fmt = AUDIO
    subkeys = ('device', 'driver')
    choices = {'device': ('ich9-intel-hda', 'intel-hda', 'AC97'), 'driver': ('spice', 'none')}
    needed = ('device',)
    field = Field(props_normalizer(AUDIO, defaults={'driver': 'spice'}))


class SmbiosSpec(PropDevice):
    option = 'smbios'
    key = 'smbios1'
    fmt = SMBIOS
    subkeys = SMBIOS_TEXT + ('uuid',)
    field = Field(decode_smbios)

    def check(self, entry, option):
        if entry.get('uuid') is not None and not UUID.match(str(entry['uuid'])):
            raise ValidationError(option + '.uuid', entry['uuid'], 'is not a UUID such as '
                                                                   '6d1f2f8e-3a57-4c7e-9d59-90a2b1c0f001')
        for key in SMBIOS_TEXT:
            if entry.get(key) is not None and str(entry[key]) == '':
                raise ValidationError('{0}.{1}'.format(option, key), '', 'must not be empty')

    def plan(self, entry, current, plan, ctx):
        value = current.get(self.key)
        if entry.get('state') == 'absent':
            if value is not None:
                plan.want(self.key, ABSENT)
            return
        merged = decode_smbios(value) if value is not None else {}
        for key in self.subkeys:
            if entry.get(key) is not None:
                merged[key] = str(entry[key])
        text = encode_smbios(merged)
        if len(text) > 512:
            raise ValidationError(self.option, None, 'encoded, smbios1 would be {0} characters; PVE allows '
                                                     '512'.format(len(text)))
        plan.want(self.key, text)


RNG_DEVICE = RngSpec()
WATCHDOG_DEVICE = WatchdogSpec()
AUDIO_DEVICE = AudioSpec()
SMBIOS_DEVICE = SmbiosSpec()
PROP_DEVICES = (RNG_DEVICE, WATCHDOG_DEVICE, AUDIO_DEVICE, SMBIOS_DEVICE)
