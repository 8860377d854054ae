# -*- coding: utf-8 -*-
# Copyright: iac.proxmox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Option checks and normalizers that VMs and containers share. Private to the collection: not a public API.

Each check raises ValidationError naming the option, the value and the reason.
"""

from __future__ import annotations

import ipaddress
import posixpath
import re

from ._errors import ValidationError
from ._propstring import PropFormat, format_size, parse_size
from ._regex import regex

GIB = 1024 ** 3
MIB = 1024 ** 2
KIB = 1024
STORAGE_ID = regex(r'^[A-Za-z][A-Za-z0-9._-]*[A-Za-z0-9]$')
BRIDGE = regex(r'^[A-Za-z][A-Za-z0-9_.-]{0,14}$')
MAC = regex(r'^[0-9A-Fa-f][02468ACEace](?::[0-9A-Fa-f]{2}){5}$')
TAG = regex(r'^[A-Za-z0-9_][A-Za-z0-9_+.-]*$')
PATH_CHARS = regex(r'[,;=\x00-\x1f\x7f]')
NODE_NAME = regex(r'^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$')


def check_node_name(option, value):
    if not isinstance(value, str) or not NODE_NAME.match(value):
        raise ValidationError(option, value, 'is not a valid node name (letters, digits and "-")')
    return value


def as_memory(value):
    """Memory in MiB: 2048, '2048', '4G', 'current=2048' (PVE 8's property form)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = str(value).strip()
    if text.startswith('current=') or ',' in text:
        text = PropFormat('memory', default_key='current').parse(text).get('current', '')
    if re.match(r'^\d+$', text):
        return int(text)
    return parse_size(text) // MIB


def as_words(value):
    """An address list as PVE keeps nameservers: the words in their order (PVE stores the text as given and
    PVE::Tools::split_list cuts it at white space, ',' and ';'; resolvers are tried in that order:
    qemu-server Cloudinit.pm get_dns_conf, pve-container LXC/Setup/Base.pm lookup_dns_conf)."""
    if isinstance(value, (list, tuple)):
        return tuple(str(v) for v in value)
    return tuple(re.split(r'[\s,;]+', str(value).strip())) if str(value).strip() else ()


def words_text(value):
    """A nameserver list as written to PVE: space-separated, in the play's order."""
    return ' '.join(as_words(value))


def round_up(size, unit):
    """`size` bytes rounded up to a whole multiple of `unit` bytes."""
    return -(-size // unit) * unit


def rounding_note(option, value, unit, noun):
    """What to tell the user when a valid size option is not a whole number of `unit` bytes (KiB for VM
    disks, MiB for container volumes: see gib_text), so the volume gets the size rounded up; None otherwise."""
    try:
        size = parse_size(value)
    except ValueError:
        return None
    if size <= 0 or size % unit == 0:
        return None
    unit_name = 'KiB' if unit == KIB else 'MiB'
    return ('{0}: {1} is not a whole number of {2}; PVE keeps {3} in whole {2}, so the volume gets {4} ({5} '
            'bytes)'.format(option, value, unit_name, noun, format_size(round_up(size, unit)), round_up(size, unit)))


def gib_text(size):
    """A new volume's `storage:<GiB>` text for exactly `size` bytes, as an exact decimal (100M is 0.09765625).

    PVE allocates `storage:SIZE` in GiB with fractions: a VM disk gets SIZE * 2**20 KiB, a fractional KiB rounded
    up (qemu-server API2/Qemu.pm create_disks, PVE::Tools::convert_size), a container volume int(SIZE * 1024) MiB,
    a fractional MiB dropped (pve-container LXC.pm create_disks). A byte count that is a whole number of KiB (VM) or
    MiB (container) is an exact binary fraction of a GiB, so the volume gets exactly `size` bytes; the specs round
    the play's size up to that unit first (see docs/sizes.md)."""
    whole, rest = divmod(int(size), GIB)
    if not rest:
        return str(whole)
    # rest / 2**30 == rest * 5**30 / 10**30: thirty decimals, exact.
    return '{0}.{1}'.format(whole, str(rest * 5 ** 30).rjust(30, '0').rstrip('0'))


def check_storage(option, value):
    if value is not None and (not isinstance(value, str) or not STORAGE_ID.match(value)):
        raise ValidationError(option, value, 'is not a valid storage ID (letters, digits, ".", "-" and "_")')
    return value


def check_size(option, value, unit=1):
    """Bytes of a size option, rounded up to a whole `unit` (KiB for VM disks, MiB for container volumes: the
    granularity PVE allocates and records them in, see gib_text)."""
    if value is None:
        return None
    try:
        size = parse_size(value)
    except ValueError:
        raise ValidationError(option, value, 'is not a size; give e.g. 32G, 512M or a number of bytes')
    if size <= 0:
        raise ValidationError(option, value, 'must be larger than 0')
    if isinstance(value, (int, str)) and str(value).isdigit() and size < MIB:
        raise ValidationError(option, value, 'is a number of bytes and less than 1 MiB; did you mean {0}G?'.format(
            value))
    return round_up(size, unit)


def check_ip(option, value, version, words=()):
    if value is None or value in words:
        return value
    try:
        if '/' in str(value):
            net = ipaddress.ip_interface(str(value))
        else:
            raise ValueError
    except ValueError:
        raise ValidationError(option, value, 'must be {0} or an IPv{1} address with a prefix length, such as '
                                             '{2}'.format(' or '.join(words) or 'given', version,
                                                          '10.0.0.5/24' if version == 4 else 'fd00::5/64'))
    if net.version != version:
        raise ValidationError(option, value, 'is not an IPv{0} address'.format(version))
    return value


def check_gateway(option, value, version):
    if value is None:
        return None
    try:
        address = ipaddress.ip_address(str(value))
    except ValueError:
        raise ValidationError(option, value, 'is not an IP address')
    if address.version != version:
        raise ValidationError(option, value, 'is not an IPv{0} address'.format(version))
    return value


def check_tags(option, tags):
    for tag in tags:
        if not TAG.match(str(tag)):
            raise ValidationError(option, tag, 'a tag has letters, digits, "_", "-", "+" and "." and does not start '
                                               'with "-", "+" or "."')
    return list(tags)


def check_bridge(option, bridge):
    if bridge is not None and not BRIDGE.match(str(bridge)):
        raise ValidationError(option, bridge, 'is not a bridge name (a letter, then letters, digits, "_", "." or '
                                              '"-"; at most 15 characters)')
    return bridge


def check_mac(option, mac):
    if mac is not None and not MAC.match(str(mac)):
        raise ValidationError(option, mac, 'is not a unicast MAC address')
    return mac


def check_nameservers(option, servers):
    for index, server in enumerate(servers or []):
        try:
            ipaddress.ip_address(str(server))
        except ValueError:
            raise ValidationError('{0}[{1}]'.format(option, index), server, 'is not an IP address')
    return servers


def check_abs_path(option, path):
    """An absolute, normalized path that cannot break a property string."""
    if not isinstance(path, str) or not path.startswith('/'):
        raise ValidationError(option, path, 'must be an absolute path, such as /srv/data')
    if PATH_CHARS.search(path):
        raise ValidationError(option, path, 'must not contain , ; = or control characters')
    if '..' in path.split('/'):
        raise ValidationError(option, path, 'must not contain ".." segments')
    if path != '/' and posixpath.normpath(path) != path.rstrip('/'):
        raise ValidationError(option, path, 'must be a normalized path (no "//" or "." segments)')
    return path
