# -*- coding: utf-8 -*-
# Copyright: iac.proxmox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PVE property strings <-> dicts, volume IDs and sizes. Private to the collection: not a public API.

A property string is `[default-value,]key=value,...` (`scsi0: local-lvm:vm-100-disk-0,size=32G`,
`net0: virtio=BC:24:11:00:00:01,bridge=vmbr0`). PVE prints the default key's value first without its
name (or `model=MAC` for formats with a key alias such as net), then the required keys in sorted order,
then the rest sorted. `parse` and `format` follow that, so `format(parse(s)) == s` for every string PVE
writes. Values stay strings here; comparing them is the diff engine's job.

`format` refuses any value that would change the string's structure (a ',' or a newline anywhere, an '='
in a value printed without its key, a ';' inside a list item), so user input can never smuggle extra keys
into a property string.
"""

from __future__ import annotations

import re

from ._regex import regex

SIZE_UNITS = {'': 1, 'B': 1, 'K': 1024, 'M': 1024 ** 2, 'G': 1024 ** 3, 'T': 1024 ** 4}
SIZE_RE = regex(r'^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(?:i?B)?\s*$', re.IGNORECASE)
FORBIDDEN = regex(r'[,\n\r\x00]')


class PropFormat(object):
    """The shape of one kind of property string.

    default_key: the key whose value is printed bare (file, dirid, host, model, ...).
    required: keys PVE prints right after the default key, sorted.
    aliases: other spellings PVE accepts for a key ({'volume': 'file'}).
    key_alias: (key, value_key, names) for formats like net: `virtio=MAC` is model=virtio, macaddr=MAC.
    lists: keys whose value is a ';'-separated list (returned as a Python list).
    bare_key: for formats that accept a bare value on input but are always written with the key
      (startup: `2,up=30` reads as order=2 and is written `order=2,up=30`).
    """

    def __init__(self, name, default_key=None, required=(), aliases=None, key_alias=None, lists=(), bare_key=None):
        self.name = name
        self.default_key = default_key
        self.bare_key = bare_key
        self.required = tuple(required)
        self.aliases = dict(aliases or {})
        self.key_alias = key_alias
        self.lists = tuple(lists)

    def __repr__(self):
        return 'PropFormat({0})'.format(self.name)

    # ------------------------------------------------------------------ parse

    def parse(self, text):
        """A dict of the string's keys (canonical names, values as strings or lists of strings)."""
        out = {}
        if text is None:
            return out
        alias_key, value_key, alias_names = self.key_alias or (None, None, ())
        for part in str(text).split(','):
            if not part.strip():
                continue
            key, eq, value = part.partition('=')
            if not eq and self.bare_key and self.bare_key not in out:
                out[self.bare_key] = part
                continue
            if not eq:
                if self.default_key is None:
                    raise ValueError('{0}: value {1!r} has no key and the format has no default key'.format(
                        self.name, part))
                if alias_key and self.default_key == alias_key and part in alias_names:
                    out[alias_key] = part
                else:
                    out[self.default_key] = part
                continue
            if alias_key and key in alias_names:
                out[alias_key] = key
                out[value_key] = value
                continue
            key = self.aliases.get(key, key)
            out[key] = value
        for key in self.lists:
            if key in out and not isinstance(out[key], list):
                out[key] = [item for item in out[key].split(';') if item]
        return out

    # ----------------------------------------------------------------- format

    def format(self, data):
        """The property string PVE would print for data. Raises ValueError for unsafe values."""
        values = {}
        for key, value in data.items():
            if value is None:
                continue
            key = self.aliases.get(key, key)
            values[key] = self._text(key, value)
        parts = []
        done = set()
        alias_key, value_key, _names = self.key_alias or (None, None, ())
        default = self.default_key
        if default is not None and default in values:
            if default == alias_key and value_key in values:
                parts.append('{0}={1}'.format(values[default], values[value_key]))
                done.add(value_key)
            else:
                if '=' in values[default]:
                    raise ValueError('{0}: {1} value {2!r} must not contain "="'.format(
                        self.name, default, values[default]))
                parts.append(values[default])
            done.add(default)
        for key in sorted(k for k in values if k in self.required and k not in done):
            parts.append('{0}={1}'.format(key, values[key]))
            done.add(key)
        for key in sorted(k for k in values if k not in done):
            parts.append('{0}={1}'.format(key, values[key]))
        return ','.join(parts)

    def _text(self, key, value):
        if not re.match(r'^[A-Za-z][A-Za-z0-9_-]*$', key):
            raise ValueError('{0}: invalid key {1!r}'.format(self.name, key))
        if isinstance(value, bool):
            return '1' if value else '0'
        if isinstance(value, (list, tuple)):
            if key not in self.lists:
                raise ValueError('{0}: {1} does not take a list'.format(self.name, key))
            items = [scalar_text(item) for item in value]
            for item in items:
                if ';' in item or not item:
                    raise ValueError('{0}: list item {1!r} of {2} must be non-empty and not contain ";"'.format(
                        self.name, item, key))
                check_safe(self.name, key, item)
            return ';'.join(items)
        text = scalar_text(value)
        check_safe(self.name, key, text)
        return text


def scalar_text(value):
    if isinstance(value, bool):
        return '1' if value else '0'
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def check_safe(fmt_name, key, text):
    if FORBIDDEN.search(text):
        raise ValueError('{0}: value {1!r} of {2} must not contain a comma, newline or NUL'.format(fmt_name, text, key))


# ------------------------------------------------------------------- the formats this collection uses

DRIVE = PropFormat('drive', default_key='file', aliases={'volume': 'file'})
NET_MODELS = ('e1000', 'e1000-82540em', 'e1000-82544gc', 'e1000-82545em', 'e1000e', 'i82551', 'i82557b',
              'i82559er', 'ne2k_isa', 'ne2k_pci', 'pcnet', 'rtl8139', 'virtio', 'vmxnet3')
NET = PropFormat('net', default_key='model', key_alias=('model', 'macaddr', NET_MODELS), lists=('trunks',))
VIRTIOFS = PropFormat('virtiofs', default_key='dirid')
HOSTPCI = PropFormat('hostpci', default_key='host', lists=('host',))
AGENT = PropFormat('agent', default_key='enabled',
                   aliases={'freeze-fs-on-backup': 'freeze-fs', 'guest-fsfreeze': 'freeze-fs'})
BOOT = PropFormat('boot', default_key='legacy', lists=('order',))
IPCONFIG = PropFormat('ipconfig')
DIR_MAP = PropFormat('dir-map', required=('node', 'path'))
PCI_MAP = PropFormat('pci-map', required=('id', 'node', 'path'))
USB_MAP = PropFormat('usb-map', required=('id', 'node'))
LXC_NET = PropFormat('lxc-net', required=('name',))
LXC_MOUNT = PropFormat('lxc-mount', default_key='volume', required=('mp',))
LXC_ROOTFS = PropFormat('lxc-rootfs', default_key='volume')
LXC_FEATURES = PropFormat('lxc-features')
STARTUP = PropFormat('startup', bare_key='order')


# ------------------------------------------------------------------- volume IDs and sizes

def split_volume_id(volid):
    """(storage, volume name) of `storage:name`. Storage IDs may hold dots (`nfs.01:vm-100-disk-0`),
    volume names may hold ':' (`local:iso/a:b.iso`); only the first ':' separates them."""
    text = str(volid)
    if ':' not in text:
        raise ValueError('{0!r} is not a volume ID (storage:name)'.format(volid))
    storage, name = text.split(':', 1)
    return storage, name


def parse_size(value):
    """Bytes in a PVE size: 34359738368, '32G', '512M', '528K', '1.5T'. Plain numbers are bytes."""
    if isinstance(value, bool):
        raise ValueError('not a size: {0!r}'.format(value))
    if isinstance(value, (int, float)):
        return int(value)
    found = SIZE_RE.match(str(value))
    if not found:
        raise ValueError('not a size: {0!r}'.format(value))
    number, unit = found.groups()
    return int(float(number) * SIZE_UNITS[unit.upper()])


def format_size(size):
    """PVE's way of printing a size: the largest unit that divides it exactly (34359738368 -> '32G')."""
    size = parse_size(size)
    for unit in ('T', 'G', 'M', 'K'):
        if size and size % SIZE_UNITS[unit] == 0:
            return '{0}{1}'.format(size // SIZE_UNITS[unit], unit)
    return str(size)
