# -*- coding: utf-8 -*-
# Copyright: iac.proxmox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Network devices (`nets`: net0-net31) of VMs and containers. Private to the collection.

The slots, the bridge, VLAN tag, firewall, link_down, mtu and rate work alike; the formats differ: a VM's
NIC is `model[=MAC],bridge=...` (qemu-server), a container's `name=eth0,hwaddr=MAC,bridge=...,ip=...`
(pve-container). A NIC the play lists is merged into the current one: keys the play leaves out stay.
"""

from __future__ import annotations

from ._checks import check_bridge, check_mac
from ._diff import ABSENT, Field, as_bool, as_int, as_number, props_normalizer
from ._errors import ValidationError
from ._propstring import LXC_NET, NET, NET_MODELS
from ._regex import regex
from ._specbase import DeviceSpec, check_addresses, set_flags, without_none

NET_SLOT = regex(r'^net(?:[0-9]|[12][0-9]|3[01])$')
IFACE = regex(r'^[A-Za-z][A-Za-z0-9_.-]{0,14}$')
NIC_SUBKEYS = {'firewall': as_bool, 'link_down': as_bool, 'tag': as_int, 'mtu': as_int, 'rate': as_number}


class NetSpec(DeviceSpec):
    """What both kinds of NIC share; subclasses name the format, the MAC key and the mtu range."""

    option = 'nets'
    slot = NET_SLOT
    slot_help = 'a network slot (net0-net31)'
    fmt = None
    mac_key = None
    mtu_range = None

    def normalize(self, entry, option, params):
        self.check_kind(entry, option)
        if entry.get('tag') is not None and not 0 <= entry['tag'] <= 4094:
            raise ValidationError(option + '.tag', entry['tag'], 'must be a VLAN ID 1-4094 (0 removes the tag)')
        low, high = self.mtu_range
        if entry.get('mtu') is not None and not low <= entry['mtu'] <= high:
            raise ValidationError(option + '.mtu', entry['mtu'], 'must be {0}-{1}'.format(low, high))
        if entry.get('rate') is not None and entry['rate'] < 0:
            raise ValidationError(option + '.rate', entry['rate'], 'must be 0 or more (MB/s)')
        return dict(entry, option=option)

    def check_kind(self, entry, option):
        """The checks of the kind's own keys (the bridge and MAC among them, in the kind's order)."""
        raise NotImplementedError

    def plan(self, entry, current, plan, ctx):
        slot, option = entry['slot'], entry['option']
        value = current.get(slot)
        if entry.get('state') == 'absent':
            if value is not None:
                plan.want(slot, ABSENT)
            return
        merged = self.fmt.parse(value) if value is not None else {}
        if value is None and not entry.get('bridge'):
            raise ValidationError(option + '.bridge', None, 'is required for a new network device')
        self.merge_kind(entry, merged, value is None)
        if entry.get(self.mac_key):
            merged[self.mac_key] = entry[self.mac_key].upper()
        if entry.get('bridge'):
            merged['bridge'] = entry['bridge']
        if entry.get('tag') is not None:
            merged['tag'] = entry['tag'] or None
        set_flags(merged, entry, ('firewall', 'link_down'))
        for key in ('mtu', 'rate'):
            if entry.get(key) is not None:
                merged[key] = entry[key]
        plan.want(slot, self.fmt.format(without_none(merged)))

    def merge_kind(self, entry, merged, new):
        """Merge the kind's own keys into the current NIC (new: the slot is empty)."""
        raise NotImplementedError


class QemuNetSpec(NetSpec):
    """A VM's NIC: model[=MAC],bridge=..."""

    fmt = NET
    mac_key = 'macaddr'
    mtu_range = (1, 65520)
    field = Field(props_normalizer(NET, dict(NIC_SUBKEYS, macaddr=str.upper), defaults={'firewall': 0,
                                                                                        'link_down': 0}))

    def check_kind(self, entry, option):
        check_bridge(option + '.bridge', entry.get('bridge'))
        if entry.get('model') is not None and entry['model'] not in NET_MODELS:
            raise ValidationError(option + '.model', entry['model'], 'is not a NIC model ({0})'.format(
                ', '.join(NET_MODELS)))
        check_mac(option + '.macaddr', entry.get('macaddr'))

    def merge_kind(self, entry, merged, new):
        if new:
            merged['model'] = entry.get('model') or 'virtio'
        elif entry.get('model'):
            merged['model'] = entry['model']


class LxcNetSpec(NetSpec):
    """A container's NIC: name=eth0,hwaddr=MAC,bridge=...,ip=...,gw=..."""

    fmt = LXC_NET
    mac_key = 'hwaddr'
    mtu_range = (64, 65535)
    field = Field(props_normalizer(LXC_NET, dict(NIC_SUBKEYS, hwaddr=str.upper),
                                   defaults={'firewall': 0, 'link_down': 0, 'type': 'veth'}))

    def check_kind(self, entry, option):
        if entry.get('name') is not None and not IFACE.match(entry['name']):
            raise ValidationError(option + '.name', entry['name'], 'is not an interface name such as eth0')
        check_bridge(option + '.bridge', entry.get('bridge'))
        check_mac(option + '.hwaddr', entry.get('hwaddr'))
        check_addresses(option, entry)

    def merge_kind(self, entry, merged, new):
        if new:
            merged['name'] = entry.get('name') or 'eth{0}'.format(entry['slot'][3:])
        for key in ('name', 'ip', 'gw', 'ip6', 'gw6'):
            if entry.get(key) is not None:
                merged[key] = entry[key]


QEMU_NETS = QemuNetSpec()
LXC_NETS = LxcNetSpec()
