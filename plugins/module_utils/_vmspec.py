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

from ._checks import as_memory
from ._diff import Field, as_bool, as_int, as_str, comment_text, props_normalizer
from ._errors import ValidationError
from ._propstring import AGENT, BOOT, PropFormat
from ._dev_cdrom import CDROMS
from ._dev_cloudinit import CLOUDINIT
from ._dev_disk import DISK_SLOT, DISKS, is_drive_key, retarget_drive
from ._dev_efidisk import EFIDISK
from ._dev_net import NET_SLOT, QEMU_NETS
from ._dev_numa import NUMA_NODES, parse_node
from ._dev_props import PROP_DEVICES
from ._dev_serial import SERIALS
from ._dev_usb import USB_DEVICES
from ._dev_tpm import TPM
from . import _vm_cpu
from ._regex import regex
from ._specbase import SHARED_FIELDS, GuestSpec, clone_config

MAX_VCPUS = 512
# The agent property as written, aliases not folded (AGENT folds them for comparison).
AGENT_AS_WRITTEN = PropFormat('agent', default_key='enabled')
FREEZE_FS_KEYS = ('freeze-fs', 'freeze-fs-on-backup', 'guest-fsfreeze')
PROP_VALUE = regex(r'^[A-Za-z0-9_.+-]+(?:,[A-Za-z0-9_-]+=[A-Za-z0-9_.:+;-]+)*$')
BOOTABLE_PASSTHROUGH = regex(r'^(?:hostpci|usb)\d+$')

MACHINE = PropFormat('machine', default_key='type')
# qemu-server QemuServer/Machine.pm $machine_fmt: the type pattern and the other keys (viommu, aw-bits; enable-s3
# and enable-s4 from PVE 9).
MACHINE_TYPE = regex(r'^(?:pc|pc(?:-i440fx)?-\d+(?:\.\d+)+(?:\+pve\d+)?(?:\.pxe)?|q35|'
                     r'pc-q35-\d+(?:\.\d+)+(?:\+pve\d+)?(?:\.pxe)?|virt(?:-\d+(?:\.\d+)+)?(?:\+pve\d+)?)$')
MACHINE_KEYS = ('type', 'viommu', 'aw-bits', 'enable-s3', 'enable-s4')
# An unversioned machine type, and what a version of it PVE pinned looks like (pc-q35-10.0+pve1).
MACHINE_VERSIONED = {'q35': regex(r'^pc-q35-\d'), 'pc': regex(r'^pc-(?:i440fx-)?\d'),
                     'virt': regex(r'^virt-\d')}
VGA = PropFormat('vga', default_key='type')


def as_order(value):
    """A boot order (list or 'order=a;b'); order matters."""
    if isinstance(value, (list, tuple)):
        return tuple(value)
    return tuple(BOOT.parse(value).get('order') or ())


# Plain keys: how each compares, and PVE's value when the key is absent. Device keys: the DEVICES' own.
FIELDS = {
    'name': Field(as_str),
    'cores': Field(as_int, default=1),
    'sockets': Field(as_int, default=1),
    'balloon': Field(as_int),
    'machine': Field(props_normalizer(MACHINE, {'enable-s3': as_bool, 'enable-s4': as_bool})),
    'bios': Field(as_str, default='seabios'),
    'ostype': Field(as_str, default='other'),
    'agent': Field(props_normalizer(AGENT, {'enabled': as_bool, 'fstrim_cloned_disks': as_bool,
                                            'freeze-fs': as_bool},
                                    defaults={'enabled': 0, 'fstrim_cloned_disks': 0, 'freeze-fs': 1,
                                              'type': 'virtio'}), default='0'),
    'description': Field(comment_text('qemu')),
    'boot': Field(as_order, render=lambda v: BOOT.format({'order': list(as_order(v))})),
    'scsihw': Field(as_str, default='lsi'),
    'vga': Field(props_normalizer(VGA)),
}
FIELDS.update(SHARED_FIELDS)
FIELDS.update(_vm_cpu.FIELDS)


def clone_preview(source_config, storage=None, name=None):
    """What a clone of the source will look like (for check mode): its config without the template marker,
    and its disks on the clone's target storage."""
    return clone_config(source_config, [k for k in source_config if is_drive_key(k)], retarget_drive, storage,
                        'name', name)


class VmSpec(GuestSpec):
    """The desired VM, checked option by option."""

    FIELDS = FIELDS
    DEVICES = (DISKS, CDROMS, QEMU_NETS, EFIDISK, TPM, CLOUDINIT, NUMA_NODES, USB_DEVICES, SERIALS) + PROP_DEVICES
    # A callable returning PVE's version (GET /version, read once), set by the engine; None: assume the oldest.
    pve_version = None
    # The virtual size of each image a new disk is imported from (import_from), once the engine has read it.
    import_sizes = {}

    @property
    def cloudinit(self):
        entries = self.entries('cloudinit')
        return entries[0] if entries else None

    # ------------------------------------------------------------------ simple settings

    def check_settings(self):
        p = self.params
        out = self.settings
        self.check_cpus()
        self.set_common(('cores', 'sockets', 'balloon', 'bios', 'ostype', 'scsihw', 'description', 'onboot',
                         'protection'))
        self.set_memory(4096)
        if p.get('memory') is not None and p.get('balloon') and p['balloon'] > out['memory']:
            raise ValidationError('balloon', p['balloon'], 'must not be more than memory ({0} MiB)'.format(
                out['memory']))
        if p.get('balloon') is not None and p['balloon'] < 0:
            raise ValidationError('balloon', p['balloon'], 'must be 0 (off) or more')
        _vm_cpu.check_settings(p, out)
        self.set_start()
        if p.get('machine') is not None:
            out['machine'] = check_machine('machine', p['machine'])
        if p.get('vga') is not None:
            if not PROP_VALUE.match(p['vga']):
                raise ValidationError('vga', p['vga'], 'is not a vga setting such as std, serial0 or qxl,memory=32')
            out['vga'] = p['vga']
        if p.get('agent') is not None:
            out['agent'] = self._agent(p['agent'])
        self.set_tags()
        if p.get('boot') is not None:
            out['boot'] = check_boot(p['boot'])

    def check_cpus(self):
        p = self.params
        for key in ('cores', 'sockets'):
            if p.get(key) is not None and p[key] < 1:
                raise ValidationError(key, p[key], 'must be at least 1')
        vcpus = (p.get('cores') or 1) * (p.get('sockets') or 1)
        if vcpus > MAX_VCPUS:
            raise ValidationError('cores', p.get('cores'), 'cores x sockets = {0} is more than the {1} vCPUs PVE '
                                                           'allows'.format(vcpus, MAX_VCPUS))

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

    # ------------------------------------------------------------------ planning

    def plan(self, current, creating, clone_slots=()):
        plan = super().plan(current, creating, clone_slots)
        keys = ('numa', 'hotplug', 'hugepages', 'vcpus', 'cores', 'sockets', 'memory')
        if any(k in plan.desired for k in keys) or any(NUMA_NODES.owns(k) for k in plan.desired):
            config = _vm_cpu.effective(current, plan.desired)
            _vm_cpu.check_topology(config, as_memory(config.get('memory') or 512), parse_node)
        return plan

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

    def plan_settings(self, plan, current, creating):
        for key, value in self.settings.items():
            if key not in ('agent', 'cpu'):
                plan.want(key, value)
        if 'cpu' in self.settings:
            how, value = self.settings['cpu']
            plan.want('cpu', value if how == 'text' else _vm_cpu.cpu_value(value, current.get('cpu')))
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
        if self.params.get('name') is not None:
            plan.want('name', self.params['name'])


def field_for(key):
    """The Field a VM key is compared with (the tag-style aside)."""
    return VmSpec.static_field(key)


def check_boot(value):
    """A boot order (a list, `order=a;b` or `a;b`) of disk, network and passthrough slots."""
    order = value if isinstance(value, list) else as_order(value) if str(value).startswith('order=') else [
        x for x in str(value).split(';') if x]
    for device in order:
        if not (DISK_SLOT.match(device) or NET_SLOT.match(device) or BOOTABLE_PASSTHROUGH.match(device)):
            raise ValidationError('boot', device, 'is not a disk, network or passthrough device slot')
    return list(order)


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
