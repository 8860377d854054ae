# -*- coding: utf-8 -*-
# Copyright: iac.proxmox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PCI addresses and a node's PCI hardware. Private to the collection: not a public API.

Addresses are `[domain:]bus:dev[.func]` in hex; without `.func` an address means every function of a
multi-function device. They are normalized to the long lower-case form (`0000:01:00`, `0000:01:00.0`).
"""

from __future__ import annotations

from ._errors import ValidationError
from ._regex import regex

ADDRESS = regex(r'^(?:([0-9a-fA-F]{4,}):)?([0-9a-fA-F]{2}):([0-9a-fA-F]{2})(?:\.([0-7]))?$')


def normalize_address(text):
    found = ADDRESS.match(str(text).strip())
    if not found:
        raise ValueError('not a PCI address: {0!r}'.format(text))
    domain, bus, dev, func = found.groups()
    out = '{0}:{1}:{2}'.format((domain or '0000').lower(), bus.lower(), dev.lower())
    return out + ('.' + func if func is not None else '')


def check_address(option, text):
    try:
        return normalize_address(text)
    except ValueError:
        raise ValidationError(option, text, 'is not a PCI address ([domain:]bus:device[.function] in hex, such as '
                                            '0000:01:00 or 0000:01:00.0)')


def node_devices(client, node):
    """Every PCI device of the node, bridges included (one request)."""
    return client.get('/nodes/{0}/hardware/pci'.format(node), **{'pci-class-blacklist': ''}) or []


def select(devices, address):
    """The functions an address names: itself, or with no function every function of the device."""
    address = normalize_address(address)
    if '.' in address:
        return [d for d in devices if normalize_address(d['id']) == address]
    return [d for d in devices if normalize_address(d['id']).startswith(address + '.')]


def device_names(devices, limit=12):
    """A short list of devices for error messages."""
    names = ['{0} {1}'.format(d['id'], d.get('device_name') or d.get('class', '')).strip()
             for d in sorted(devices, key=lambda d: d['id'])]
    if len(names) > limit:
        names = names[:limit] + ['...']
    return ', '.join(names) or 'none'


def hardware_ids(device):
    """What a PCI mapping entry records of a device to notice hardware changes: id, subsystem-id, iommugroup."""
    out = {'id': '{0}:{1}'.format(device['vendor'], device['device']).replace('0x', ''),
           'iommugroup': str(device.get('iommugroup'))}
    if device.get('subsystem_vendor') and device.get('subsystem_device'):
        out['subsystem-id'] = '{0}:{1}'.format(device['subsystem_vendor'], device['subsystem_device']).replace('0x', '')
    return out
