# -*- coding: utf-8 -*-
# Copyright: iac.proxmox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The QEMU VM spec: module options -> the config PVE should end up with. Private to the collection.

`VmSpec.from_params` checks every option on its own (syntax, ranges, combinations) and raises
ValidationError naming the option. `VmSpec.plan(current)` merges the spec into a current config: the
config keys to write (with the Fields that compare them), and the actions a config write cannot do
(resize, move a disk, regenerate the cloud-init drive, purge detached volumes). Slots the play does not
list are never touched; for listed devices, options the play leaves out keep their current values.

Every PVE key is normalized in one place: the FIELDS table and the device Fields below.
"""

from __future__ import annotations

import re
from urllib.parse import quote, unquote

from ._diff import (ABSENT, DiffError, Field, as_bool, as_int, as_number, as_str, comment_text,
                    props_normalizer, tags_field)
from ._errors import ValidationError
from ._checks import (as_memory, as_words, check_bridge, check_gateway, check_ip, check_mac, check_nameservers,
                      check_size, check_storage, check_tags, gib_text, words_text, KIB)
from ._plan import ConfigPlan
from ._propstring import (AGENT, BOOT, DRIVE, IPCONFIG, NET, NET_MODELS, PropFormat, format_size, parse_size,
                          split_volume_id)

MAX_VCPUS = 512
# The agent property as written, aliases not folded (AGENT folds them for comparison).
AGENT_AS_WRITTEN = PropFormat('agent', default_key='enabled')
FREEZE_FS_KEYS = ('freeze-fs', 'freeze-fs-on-backup', 'guest-fsfreeze')
DISK_SLOT = re.compile(r'^(?:scsi(?:[0-9]|[12][0-9]|30)|virtio(?:[0-9]|1[0-5])|sata[0-5]|ide[0-3])$')
NET_SLOT = re.compile(r'^net(?:[0-9]|[12][0-9]|3[01])$')
IPCONFIG_SLOT = re.compile(r'^(?:ipconfig)?([0-9]|[12][0-9]|3[01])$')
CPU_TYPE = re.compile(r'^[A-Za-z0-9_.+-]+$')
PROP_VALUE = re.compile(r'^[A-Za-z0-9_.+-]+(?:,[A-Za-z0-9_-]+=[A-Za-z0-9_.:+;-]+)*$')
CI_KEYS = ('ciuser', 'cipassword', 'sshkeys', 'nameserver', 'searchdomain')
# encodeURIComponent's safe set: what PVE's `urlencoded` format (sshkeys) allows unescaped.
URL_SAFE = "-_.!~*'()"

CPU = PropFormat('cpu', default_key='cputype')
MACHINE = PropFormat('machine', default_key='type')
# qemu-server QemuServer/Machine.pm $machine_fmt: the type pattern and the other keys (viommu, aw-bits; enable-s3
# and enable-s4 from PVE 9).
MACHINE_TYPE = re.compile(r'^(?:pc|pc(?:-i440fx)?-\d+(?:\.\d+)+(?:\+pve\d+)?(?:\.pxe)?|q35|'
                          r'pc-q35-\d+(?:\.\d+)+(?:\+pve\d+)?(?:\.pxe)?|virt(?:-\d+(?:\.\d+)+)?(?:\+pve\d+)?)$')
MACHINE_KEYS = ('type', 'viommu', 'aw-bits', 'enable-s3', 'enable-s4')
# An unversioned machine type, and what a version of it PVE pinned looks like (pc-q35-10.0+pve1).
MACHINE_VERSIONED = {'q35': re.compile(r'^pc-q35-\d'), 'pc': re.compile(r'^pc-(?:i440fx-)?\d'),
                     'virt': re.compile(r'^virt-\d')}
VGA = PropFormat('vga', default_key='type')


def as_sshkeys(value):
    """SSH public keys as an order-free set of lines (PVE keeps them URL-encoded)."""
    if isinstance(value, (list, tuple)):
        lines = value
    else:
        lines = unquote(str(value)).splitlines()
    return frozenset(' '.join(str(line).split()) for line in lines if str(line).strip())


def encode_sshkeys(keys):
    return quote('\n'.join(keys) + '\n', safe=URL_SAFE)


def as_order(value):
    """A boot order (list or 'order=a;b'); order matters."""
    if isinstance(value, (list, tuple)):
        return tuple(value)
    return tuple(BOOT.parse(value).get('order') or ())


DRIVE_FIELD = Field(props_normalizer(DRIVE, {'backup': as_bool, 'ssd': as_bool, 'iothread': as_bool,
                                             'replicate': as_bool},
                                     defaults={'backup': 1, 'ssd': 0, 'iothread': 0, 'discard': 'ignore',
                                               'cache': 'none', 'replicate': 1}, ignore=('size',)))
NET_FIELD = Field(props_normalizer(NET, {'firewall': as_bool, 'link_down': as_bool, 'tag': as_int, 'mtu': as_int,
                                         'rate': as_number, 'macaddr': str.upper},
                                   defaults={'firewall': 0, 'link_down': 0}))
IPCONFIG_FIELD = Field(props_normalizer(IPCONFIG))

# Plain keys: how each compares, and PVE's value when the key is absent.
FIELDS = {
    'name': Field(as_str),
    'cores': Field(as_int, default=1),
    'sockets': Field(as_int, default=1),
    'memory': Field(as_memory, default=512, render=lambda v: str(as_memory(v))),
    'balloon': Field(as_int),
    'cpu': Field(props_normalizer(CPU), default='kvm64'),
    'machine': Field(props_normalizer(MACHINE, {'enable-s3': as_bool, 'enable-s4': as_bool})),
    'bios': Field(as_str, default='seabios'),
    'ostype': Field(as_str, default='other'),
    'agent': Field(props_normalizer(AGENT, {'enabled': as_bool, 'fstrim_cloned_disks': as_bool,
                                            'freeze-fs': as_bool},
                                    defaults={'enabled': 0, 'fstrim_cloned_disks': 0, 'freeze-fs': 1,
                                              'type': 'virtio'}), default='0'),
    'description': Field(comment_text('qemu')),
    'onboot': Field(as_bool, default=0),
    'protection': Field(as_bool, default=0),
    'boot': Field(as_order, render=lambda v: BOOT.format({'order': list(as_order(v))})),
    'scsihw': Field(as_str, default='lsi'),
    'vga': Field(props_normalizer(VGA)),
    'ciuser': Field(as_str),
    'cipassword': Field(as_str, secret=True),
    'sshkeys': Field(as_sshkeys, render=lambda v: encode_sshkeys(sorted(as_sshkeys(v)))),
    'nameserver': Field(as_words, render=words_text),
    'searchdomain': Field(as_str),
    'efidisk0': Field(props_normalizer(DRIVE, {'pre-enrolled-keys': as_bool}, defaults={'efitype': '2m',
                                                                                        'pre-enrolled-keys': 0},
                                       ignore=('size',))),
    'tpmstate0': Field(props_normalizer(DRIVE, defaults={'version': 'v1.2'}, ignore=('size',))),
}


def field_for(key):
    if key in FIELDS:
        return FIELDS[key]
    if DISK_SLOT.match(key):
        return DRIVE_FIELD
    if NET_SLOT.match(key):
        return NET_FIELD
    if key.startswith('ipconfig'):
        return IPCONFIG_FIELD
    return Field(as_str)


def is_cdrom(value):
    drive = DRIVE.parse(value)
    return drive.get('media') == 'cdrom' or drive.get('file') in ('cdrom', 'none')


def volume_storage(value):
    """The storage of a drive value's volume, or None for a path or `none`."""
    volume = DRIVE.parse(value).get('file', '')
    if ':' not in volume or volume.startswith('/'):
        return None
    return split_volume_id(volume)[0]


def cloudinit_slot(config):
    """The slot holding the cloud-init drive, or None."""
    for key, value in sorted(config.items()):
        if DISK_SLOT.match(key) and 'cloudinit' in DRIVE.parse(value).get('file', ''):
            return key
    return None


# ---------------------------------------------------------------------- option checks

def _flag(entry, key):
    value = entry.get(key)
    return None if value is None else bool(value)


class VmSpec(object):
    """The desired VM, checked option by option."""

    def __init__(self, params):
        self.params = params
        self.settings = {}
        self.disks = []
        self.nets = []
        self.efidisk = None
        self.tpm = None
        self.cloudinit = None

    @classmethod
    def from_params(cls, params):
        spec = cls(params)
        spec._settings()
        spec._disks()
        spec._nets()
        spec._efidisk()
        spec._tpm()
        spec._cloudinit()
        return spec

    # ------------------------------------------------------------------ simple settings

    def _settings(self):
        p = self.params
        out = self.settings
        if p.get('cores') is not None and p['cores'] < 1:
            raise ValidationError('cores', p['cores'], 'must be at least 1')
        if p.get('sockets') is not None and p['sockets'] < 1:
            raise ValidationError('sockets', p['sockets'], 'must be at least 1')
        vcpus = (p.get('cores') or 1) * (p.get('sockets') or 1)
        if vcpus > MAX_VCPUS:
            raise ValidationError('cores', p.get('cores'), 'cores x sockets = {0} is more than the {1} vCPUs PVE '
                                                           'allows'.format(vcpus, MAX_VCPUS))
        for key in ('cores', 'sockets', 'balloon', 'bios', 'ostype', 'scsihw', 'description', 'onboot',
                    'protection'):
            if p.get(key) is not None:
                out[key] = p[key]
        if out.get('description') is not None and FIELDS['description'].normalize(out['description']) is None:
            out['description'] = ABSENT  # PVE keeps no description for '' or '0': remove it
        if p.get('memory') is not None:
            try:
                memory = as_memory(p['memory'])
            except ValueError:
                raise ValidationError('memory', p['memory'], 'is not a memory size; give MiB (4096) or a size (4G)')
            if memory < 16:
                raise ValidationError('memory', p['memory'], 'must be at least 16 MiB')
            out['memory'] = memory
            if p.get('balloon') and p['balloon'] > memory:
                raise ValidationError('balloon', p['balloon'], 'must not be more than memory ({0} MiB)'.format(memory))
        if p.get('balloon') is not None and p['balloon'] < 0:
            raise ValidationError('balloon', p['balloon'], 'must be 0 (off) or more')
        if p.get('cpu') is not None:
            if not CPU_TYPE.match(CPU.parse(p['cpu']).get('cputype', '')):
                raise ValidationError('cpu', p['cpu'], 'is not a CPU type, such as host or x86-64-v2-AES')
            out['cpu'] = p['cpu']
        if p.get('machine') is not None:
            out['machine'] = check_machine('machine', p['machine'])
        for key in ('vga',):
            if p.get(key) is not None:
                if not PROP_VALUE.match(p[key]):
                    raise ValidationError(key, p[key], 'is not a {0} setting such as {1}'.format(
                        key, 'std, serial0 or qxl,memory=32'))
                out[key] = p[key]
        if p.get('agent') is not None:
            out['agent'] = self._agent(p['agent'])
        if p.get('tags') is not None:
            out['tags'] = check_tags('tags', p['tags'])
        if p.get('boot') is not None:
            order = p['boot'] if isinstance(p['boot'], list) else as_order(p['boot']) if str(p['boot']).startswith(
                'order=') else [x for x in str(p['boot']).split(';') if x]
            for device in order:
                if not (DISK_SLOT.match(device) or NET_SLOT.match(device) or re.match(r'^(?:hostpci|usb)\d+$', device)):
                    raise ValidationError('boot', device, 'is not a disk, network or passthrough device slot')
            out['boot'] = list(order)

    @staticmethod
    def _agent(value):
        if isinstance(value, bool):
            return {'enabled': value}
        if isinstance(value, dict):
            out = {}
            for key, item in value.items():
                name = key.replace('_', '-') if key == 'freeze_fs' else key
                if name not in ('enabled', 'fstrim_cloned_disks', 'freeze-fs', 'type'):
                    raise ValidationError('agent.{0}'.format(key), item, 'unknown agent option (enabled, '
                                                                         'fstrim_cloned_disks, freeze_fs, type)')
                out[name] = item
            return out
        text = str(value).strip().lower()
        if text in ('1', 'true', 'yes', 'on', '0', 'false', 'no', 'off'):
            return {'enabled': as_bool(text) == 1}
        raise ValidationError('agent', value, 'give true/false or a dict of agent options')

    # ------------------------------------------------------------------ devices

    def _disks(self):
        seen = set()
        for index, entry in enumerate(self.params.get('disks') or []):
            option = 'disks[{0}]'.format(index)
            slot = entry.get('slot')
            if not isinstance(slot, str) or not DISK_SLOT.match(slot):
                raise ValidationError(option + '.slot', slot, 'is not a disk slot (scsi0-30, virtio0-15, sata0-5, '
                                                              'ide0-3)')
            if slot in seen:
                raise ValidationError(option + '.slot', slot, 'is listed twice')
            seen.add(slot)
            disk = dict(entry)
            disk['option'] = option
            disk['storage'] = check_storage(option + '.storage', entry.get('storage'))
            disk['size'] = check_size(option + '.size', entry.get('size'), KIB)
            self.disks.append(disk)

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
            check_bridge(option + '.bridge', entry.get('bridge'))
            if entry.get('model') is not None and entry['model'] not in NET_MODELS:
                raise ValidationError(option + '.model', entry['model'], 'is not a NIC model ({0})'.format(
                    ', '.join(NET_MODELS)))
            check_mac(option + '.macaddr', entry.get('macaddr'))
            if entry.get('tag') is not None and not 0 <= entry['tag'] <= 4094:
                raise ValidationError(option + '.tag', entry['tag'], 'must be a VLAN ID 1-4094 (0 removes the tag)')
            if entry.get('mtu') is not None and not 1 <= entry['mtu'] <= 65520:
                raise ValidationError(option + '.mtu', entry['mtu'], 'must be 1-65520')
            if entry.get('rate') is not None and entry['rate'] < 0:
                raise ValidationError(option + '.rate', entry['rate'], 'must be 0 or more (MB/s)')
            self.nets.append(dict(entry, option=option))

    def _efidisk(self):
        entry = self.params.get('efidisk')
        if entry is None:
            return
        check_storage('efidisk.storage', entry.get('storage'))
        bios = self.params.get('bios')
        if entry.get('state', 'present') == 'present' and bios is not None and bios != 'ovmf':
            raise ValidationError('efidisk', None, 'an EFI disk needs bios: ovmf (bios is {0})'.format(bios))
        self.efidisk = dict(entry)

    def _tpm(self):
        entry = self.params.get('tpm')
        if entry is None:
            return
        if isinstance(entry, bool) or str(entry).lower() in ('false', 'no', 'off', '0', 'absent'):
            if entry is True:
                raise ValidationError('tpm', entry, 'give a dict {storage, version}, or false to remove the TPM')
            self.tpm = {'state': 'absent'}
            return
        if not isinstance(entry, dict):
            raise ValidationError('tpm', entry, 'give a dict {storage, version}, or false to remove the TPM')
        unknown = set(entry) - {'storage', 'version', 'state'}
        if unknown:
            raise ValidationError('tpm', sorted(unknown), 'unknown TPM options (storage, version, state)')
        check_storage('tpm.storage', entry.get('storage'))
        if entry.get('version') not in (None, 'v1.2', 'v2.0'):
            raise ValidationError('tpm.version', entry['version'], 'must be v1.2 or v2.0')
        if entry.get('state', 'present') not in ('present', 'absent'):
            raise ValidationError('tpm.state', entry['state'], 'must be present or absent')
        self.tpm = dict(entry)

    def _cloudinit(self):
        entry = self.params.get('cloudinit')
        if entry is None:
            return
        ci = dict(entry)
        for index, item in enumerate(ci.get('ipconfig') or []):
            option = 'cloudinit.ipconfig[{0}]'.format(index)
            slot = item['slot'] if item.get('slot') is not None else index
            found = IPCONFIG_SLOT.match(str(slot))
            if not found:
                raise ValidationError(option + '.slot', slot, 'is not an ipconfig slot (0-31 or ipconfig0-31)')
            check_ip(option + '.ip', item.get('ip'), 4, ('dhcp', 'manual'))
            check_ip(option + '.ip6', item.get('ip6'), 6, ('dhcp', 'auto', 'manual'))
            check_gateway(option + '.gw', item.get('gw'), 4)
            check_gateway(option + '.gw6', item.get('gw6'), 6)
            if item.get('gw') and item.get('ip') in (None, 'dhcp', 'manual'):
                raise ValidationError(option + '.gw', item['gw'], 'a gateway needs a static ip')
        check_nameservers('cloudinit.nameserver', ci.get('nameserver'))
        for index, key in enumerate(ci.get('ssh_keys') or []):
            if not re.match(r'^(?:ssh-|ecdsa-|sk-)\S+\s+\S+', str(key).strip()):
                raise ValidationError('cloudinit.ssh_keys[{0}]'.format(index), key, 'is not an OpenSSH public key')
        domains = ci.get('searchdomain')
        if domains is not None and not re.match(r'^[A-Za-z0-9.-]+(?: [A-Za-z0-9.-]+)*$', domains):
            raise ValidationError('cloudinit.searchdomain', ci['searchdomain'], 'is not a DNS domain list')
        if ci.get('user') is not None and not re.match(r'^[a-z_][a-z0-9_-]*$', ci['user']):
            raise ValidationError('cloudinit.user', ci['user'], 'is not a user name')
        check_storage('cloudinit.storage', ci.get('storage'))
        self.cloudinit = ci

    # ------------------------------------------------------------------ planning

    # The datacenter's tag-style (GET /cluster/options), set by the engine when the play's tags need it.
    tag_style = None
    # A callable returning PVE's version (GET /version, read once), set by the engine; None: assume the oldest.
    pve_version = None

    def freeze_fs_key(self):
        """How to spell the agent's freeze-fs option for a guest whose config has no spelling yet. qemu-server
        9.1.6 renamed freeze-fs-on-backup to freeze-fs (Agent.pm, the old name kept as an alias); PVE 8 and early
        9.x know only freeze-fs-on-backup. pve-manager 9.2.0 requires qemu-server >= 9.1.11, so from PVE 9.2 the
        new name is safe; before, the old one (which every version accepts)."""
        version = self.pve_version() if self.pve_version else ''
        numbers = tuple(int(n) for n in re.findall(r'\d+', str(version or ''))[:2])
        return 'freeze-fs' if numbers >= (9, 2) else 'freeze-fs-on-backup'

    def _agent_value(self, current):
        """The agent property with the play's options merged into the current one, every key kept in the spelling
        the guest's config uses (freeze-fs-on-backup stays freeze-fs-on-backup)."""
        merged = AGENT_AS_WRITTEN.parse(current)
        spelling = next((k for k in FREEZE_FS_KEYS if k in merged), None)
        have_freeze = as_bool(merged[spelling]) if spelling else 1
        for key, value in self.settings['agent'].items():
            value = '1' if value is True else '0' if value is False else value
            if key != 'freeze-fs':
                merged[key] = value
            elif spelling is not None:
                merged[spelling] = value
            elif as_bool(value) != have_freeze:  # only a real change needs the spelling (and maybe /version)
                merged[self.freeze_fs_key()] = value
        return AGENT_AS_WRITTEN.format(merged)

    def field_for(self, key):
        """The Field a key is compared with: the FIELDS table, `tags` under the datacenter's tag-style."""
        return tags_field(self.tag_style) if key == 'tags' else field_for(key)

    def plan(self, current, creating, clone_storage=None, clone_slots=()):
        """The config to converge to, given the current (effective) config. Returns a ConfigPlan."""
        plan = ConfigPlan(self.field_for)
        for key, value in self.settings.items():
            if key != 'agent':
                plan.want(key, value)
        if 'agent' in self.settings:
            plan.want('agent', self._agent_value(current.get('agent', '0')))
        if 'machine' in self.settings:
            plan.want('machine', keep_machine_pin(self.settings['machine'], current.get('machine')))
        if self.settings.get('balloon') and 'memory' not in self.settings:
            # PVE ($update_vm_api) refuses a balloon above the VM's memory (default 512 MiB).
            memory = as_memory(current.get('memory') or 512)
            if self.settings['balloon'] > memory:
                raise ValidationError('balloon', self.settings['balloon'], 'must not be more than the memory of the VM '
                                                                           '({0} MiB)'.format(memory))
        name = self.params.get('name')
        if name is not None:
            plan.want('name', name)
        self._plan_disks(plan, current, clone_storage, clone_slots)
        self._plan_nets(plan, current)
        self._plan_efidisk(plan, current)
        self._plan_tpm(plan, current)
        self._plan_cloudinit(plan, current, creating)
        return plan

    def _plan_disks(self, plan, current, clone_storage, clone_slots):
        for disk in self.disks:
            slot, option = disk['slot'], disk['option']
            value = current.get(slot)
            if disk.get('state') == 'absent':
                if value is not None:
                    plan.detach(slot, None if is_cdrom(value) else DRIVE.parse(value).get('file'))
                continue
            if value is None:
                if not disk['storage'] or not disk['size']:
                    raise ValidationError(option, slot, 'is a new disk: give its storage and size')
                drive = {'file': '{0}:{1}'.format(disk['storage'], gib_text(disk['size']))}
                if disk.get('format'):
                    drive['format'] = disk['format']
                drive.update(self._drive_flags(disk, {}))
                plan.want(slot, DRIVE.format(drive))
                plan.add_volume(slot, disk['storage'], option + '.storage')
                continue
            if is_cdrom(value):
                raise ValidationError(option + '.slot', slot, 'holds a CD-ROM or cloud-init drive, not a disk')
            drive = DRIVE.parse(value)
            storage = volume_storage(value)
            if slot in clone_slots and (disk.get('format') or (disk['storage'] and disk['storage'] != storage)):
                raise ValidationError(option, slot, 'comes from the clone source; its storage and format are the '
                                                    "clone's (use the storage option to clone it onto {0})".format(
                                                        disk['storage'] or 'another storage'))
            if disk.get('format') and disk['format'] != drive.get('format', _volume_format(drive.get('file', ''))):
                raise DiffError(slot, '{0}: format can only be chosen when the disk is created (it is {1})'.format(
                    option, drive.get('format', _volume_format(drive.get('file', '')))))
            if disk['storage'] and storage and disk['storage'] != storage:
                plan.moves.append((slot, disk['storage']))
                plan.storages.setdefault(disk['storage'], option + '.storage')
            if disk['size']:
                have = parse_size(drive['size']) if drive.get('size') else None
                if have is not None and disk['size'] < have:
                    raise DiffError(slot, '{0}: disks can only grow: {1} is {2}, the play asks for {3}'.format(
                        option, slot, format_size(have), format_size(disk['size'])))
                if have is None or disk['size'] > have:
                    plan.resizes.append((slot, disk['size'], have))
            merged = dict(drive)
            merged.update(self._drive_flags(disk, drive))
            for key in [k for k, v in merged.items() if v is None]:
                del merged[key]
            plan.want(slot, DRIVE.format(merged))

    @staticmethod
    def _drive_flags(disk, drive):
        """The drive options the play sets; None removes a key (its PVE default)."""
        out = {}
        if _flag(disk, 'backup') is not None:
            out['backup'] = None if disk['backup'] else '0'
        if _flag(disk, 'ssd') is not None:
            out['ssd'] = '1' if disk['ssd'] else None
        if _flag(disk, 'iothread') is not None:
            out['iothread'] = '1' if disk['iothread'] else None
        if _flag(disk, 'discard') is not None:
            out['discard'] = 'on' if disk['discard'] else None
        if disk.get('cache') is not None:
            out['cache'] = None if disk['cache'] == 'none' else disk['cache']
        return out

    def _plan_nets(self, plan, current):
        for net in self.nets:
            slot, option = net['slot'], net['option']
            value = current.get(slot)
            if net.get('state') == 'absent':
                if value is not None:
                    plan.want(slot, ABSENT)
                continue
            merged = NET.parse(value) if value is not None else {}
            if value is None:
                if not net.get('bridge'):
                    raise ValidationError(option + '.bridge', None, 'is required for a new network device')
                merged['model'] = net.get('model') or 'virtio'
            elif net.get('model'):
                merged['model'] = net['model']
            if net.get('macaddr'):
                merged['macaddr'] = net['macaddr'].upper()
            if net.get('bridge'):
                merged['bridge'] = net['bridge']
            if net.get('tag') is not None:
                merged['tag'] = net['tag'] or None
            for key in ('firewall', 'link_down'):
                if net.get(key) is not None:
                    merged[key] = '1' if net[key] else None
            for key in ('mtu', 'rate'):
                if net.get(key) is not None:
                    merged[key] = net[key]
            plan.want(slot, NET.format(dict((k, v) for k, v in merged.items() if v is not None)))

    def _plan_efidisk(self, plan, current):
        entry = self.efidisk
        if entry is None:
            return
        value = current.get('efidisk0')
        if entry.get('state', 'present') == 'absent':
            if value is not None:
                plan.detach('efidisk0', DRIVE.parse(value).get('file'))
            return
        bios = self.settings.get('bios', current.get('bios', 'seabios'))
        if bios != 'ovmf':
            raise ValidationError('efidisk', None, 'an EFI disk needs bios: ovmf (the VM has bios {0})'.format(bios))
        wanted = {}
        if entry.get('efitype') is not None:
            wanted['efitype'] = entry['efitype']
        if entry.get('pre_enrolled_keys') is not None:
            wanted['pre-enrolled-keys'] = '1' if entry['pre_enrolled_keys'] else '0'
        if value is None:
            if not entry.get('storage'):
                raise ValidationError('efidisk.storage', None, 'the VM has no EFI disk yet: give its storage')
            drive = {'file': '{0}:1'.format(entry['storage']), 'efitype': wanted.get('efitype', '4m'),
                     'pre-enrolled-keys': wanted.get('pre-enrolled-keys', '1')}
            plan.want('efidisk0', DRIVE.format(drive))
            plan.add_volume('efidisk0', entry['storage'], 'efidisk.storage')
            return
        drive = DRIVE.parse(value)
        have = {'efitype': drive.get('efitype', '2m'),
                'pre-enrolled-keys': str(as_bool(drive.get('pre-enrolled-keys', 0)))}
        for key, want in wanted.items():
            if have[key] != want:
                raise DiffError('efidisk0', 'efidisk.{0} can only be set when the EFI disk is created (it is {1}, the '
                                            'play asks for {2})'.format(key.replace('-', '_'), have[key], want))
        if entry.get('storage') and volume_storage(value) != entry['storage']:
            plan.moves.append(('efidisk0', entry['storage']))
            plan.storages.setdefault(entry['storage'], 'efidisk.storage')

    def _plan_tpm(self, plan, current):
        entry = self.tpm
        if entry is None:
            return
        value = current.get('tpmstate0')
        if entry.get('state', 'present') == 'absent':
            if value is not None:
                plan.detach('tpmstate0', DRIVE.parse(value).get('file'))
            return
        if value is None:
            if not entry.get('storage'):
                raise ValidationError('tpm.storage', None, 'the VM has no TPM yet: give its storage')
            plan.want('tpmstate0', DRIVE.format({'file': '{0}:1'.format(entry['storage']),
                                                 'version': entry.get('version') or 'v2.0'}))
            plan.add_volume('tpmstate0', entry['storage'], 'tpm.storage')
            return
        have = DRIVE.parse(value).get('version', 'v1.2')
        if entry.get('version') and entry['version'] != have:
            raise DiffError('tpmstate0', 'tpm.version can only be set when the TPM state is created (it is {0}, the '
                                         'play asks for {1})'.format(have, entry['version']))
        if entry.get('storage') and volume_storage(value) != entry['storage']:
            plan.moves.append(('tpmstate0', entry['storage']))
            plan.storages.setdefault(entry['storage'], 'tpm.storage')

    def _plan_cloudinit(self, plan, current, creating):
        ci = self.cloudinit
        if ci is None:
            return
        keys = []
        if ci.get('user') is not None:
            plan.want('ciuser', ci['user'])
            keys.append('ciuser')
        if ci.get('password') is not None:
            if creating or ci.get('update_password') == 'always' or 'cipassword' not in current:
                plan.want('cipassword', ci['password'])
                keys.append('cipassword')
        if ci.get('ssh_keys') is not None:
            plan.want('sshkeys', list(ci['ssh_keys']))
            keys.append('sshkeys')
        if ci.get('nameserver') is not None:
            plan.want('nameserver', list(ci['nameserver']))
            keys.append('nameserver')
        if ci.get('searchdomain') is not None:
            plan.want('searchdomain', ci['searchdomain'])
            keys.append('searchdomain')
        for index, item in enumerate(ci.get('ipconfig') or []):
            given = item['slot'] if item.get('slot') is not None else index
            slot = 'ipconfig{0}'.format(IPCONFIG_SLOT.match(str(given)).group(1))
            if item.get('state') == 'absent':
                plan.want(slot, ABSENT)
            else:
                # PVE replaces the whole value: merge like NICs, keeping the keys the play does not name. A gateway
                # goes with a static address only: PVE's generated netplan (Cloudinit.pm) would still set a stale
                # gw next to ip=dhcp, so switching to DHCP drops it unless the play names one.
                merged = IPCONFIG.parse(current[slot]) if current.get(slot) else {}
                merged.update((k, item[k]) for k in ('ip', 'gw', 'ip6', 'gw6') if item.get(k) is not None)
                if item.get('ip') == 'dhcp' and item.get('gw') is None:
                    merged.pop('gw', None)
                if item.get('ip6') in ('dhcp', 'auto') and item.get('gw6') is None:
                    merged.pop('gw6', None)
                plan.want(slot, IPCONFIG.format(merged))
            keys.append(slot)
        plan.cloudinit_keys = keys
        drive = cloudinit_slot(current)
        if drive is None and keys:
            if not ci.get('storage'):
                raise ValidationError('cloudinit.storage', None, 'the VM has no cloud-init drive: give the storage to '
                                                                 'create one on')
            slot = ci.get('slot') or 'ide2'
            if current.get(slot) is not None and not is_cdrom(current[slot]):
                raise ValidationError('cloudinit.slot', slot, 'is taken by a disk')
            plan.want(slot, DRIVE.format({'file': '{0}:cloudinit'.format(ci['storage']), 'media': 'cdrom'}))
            plan.add_volume(slot, ci['storage'], 'cloudinit.storage')


def is_drive_key(key):
    return key in ('efidisk0', 'tpmstate0') or bool(DISK_SLOT.match(key))


def _volume_format(volume):
    name = volume.rsplit('/', 1)[-1]
    for ext in ('qcow2', 'vmdk', 'raw'):
        if name.endswith('.' + ext):
            return ext
    return 'raw'


def clone_preview(source_config, storage=None, name=None):
    """What a clone of the source will look like (for check mode): its config without the template marker,
    and its disks on the clone's target storage."""
    out = {}
    for key, value in source_config.items():
        if key in ('template', 'digest', 'lock', 'parent', 'snaptime', 'vmstate', 'snapstate') or key.startswith('unused'):
            continue
        if storage and (DISK_SLOT.match(key) or key in ('efidisk0', 'tpmstate0')) and not is_cdrom(value):
            drive = DRIVE.parse(value)
            volume = drive.get('file', '')
            if ':' in volume:
                drive['file'] = '{0}:{1}'.format(storage, split_volume_id(volume)[1])
                value = DRIVE.format(drive)
        out[key] = value
    if name:
        out['name'] = name
    return out


def check_machine(option, value):
    """A machine setting as PVE writes it (the type bare, then the other keys): `q35`, `pc-q35-9.2+pve1`,
    `type=q35,viommu=intel`; `i440fx` is taken as PVE's `pc`. A ValidationError for anything PVE would refuse."""
    try:
        machine = MACHINE.parse(value)
    except ValueError as exc:
        raise ValidationError(option, value, str(exc))
    unknown = sorted(set(machine) - set(MACHINE_KEYS))
    if unknown:
        raise ValidationError(option, value, 'unknown machine keys {0} (known: {1})'.format(
            ', '.join(unknown), ', '.join(MACHINE_KEYS)))
    if machine.get('type') == 'i440fx':
        machine['type'] = 'pc'
    if machine.get('type') is not None and not MACHINE_TYPE.match(machine['type']):
        raise ValidationError(option, value, 'is not a machine type PVE knows: q35, pc (i440fx), virt, or a version '
                                             'of one such as pc-q35-9.2+pve1 or pc-i440fx-10.0')
    if machine.get('viommu') not in (None, 'intel', 'virtio'):
        raise ValidationError(option, value, 'viommu must be intel or virtio')
    for key in ('aw-bits', 'enable-s3', 'enable-s4'):
        if machine.get(key) is not None and not re.match(r'^[A-Za-z0-9.]+$', str(machine[key])):
            raise ValidationError(option, value, '{0} is not a number or a boolean'.format(key))
    try:
        return MACHINE.format(machine)
    except ValueError as exc:
        raise ValidationError(option, value, str(exc))


def keep_machine_pin(desired, current):
    """The machine to converge to: a version PVE pinned (`pc-q35-10.0+pve1`, as it does for Windows guests
    at create, qemu-server Machine.pm check_and_pin_machine_string) satisfies a play that names only the
    unversioned type (`q35`, `pc`, `virt`), so the pin stays; a play naming a version gets that version."""
    wanted = MACHINE.parse(desired)
    have = MACHINE.parse(current).get('type') or ''
    versioned = MACHINE_VERSIONED.get(wanted.get('type'))
    if versioned and versioned.match(have) and not have.endswith('.pxe'):
        wanted['type'] = have
        return MACHINE.format(wanted)
    return desired


def clone_volumes(config):
    """(slot, volume ID) of every volume in a config's drives, CD-ROM images and the cloud-init drive included
    (what qemu-server's clone_vm checks for shared storage); `none` and the host's `cdrom` are no volumes."""
    out = []
    for key in sorted(config):
        if not (DISK_SLOT.match(key) or key in ('efidisk0', 'tpmstate0')):
            continue
        volume = DRIVE.parse(config[key]).get('file') or ''
        if ':' in volume:
            out.append((key, volume))
    return out


def drive_slots(config):
    """The disk slots of a config that hold volumes (not CD-ROMs)."""
    return [k for k, v in config.items() if (DISK_SLOT.match(k) or k in ('efidisk0', 'tpmstate0'))
            and not is_cdrom(v)]
