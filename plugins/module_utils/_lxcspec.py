# -*- coding: utf-8 -*-
# Copyright: iac.proxmox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The LXC container spec: module options -> the config PVE should end up with. Private to the collection.

Like _vmspec for VMs: `CtSpec.from_params` checks every option on its own, `CtSpec.plan(current)` merges
the spec into a current config and returns a ConfigPlan. Mount points and NICs are devices by slot; slots
not listed are never touched. `features` is compared as a whole: a feature the play does not list is off,
so a removal is seen. `unprivileged` is create-time only; `password` and `ssh_public_keys` are used when
the container is created (PVE cannot show them afterwards).
"""

from __future__ import annotations

import re

from ._checks import (as_memory, as_words, check_abs_path, check_bridge, check_gateway, check_ip, check_mac,
                      check_nameservers, check_size, check_storage, check_tags, gib_text, words_text, MIB)
from ._diff import (ABSENT, CREATE_ONLY, DiffError, Field, as_bool, as_int, as_number, as_str, comment_text,
                    props_normalizer, tags_field)
from ._errors import ValidationError
from ._plan import ConfigPlan
from ._propstring import LXC_FEATURES, LXC_MOUNT, LXC_NET, LXC_ROOTFS, STARTUP, format_size, parse_size, split_volume_id

NET_SLOT = re.compile(r'^net(?:[0-9]|[12][0-9]|3[01])$')
MOUNT_SLOT = re.compile(r'^mp(?:[0-9]|[1-9][0-9]|1[0-9][0-9]|2[0-4][0-9]|25[0-5])$')
IFACE = re.compile(r'^[A-Za-z][A-Za-z0-9_.-]{0,14}$')
FEATURES = ('nesting', 'keyctl', 'fuse', 'mknod', 'force_rw_sys')
FS_TYPE = re.compile(r'^[A-Za-z0-9_]+$')


def as_fs_types(value):
    items = value if isinstance(value, (list, tuple)) else str(value).replace(' ', ';').split(';')
    return frozenset(str(v) for v in items if v)


NET_FIELD = Field(props_normalizer(LXC_NET, {'firewall': as_bool, 'link_down': as_bool, 'tag': as_int, 'mtu': as_int,
                                             'rate': as_number, 'hwaddr': str.upper},
                                   defaults={'firewall': 0, 'link_down': 0, 'type': 'veth'}))
MOUNT_FIELD = Field(props_normalizer(LXC_MOUNT, {'backup': as_bool, 'ro': as_bool, 'acl': as_bool, 'quota': as_bool,
                                                 'replicate': as_bool, 'shared': as_bool},
                                     defaults={'backup': 0, 'ro': 0, 'replicate': 1, 'shared': 0}, ignore=('size',)))
FIELDS = {
    'hostname': Field(as_str),
    'unprivileged': Field(as_bool, mode=CREATE_ONLY, default=0),
    'features': Field(props_normalizer(LXC_FEATURES, dict([(f, as_bool) for f in FEATURES], mount=as_fs_types),
                                       defaults=dict((f, 0) for f in FEATURES))),
    'cores': Field(as_int),
    'cpulimit': Field(as_number, default=0),
    'cpuunits': Field(as_int, default=100),
    'memory': Field(as_memory, default=512, render=lambda v: str(as_memory(v))),
    'swap': Field(as_int, default=512),
    'nameserver': Field(as_words, render=words_text),
    'searchdomain': Field(as_str),
    'onboot': Field(as_bool, default=0),
    'protection': Field(as_bool, default=0),
    'startup': Field(props_normalizer(STARTUP)),
    'description': Field(comment_text('lxc')),
    'rootfs': Field(props_normalizer(LXC_ROOTFS, ignore=('size',))),
}


def field_for(key):
    if key in FIELDS:
        return FIELDS[key]
    if NET_SLOT.match(key):
        return NET_FIELD
    if MOUNT_SLOT.match(key):
        return MOUNT_FIELD
    return Field(as_str)


def mount_source(value):
    """('volume', storage) or ('bind', host path) of a rootfs/mpN value."""
    volume = LXC_MOUNT.parse(value).get('volume', '')
    if volume.startswith('/'):
        return 'bind', volume
    return 'volume', split_volume_id(volume)[0] if ':' in volume else None


def volume_slots(config):
    """rootfs and the mpN slots holding storage volumes (what a clone copies)."""
    return [k for k, v in config.items() if (k == 'rootfs' or MOUNT_SLOT.match(k)) and mount_source(v)[0] == 'volume']


def clone_preview(source_config, storage=None, hostname=None):
    """What a clone of the source will look like: its volumes on the clone's target storage."""
    out = {}
    for key, value in source_config.items():
        if key in ('template', 'digest', 'lock', 'parent', 'snaptime', 'snapstate') or key.startswith('unused'):
            continue
        if storage and key in volume_slots(source_config):
            mount = LXC_MOUNT.parse(value)
            mount['volume'] = '{0}:{1}'.format(storage, split_volume_id(mount['volume'])[1])
            value = (LXC_ROOTFS if key == 'rootfs' else LXC_MOUNT).format(mount)
        out[key] = value
    if hostname:
        out['hostname'] = hostname
    return out


class CtSpec(object):
    """The desired container, checked option by option."""

    def __init__(self, params):
        self.params = params
        self.settings = {}
        self.nets = []
        self.mounts = []
        self.rootfs = None

    @classmethod
    def from_params(cls, params):
        spec = cls(params)
        spec._settings()
        spec._rootfs()
        spec._mounts()
        spec._nets()
        return spec

    # ------------------------------------------------------------------ settings

    def _settings(self):
        p = self.params
        out = self.settings
        for key in ('unprivileged', 'cores', 'cpuunits', 'swap', 'searchdomain', 'onboot', 'protection', 'description'):
            if p.get(key) is not None:
                out[key] = p[key]
        if out.get('description') is not None and FIELDS['description'].normalize(out['description']) is None:
            out['description'] = ABSENT  # PVE keeps no description for '' or '0': remove it
        if p.get('cores') is not None and not 1 <= p['cores'] <= 8192:
            raise ValidationError('cores', p['cores'], 'must be at least 1')
        if p.get('cpulimit') is not None:
            if not 0 <= p['cpulimit'] <= 8192:
                raise ValidationError('cpulimit', p['cpulimit'], 'must be 0 (no limit) or more')
            out['cpulimit'] = p['cpulimit']
        if p.get('cpuunits') is not None and not 0 <= p['cpuunits'] <= 10000:
            # pve-common CGroup.pm clamp_cpu_shares: PVE 8.4 and 9.x (cgroup v2) store 10000 for any value above.
            raise ValidationError('cpuunits', p['cpuunits'], 'must be 0-10000 (PVE on cgroup v2 stores any larger '
                                                             'weight as 10000)')
        if p.get('swap') is not None and p['swap'] < 0:
            raise ValidationError('swap', p['swap'], 'must be 0 or more MiB')
        if p.get('memory') is not None:
            try:
                memory = as_memory(p['memory'])
            except ValueError:
                raise ValidationError('memory', p['memory'], 'is not a memory size; give MiB (1024) or a size (1G)')
            if memory < 16:
                raise ValidationError('memory', p['memory'], 'must be at least 16 MiB')
            out['memory'] = memory
        if p.get('name') is not None:
            out['hostname'] = p['name']
        if p.get('tags') is not None:
            out['tags'] = check_tags('tags', p['tags'])
        if p.get('nameserver') is not None:
            out['nameserver'] = list(check_nameservers('nameserver', p['nameserver']))
        domains = p.get('searchdomain')
        if domains is not None and not re.match(r'^[A-Za-z0-9.-]+(?: [A-Za-z0-9.-]+)*$', domains):
            raise ValidationError('searchdomain', p['searchdomain'], 'is not a DNS domain list')
        if p.get('startup') is not None:
            if not re.match(r'^(?:(?:order=)?\d+)?(?:,?(?:up|down)=\d+)*$', p['startup']) or not p['startup']:
                raise ValidationError('startup', p['startup'], 'is not a startup order such as order=1,up=30')
            out['startup'] = p['startup']
        if p.get('features') is not None:
            out['features'] = self._features(p['features'])

    @staticmethod
    def _features(features):
        data = {}
        for key, value in features.items():
            if key == 'mount':
                types = value if isinstance(value, list) else [value]
                for fs in types:
                    if not FS_TYPE.match(str(fs)):
                        raise ValidationError('features.mount', fs, 'is not a file system type such as nfs or cifs')
                if types:
                    data['mount'] = ';'.join(sorted(set(str(t) for t in types)))
            elif key in FEATURES:
                if value is None:
                    continue
                if not isinstance(value, bool):
                    raise ValidationError('features.' + key, value, 'must be true or false')
                if value:
                    data[key] = '1'
            else:
                raise ValidationError('features.' + key, value, 'unknown feature ({0}, mount)'.format(
                    ', '.join(FEATURES)))
        return LXC_FEATURES.format(data) if data else ABSENT

    # ------------------------------------------------------------------ volumes

    def _rootfs(self):
        entry = self.params.get('rootfs')
        if entry is None:
            return
        check_storage('rootfs.storage', entry.get('storage'))
        self.rootfs = {'storage': entry.get('storage'), 'size': check_size('rootfs.size', entry.get('size'), MIB)}

    def _mounts(self):
        seen = set()
        for index, entry in enumerate(self.params.get('mounts') or []):
            option = 'mounts[{0}]'.format(index)
            slot = entry.get('slot')
            if not isinstance(slot, str) or not MOUNT_SLOT.match(slot):
                raise ValidationError(option + '.slot', slot, 'is not a mount point slot (mp0-mp255)')
            if slot in seen:
                raise ValidationError(option + '.slot', slot, 'is listed twice')
            seen.add(slot)
            mount = dict(entry, option=option)
            if entry.get('state', 'present') == 'present':
                sources = [k for k in ('storage', 'volume', 'host_path') if entry.get(k) is not None]
                if len(sources) > 1:
                    raise ValidationError(option, sources, 'give one of storage, volume and host_path')
                check_storage(option + '.storage', entry.get('storage'))
                if entry.get('volume') is not None and (':' not in entry['volume'] or ',' in entry['volume']):
                    raise ValidationError(option + '.volume', entry['volume'], 'is not a volume ID (storage:name)')
                if entry.get('host_path') is not None:
                    check_abs_path(option + '.host_path', entry['host_path'])
                if entry.get('path') is not None:
                    check_abs_path(option + '.path', entry['path'])
                    if entry['path'] == '/':
                        raise ValidationError(option + '.path', entry['path'], 'the root is the rootfs; give the '
                                                                               'mount point inside the container')
                mount['size'] = check_size(option + '.size', entry.get('size'), MIB)
                if mount['size'] and entry.get('host_path'):
                    raise ValidationError(option + '.size', entry['size'], 'a bind mount has no size')
            self.mounts.append(mount)

    def _nets(self):
        seen = set()
        for index, entry in enumerate(self.params.get('nets') or []):
            option = 'nets[{0}]'.format(index)
            slot = entry.get('slot')
            if not isinstance(slot, str) or not NET_SLOT.match(slot):
                raise ValidationError(option + '.slot', slot, 'is not a network slot (net0-net31)')
            if slot in seen:
                raise ValidationError(option + '.slot', slot, 'is listed twice')
            seen.add(slot)
            if entry.get('name') is not None and not IFACE.match(entry['name']):
                raise ValidationError(option + '.name', entry['name'], 'is not an interface name such as eth0')
            check_bridge(option + '.bridge', entry.get('bridge'))
            check_mac(option + '.hwaddr', entry.get('hwaddr'))
            check_ip(option + '.ip', entry.get('ip'), 4, ('dhcp', 'manual'))
            check_ip(option + '.ip6', entry.get('ip6'), 6, ('dhcp', 'auto', 'manual'))
            check_gateway(option + '.gw', entry.get('gw'), 4)
            check_gateway(option + '.gw6', entry.get('gw6'), 6)
            if entry.get('gw') and entry.get('ip') in ('dhcp', 'manual'):
                raise ValidationError(option + '.gw', entry['gw'], 'a gateway needs a static ip')
            if entry.get('tag') is not None and not 0 <= entry['tag'] <= 4094:
                raise ValidationError(option + '.tag', entry['tag'], 'must be a VLAN ID 1-4094 (0 removes the tag)')
            if entry.get('mtu') is not None and not 64 <= entry['mtu'] <= 65535:
                raise ValidationError(option + '.mtu', entry['mtu'], 'must be 64-65535')
            if entry.get('rate') is not None and entry['rate'] < 0:
                raise ValidationError(option + '.rate', entry['rate'], 'must be 0 or more (MB/s)')
            self.nets.append(dict(entry, option=option))

    # ------------------------------------------------------------------ planning

    # The datacenter's tag-style (GET /cluster/options), set by the engine when the play's tags need it.
    tag_style = None

    def field_for(self, key):
        """The Field a key is compared with: the FIELDS table, `tags` under the datacenter's tag-style."""
        return tags_field(self.tag_style) if key == 'tags' else field_for(key)

    def plan(self, current, creating, clone_slots=()):
        plan = ConfigPlan(self.field_for)
        for key, value in self.settings.items():
            plan.want(key, value)
        if creating and not current and 'unprivileged' not in self.settings:
            # A container made from an OS template is unprivileged unless the play says otherwise; a clone
            # (current: its source's config) keeps its source's value, which PVE cannot change afterwards.
            plan.want('unprivileged', True)
        self._plan_rootfs(plan, current, creating)
        self._plan_mounts(plan, current, clone_slots)
        self._plan_nets(plan, current)
        return plan

    def _plan_rootfs(self, plan, current, creating):
        value = current.get('rootfs')
        entry = self.rootfs
        if value is None:
            if not creating:
                return
            storage = (entry or {}).get('storage') or self.params.get('storage')
            if entry is None or not storage or not entry.get('size'):
                raise ValidationError('rootfs', entry, 'a new container needs rootfs: {storage, size}')
            plan.want('rootfs', '{0}:{1}'.format(storage, gib_text(entry['size'])))
            plan.add_volume('rootfs', storage, 'rootfs.storage')
            return
        if entry is None:
            return
        kind, storage = mount_source(value)
        if entry.get('storage') and entry['storage'] != storage:
            raise DiffError('rootfs', 'rootfs.storage is chosen when the container is created (it is on {0}); '
                                      'this module does not move it'.format(storage))
        self._plan_size(plan, 'rootfs', 'rootfs', value, entry.get('size'))

    @staticmethod
    def _plan_size(plan, slot, option, value, size):
        if not size:
            return
        have = LXC_MOUNT.parse(value).get('size')
        have = parse_size(have) if have else None
        if have is not None and size < have:
            raise DiffError(slot, '{0}: volumes can only grow: {1} is {2}, the play asks for {3}'.format(
                option, slot, format_size(have), format_size(size)))
        if have is None or size > have:
            plan.resizes.append((slot, size, have))

    def _plan_mounts(self, plan, current, clone_slots):
        for mount in self.mounts:
            slot, option = mount['slot'], mount['option']
            value = current.get(slot)
            if mount.get('state') == 'absent':
                if value is not None:
                    plan.detach(slot, LXC_MOUNT.parse(value).get('volume') if mount_source(value)[0] == 'volume'
                                else None)
                continue
            if value is None:
                if not mount.get('path'):
                    raise ValidationError(option + '.path', None, 'a new mount point needs its path in the container')
                if mount.get('storage'):
                    if not mount['size']:
                        raise ValidationError(option + '.size', None, 'a new volume mount point needs a size')
                    data = {'volume': '{0}:{1}'.format(mount['storage'], gib_text(mount['size']))}
                    plan.add_volume(slot, mount['storage'], option + '.storage')
                elif mount.get('volume'):
                    data = {'volume': mount['volume']}
                elif mount.get('host_path'):
                    data = {'volume': mount['host_path']}
                else:
                    raise ValidationError(option, slot, 'is a new mount point: give storage and size, volume or '
                                                        'host_path')
                data['mp'] = mount['path']
                data.update(self._mount_flags(mount))
                plan.want(slot, LXC_MOUNT.format(dict((k, v) for k, v in data.items() if v is not None)))
                continue
            kind, where = mount_source(value)
            merged = LXC_MOUNT.parse(value)
            if mount.get('storage') and (kind != 'volume' or where != mount['storage']):
                raise DiffError(slot, '{0}: the storage of a mount point is chosen when it is created (it is {1}); '
                                      'remove it and add a new one to change it'.format(option, where))
            if mount.get('volume') and merged.get('volume') != mount['volume']:
                raise DiffError(slot, '{0}: {1} holds {2}; remove it first to mount another volume'.format(
                    option, slot, merged.get('volume')))
            if mount.get('host_path') and merged.get('volume') != mount['host_path']:
                raise DiffError(slot, '{0}: {1} mounts {2}; remove it first to mount another path'.format(
                    option, slot, merged.get('volume')))
            if slot in clone_slots and mount.get('storage'):
                raise ValidationError(option, slot, 'comes from the clone source; use the storage option to clone '
                                                    'it onto another storage')
            if mount.get('path'):
                merged['mp'] = mount['path']
            merged.update(self._mount_flags(mount))
            plan.want(slot, LXC_MOUNT.format(dict((k, v) for k, v in merged.items() if v is not None)))
            if kind == 'volume':
                self._plan_size(plan, slot, option, value, mount.get('size'))

    @staticmethod
    def _mount_flags(mount):
        out = {}
        for key in ('backup', 'ro'):
            if mount.get(key) is not None:
                out[key] = '1' if mount[key] else None
        return out

    def _plan_nets(self, plan, current):
        for net in self.nets:
            slot, option = net['slot'], net['option']
            value = current.get(slot)
            if net.get('state') == 'absent':
                if value is not None:
                    plan.want(slot, ABSENT)
                continue
            merged = LXC_NET.parse(value) if value is not None else {}
            if value is None:
                if not net.get('bridge'):
                    raise ValidationError(option + '.bridge', None, 'is required for a new network device')
                merged['name'] = net.get('name') or 'eth{0}'.format(slot[3:])
            for key in ('name', 'bridge', 'ip', 'gw', 'ip6', 'gw6', 'mtu', 'rate'):
                if net.get(key) is not None:
                    merged[key] = net[key]
            if net.get('hwaddr'):
                merged['hwaddr'] = net['hwaddr'].upper()
            if net.get('tag') is not None:
                merged['tag'] = net['tag'] or None
            for key in ('firewall', 'link_down'):
                if net.get(key) is not None:
                    merged[key] = '1' if net[key] else None
            plan.want(slot, LXC_NET.format(dict((k, v) for k, v in merged.items() if v is not None)))
