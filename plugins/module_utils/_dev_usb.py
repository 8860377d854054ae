# -*- coding: utf-8 -*-
# Copyright: iac.proxmox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""USB devices of a VM (`usb`: usb0-usb13). Private to the collection.

qemu-server QemuServer/USB.pm $usb_fmt: `[[host=]<vendor:device|bus-port|spice>][,mapping=<id>][,usb3=<1|0>]`,
host or mapping (not both). A host device is root@pam's only (Qemu.pm check_usb_perm); a mapping is the
non-root way and needs Mapping.Use. PVE checks a mapping only when the VM starts, so the mapping is checked
here before any write: it must exist and map a device on the VM's node.
"""

from __future__ import annotations

from ._diff import ABSENT, Field, as_bool, props_normalizer
from ._errors import ValidationError
from ._propstring import USB_MAP, PropFormat
from ._regex import regex
from ._specbase import DeviceSpec

USB = PropFormat('usb', default_key='host')
USB_SLOT = regex(r'^usb(?:[0-9]|1[0-3])$')
USB_ID = regex(r'^(?:0x)?([0-9A-Fa-f]{4}):(?:0x)?([0-9A-Fa-f]{4})$')
USB_PATH = regex(r'^\d+-\d+(?:\.\d+)*$')
MAPPING_ID = regex(r'^[A-Za-z][A-Za-z0-9_-]*$')


def as_usb_host(value):
    """A host device as PVE reads it: vendor:device in any case and with or without 0x, spice in any case."""
    text = str(value)
    found = USB_ID.match(text)
    if found:
        return '{0}:{1}'.format(found.group(1), found.group(2)).lower()
    return text.lower() if text.lower() == 'spice' else text


FIELD = Field(props_normalizer(USB, {'host': as_usb_host, 'usb3': as_bool}, defaults={'usb3': 0}))


def check_usb_mapping(mapping_id, option, node, client):
    """The mapping exists (GET /cluster/mapping/usb) and maps a device on the node."""
    mappings = dict((m.get('id'), m) for m in client.get('/cluster/mapping/usb') or [])
    mapping = mappings.get(mapping_id)
    if mapping is None:
        raise ValidationError(option, mapping_id, 'no such USB mapping (mappings: {0})'.format(
            ', '.join(sorted(str(m) for m in mappings)) or 'none'))
    nodes = sorted(set(USB_MAP.parse(text).get('node') for text in mapping.get('map') or []))
    if node not in nodes:
        raise ValidationError(option, mapping_id, 'maps no device on node {0}, where the VM is (it maps devices '
                                                  'on: {1})'.format(node, ', '.join(n for n in nodes if n) or 'none'))


class UsbSpec(DeviceSpec):
    """`usb`: [{slot, host | mapping | spice, usb3, state}]."""

    option = 'usb'
    slot = USB_SLOT
    slot_help = 'a USB slot (usb0-usb13)'
    field = FIELD

    def normalize(self, entry, option, params):
        given = [k for k in ('host', 'mapping') if entry.get(k) is not None]
        if entry.get('spice'):
            given.append('spice')
        if len(given) > 1:
            raise ValidationError(option, entry['slot'], 'give one of host, mapping or spice, not {0}'.format(
                ' and '.join(given)))
        host = entry.get('host')
        if host is not None and not (USB_ID.match(host) or USB_PATH.match(host)):
            raise ValidationError(option + '.host', host, 'is not a USB device vendor:device in hex (1050:0407) or a '
                                                          'port bus-port[.port...] (1-4.1); use spice=true for SPICE '
                                                          'redirection')
        if entry.get('mapping') is not None and not MAPPING_ID.match(entry['mapping']):
            raise ValidationError(option + '.mapping', entry['mapping'], 'is not a mapping ID')
        if entry.get('spice') is False:
            raise ValidationError(option + '.spice', False, 'give host or mapping instead of spice=false')
        return dict(entry, option=option)

    def plan(self, entry, current, plan, ctx):
        slot, option = entry['slot'], entry['option']
        value = current.get(slot)
        if entry.get('state') == 'absent':
            if value is not None:
                plan.want(slot, ABSENT)
            return
        merged = USB.parse(value) if value is not None else {}
        if entry.get('host') is not None or entry.get('spice'):
            merged.pop('mapping', None)
            merged['host'] = 'spice' if entry.get('spice') else entry['host']
        elif entry.get('mapping') is not None:
            merged.pop('host', None)
            merged['mapping'] = entry['mapping']
        elif value is None:
            raise ValidationError(option, slot, 'a new USB device needs host, mapping or spice')
        if entry.get('usb3') is not None:
            merged['usb3'] = '1' if entry['usb3'] else None
        wanted = USB.format(dict((k, v) for k, v in merged.items() if v is not None))
        plan.want(slot, wanted)
        if entry.get('mapping') is not None and self.field.norm(wanted) != self.field.norm(value):
            mapping = entry['mapping']
            plan.checks.append(lambda run, node: check_usb_mapping(mapping, option + '.mapping', node, run.client))


USB_DEVICES = UsbSpec()
