# -*- coding: utf-8 -*-
# Copyright: iac.proxmox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every guest spec is made of: device specs and the scalar FIELDS. Private to the collection.

A guest spec (_vmspec.VmSpec, _lxcspec.CtSpec) is a table of scalar keys (FIELDS) plus a list of device
specs, one per device kind (_dev_disk, _dev_net, _dev_cloudinit, _dev_mount, ...). A device spec owns its
PVE keys (a slot pattern such as netN, or fixed keys such as efidisk0), the Field that compares them, the
checks of its module option that need no cluster (`normalize`), and its part of the plan (`plan`). A new
device kind is one small file with a DeviceSpec subclass, listed in the guest spec's DEVICES.
"""

from __future__ import annotations

import re

from ._checks import as_memory, as_words, check_gateway, check_ip, check_tags, words_text
from ._diff import ABSENT, DiffError, Field, as_bool, as_int, as_str, props_normalizer, tags_field
from ._errors import ValidationError
from ._plan import ConfigPlan
from ._propstring import STARTUP, format_size, parse_size
from ._regex import regex

# Keys of a source config a clone does not carry over (check mode previews the clone without them).
CLONE_SKIP = ('template', 'digest', 'lock', 'parent', 'snaptime', 'vmstate', 'snapstate')
DNS_DOMAINS = regex(r'^[A-Za-z0-9.-]+(?: [A-Za-z0-9.-]+)*$')

# Keys VMs and containers share, with the same format and PVE default.
SHARED_FIELDS = {
    'memory': Field(as_memory, default=512, render=lambda v: str(as_memory(v))),
    'onboot': Field(as_bool, default=0),
    'protection': Field(as_bool, default=0),
    'startup': Field(props_normalizer(STARTUP, dict((k, as_int) for k in ('order', 'up', 'down')))),
    'hookscript': Field(as_str),
}
# The module options of those keys, with tags and description: the same in pve_vm and pve_lxc, documented once
# in doc_fragments/guest.py (the run options they share are _guestrun.GUEST_ARGSPEC).
SHARED_OPTIONS = dict(
    memory=dict(type='raw'),
    onboot=dict(type='bool'),
    protection=dict(type='bool'),
    startup=dict(type='raw'),
    hookscript=dict(type='str'),
    tags=dict(type='list', elements='str'),
    description=dict(type='str'),
)
# The options of a NIC in `nets` that pve_vm and pve_lxc share (each adds its own, and `state`).
NIC_OPTIONS = dict(
    slot=dict(type='str', required=True),
    bridge=dict(type='str'),
    tag=dict(type='int'),
    firewall=dict(type='bool'),
    link_down=dict(type='bool'),
    mtu=dict(type='int'),
    rate=dict(type='float'),
)
# `startup` as PVE's pve-startup-order format takes it (pve-guest-common / pve-common JSONSchema
# pve_verify_startup_order): order, up, down, each a non-negative integer; a bare number is the order.
STARTUP_TEXT = regex(r'^(?:(?:order=)?\d+)?(?:,?(?:up|down)=\d+)*$')
STARTUP_KEYS = ('order', 'up', 'down')
# A hookscript: a volume in a storage's snippets directory (pve-guest-common GuestHelpers.pm check_hookscript).
HOOKSCRIPT = regex(r'^[A-Za-z][A-Za-z0-9_.-]*:snippets/[^/\s,]+$')
# The DNS keys: a container's own, a VM's through cloud-init.
DNS_FIELDS = {
    'nameserver': Field(as_words, render=words_text),
    'searchdomain': Field(as_str),
}


def check_searchdomain(option, value):
    if value is not None and not DNS_DOMAINS.match(value):
        raise ValidationError(option, value, 'is not a DNS domain list')
    return value


def check_memory(option, value, example):
    """Memory in MiB of a memory option (MiB or a size); example: a MiB count for the message."""
    try:
        memory = as_memory(value)
    except ValueError:
        raise ValidationError(option, value, 'is not a memory size; give MiB ({0}) or a size ({1}G)'.format(
            example, example // 1024))
    if memory < 16:
        raise ValidationError(option, value, 'must be at least 16 MiB')
    return memory


def check_addresses(option, entry, gw_needs_ip=False):
    """ip/gw/ip6/gw6 of a NIC or an ipconfig entry. A gateway goes with a static ip (gw_needs_ip: also when the
    entry names no ip)."""
    check_ip(option + '.ip', entry.get('ip'), 4, ('dhcp', 'manual'))
    check_ip(option + '.ip6', entry.get('ip6'), 6, ('dhcp', 'auto', 'manual'))
    check_gateway(option + '.gw', entry.get('gw'), 4)
    check_gateway(option + '.gw6', entry.get('gw6'), 6)
    dynamic = ('dhcp', 'manual') + ((None,) if gw_needs_ip else ())
    if entry.get('gw') and entry.get('ip') in dynamic:
        raise ValidationError(option + '.gw', entry['gw'], 'a gateway needs a static ip')


def check_startup(option, value):
    """`startup` as a dict {order, up, down} or PVE's string (order=1,up=30) -> the string PVE stores; an empty
    dict or string removes it (ABSENT)."""
    if isinstance(value, dict):
        unknown = sorted(set(value) - set(STARTUP_KEYS))
        if unknown:
            raise ValidationError(option, value, 'unknown startup keys {0} (order, up, down)'.format(
                ', '.join(unknown)))
        data = {}
        for key in STARTUP_KEYS:
            if value.get(key) is None:
                continue
            try:
                number = as_int(value[key])
            except (TypeError, ValueError):
                number = -1
            if number < 0:
                raise ValidationError('{0}.{1}'.format(option, key), value[key], 'must be a whole number, 0 or more')
            data[key] = number
        return STARTUP.format(data) if data else ABSENT
    text = str(value).strip()
    if not text:
        return ABSENT
    if not STARTUP_TEXT.match(text):
        raise ValidationError(option, value, 'is not a startup order such as order=1,up=30 (or a dict {order, up, '
                                             'down})')
    return text


def check_hookscript(option, value):
    """A hookscript volume `<storage>:snippets/<file>`; '' removes it (ABSENT)."""
    text = str(value).strip()
    if not text:
        return ABSENT
    if not HOOKSCRIPT.match(text):
        raise ValidationError(option, value, 'is not a snippet volume such as local:snippets/hook.pl (PVE runs '
                                             'hookscripts from a storage\'s snippets directory)')
    return text


def flag_value(entry, key, on='1', off=None):
    """The property value of a boolean option: on/off as written, None when the play leaves it out."""
    value = entry.get(key)
    if value is None:
        return None
    return on if value else off


def set_flags(merged, entry, keys):
    """Boolean options written as `key=1`; false removes the key (PVE's default 0)."""
    for key in keys:
        if entry.get(key) is not None:
            merged[key] = '1' if entry[key] else None


def without_none(data):
    return dict((k, v) for k, v in data.items() if v is not None)


def plan_grow(plan, slot, option, size_text, size, noun):
    """Volumes only grow: a resize when the play asks for more than size_text (PVE's `size=` of the slot, None
    when unknown), a DiffError when it asks for less. noun: what can only grow (disks, volumes)."""
    if not size:
        return
    have = parse_size(size_text) if size_text else None
    if have is not None and size < have:
        raise DiffError(slot, '{0}: {1} can only grow: {2} is {3}, the play asks for {4}'.format(
            option, noun, slot, format_size(have), format_size(size)))
    if have is None or size > have:
        plan.resizes.append((slot, size, have))


class PlanContext(object):
    """What a device's plan may look at besides its entry and the current config."""

    def __init__(self, spec, creating, clone_slots):
        self.spec = spec
        self.params = spec.params
        self.settings = spec.settings
        self.creating = creating
        self.clone_slots = clone_slots


class DeviceSpec(object):
    """One kind of device of a guest config.

    option: the module option ('disks', a list of dicts with `slot`; with many=False one dict, 'efidisk').
    slot: the pattern of its numbered PVE keys (None: only fixed keys); slot_help says it in messages.
    fields: its fixed PVE keys -> Field; field: the Field of a numbered key.
    """

    option = None
    # The name its entries are kept under (GuestSpec.entries); several kinds may share one option (`disks`
    # holds disks and CD/DVD drives), each taking the entries `selects` says are its own.
    name = None
    many = True
    slot = None
    slot_help = ''
    fields = {}
    field = None

    def owns(self, key):
        return key in self.fields or bool(self.slot and self.slot.match(key))

    def field_for(self, key):
        return self.fields.get(key) or self.field

    def keys(self):
        """The PVE keys it manages, for docs/keys.md: fixed keys, and numbered ones as `prefixN`."""
        out = list(self.fields)
        if self.slot is not None:
            out.extend('{0}N'.format(p) for p in re.findall(r'[a-z]{2,}', self.slot.pattern))
        return out

    def entries(self, params):
        """The play's entries, each checked on its own (no cluster needed); [] when the option is not given."""
        value = params.get(self.option)
        if value is None:
            return []
        if not self.many:
            entry = self.normalize(value, self.option, params)
            return [] if entry is None else [entry]
        seen = set()
        out = []
        for index, entry in enumerate(value or []):
            option = '{0}[{1}]'.format(self.option, index)
            slot = entry.get('slot')
            if not self.selects(entry):
                seen.add(slot)
                continue
            if not isinstance(slot, str) or not self.slot.match(slot):
                raise ValidationError(option + '.slot', slot, 'is not {0}'.format(self.slot_help))
            if slot in seen:
                raise ValidationError(option + '.slot', slot, 'is listed twice')
            seen.add(slot)
            out.append(self.normalize(entry, option, params))
        return out

    def selects(self, entry):
        """Whether an entry of the option is this kind's (always, unless kinds share the option)."""
        return True

    def normalize(self, entry, option, params):
        """The entry checked on its own, as the plan reads it (a dict; `option` names it in messages)."""
        return dict(entry, option=option)

    def plan(self, entry, current, plan, ctx):
        """Merge the entry into the plan, given the current (effective) config."""
        raise NotImplementedError


class GuestSpec(object):
    """A desired guest: scalar settings (FIELDS) and device entries (DEVICES), checked option by option."""

    FIELDS = {}
    DEVICES = ()
    # The datacenter's tag-style (GET /cluster/options), set by the engine when the play's tags need it.
    tag_style = None

    def __init__(self, params):
        self.params = params
        self.settings = {}
        self.devices = {}

    @classmethod
    def from_params(cls, params):
        spec = cls(params)
        spec.check_settings()
        for device in cls.DEVICES:
            spec.devices[device.name or device.option] = device.entries(params)
        return spec

    def entries(self, option):
        return self.devices.get(option) or []

    def check_settings(self):
        raise NotImplementedError

    def set_common(self, keys):
        """Plain keys as the play gives them; an empty description removes it."""
        p = self.params
        for key in keys:
            if p.get(key) is not None:
                self.settings[key] = p[key]
        description = self.settings.get('description')
        if description is not None and self.FIELDS['description'].normalize(description) is None:
            self.settings['description'] = ABSENT  # PVE keeps no description for '' or '0': remove it

    def set_memory(self, example):
        if self.params.get('memory') is not None:
            self.settings['memory'] = check_memory('memory', self.params['memory'], example)

    def set_start(self):
        """`startup` and `hookscript`, which VMs and containers share."""
        p = self.params
        if p.get('startup') is not None:
            self.settings['startup'] = check_startup('startup', p['startup'])
        if p.get('hookscript') is not None:
            self.settings['hookscript'] = check_hookscript('hookscript', p['hookscript'])

    def set_tags(self):
        if self.params.get('tags') is not None:
            self.settings['tags'] = check_tags('tags', self.params['tags'])

    @classmethod
    def static_field(cls, key):
        """The Field of a key, the tag-style aside."""
        if key in cls.FIELDS:
            return cls.FIELDS[key]
        for device in cls.DEVICES:
            if device.owns(key):
                return device.field_for(key)
        return Field(as_str)

    def field_for(self, key):
        """The Field a key is compared with: FIELDS, the device that owns it, `tags` under the tag-style."""
        return tags_field(self.tag_style) if key == 'tags' else self.static_field(key)

    def plan(self, current, creating, clone_slots=()):
        """The config to converge to, given the current (effective) config. Returns a ConfigPlan."""
        plan = ConfigPlan(self.field_for)
        self.plan_settings(plan, current, creating)
        ctx = PlanContext(self, creating, clone_slots)
        for device in self.DEVICES:
            for entry in self.entries(device.name or device.option):
                device.plan(entry, current, plan, ctx)
        return plan

    def plan_settings(self, plan, current, creating):
        for key, value in self.settings.items():
            plan.want(key, value)


def clone_config(source_config, volume_keys, retarget, storage=None, name_key=None, name=None):
    """What a clone of the source will look like (for check mode): its config without the keys a clone does
    not carry over, the volumes of volume_keys moved to the clone's target storage by retarget(key, value,
    storage), and its new name."""
    out = {}
    for key, value in source_config.items():
        if key in CLONE_SKIP or key.startswith('unused'):
            continue
        if storage and key in volume_keys:
            value = retarget(key, value, storage)
        out[key] = value
    if name:
        out[name_key] = name
    return out
