# -*- coding: utf-8 -*-
# Copyright: iac.proxmox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A container's root file system (`rootfs`) and mount points (`mounts`: mp0-mp255). Private to the collection.

A mount point is a new volume (storage and size), an existing volume, or a bind mount of a host path; what
it is, and where its volume lives, is chosen when it is created. Volumes only grow. The rootfs is created
with the container and can then only grow.
"""

from __future__ import annotations

from ._checks import MIB, check_abs_path, check_size, check_storage, gib_text
from ._diff import DiffError, Field, as_bool, props_normalizer
from ._errors import ValidationError
from ._propstring import LXC_MOUNT, LXC_ROOTFS, split_volume_id
from ._regex import regex
from ._specbase import DeviceSpec, plan_grow, set_flags, without_none

MOUNT_SLOT = regex(r'^mp(?:[0-9]|[1-9][0-9]|1[0-9][0-9]|2[0-4][0-9]|25[0-5])$')
FIELDS = {
    'rootfs': Field(props_normalizer(LXC_ROOTFS, ignore=('size',))),
}
MOUNT_FIELD = Field(props_normalizer(LXC_MOUNT, {'backup': as_bool, 'ro': as_bool, 'acl': as_bool, 'quota': as_bool,
                                                 'replicate': as_bool, 'shared': as_bool},
                                     defaults={'backup': 0, 'ro': 0, 'replicate': 1, 'shared': 0}, ignore=('size',)))


def mount_source(value):
    """('volume', storage) or ('bind', host path) of a rootfs/mpN value."""
    volume = LXC_MOUNT.parse(value).get('volume', '')
    if volume.startswith('/'):
        return 'bind', volume
    return 'volume', split_volume_id(volume)[0] if ':' in volume else None


def volume_slots(config):
    """rootfs and the mpN slots holding storage volumes (what a clone copies)."""
    return [k for k, v in config.items() if (k == 'rootfs' or MOUNT_SLOT.match(k)) and mount_source(v)[0] == 'volume']


def retarget_mount(key, value, storage):
    """A rootfs/mpN value with its volume on another storage (a clone's target)."""
    mount = LXC_MOUNT.parse(value)
    mount['volume'] = '{0}:{1}'.format(storage, split_volume_id(mount['volume'])[1])
    return (LXC_ROOTFS if key == 'rootfs' else LXC_MOUNT).format(mount)


def volume_size(value):
    return LXC_MOUNT.parse(value).get('size')


class RootfsSpec(DeviceSpec):
    """`rootfs`: {storage, size}; the storage is the container's, chosen when it is created."""

    option = 'rootfs'
    many = False
    fields = FIELDS

    def entries(self, params):
        # A new container needs a rootfs even when the play gives none: planned with an empty entry.
        return super().entries(params) or [None]

    def normalize(self, entry, option, params):
        check_storage('rootfs.storage', entry.get('storage'))
        return {'storage': entry.get('storage'), 'size': check_size('rootfs.size', entry.get('size'), MIB)}

    def plan(self, entry, current, plan, ctx):
        value = current.get('rootfs')
        if value is None:
            if not ctx.creating:
                return
            storage = (entry or {}).get('storage') or ctx.params.get('storage')
            if entry is None or not storage or not entry.get('size'):
                raise ValidationError('rootfs', entry, 'a new container needs rootfs: {storage, size}')
            plan.want('rootfs', '{0}:{1}'.format(storage, gib_text(entry['size'])))
            plan.add_volume('rootfs', storage, 'rootfs.storage')
            return
        if entry is None:
            return
        storage = mount_source(value)[1]
        if entry.get('storage') and entry['storage'] != storage:
            raise DiffError('rootfs', 'rootfs.storage is chosen when the container is created (it is on {0}); '
                                      'this module does not move it'.format(storage))
        plan_grow(plan, 'rootfs', 'rootfs', volume_size(value), entry.get('size'), 'volumes')


class MountSpec(DeviceSpec):
    """`mounts`: a container's mount points by slot."""

    option = 'mounts'
    slot = MOUNT_SLOT
    slot_help = 'a mount point slot (mp0-mp255)'
    field = MOUNT_FIELD

    def normalize(self, entry, option, params):
        mount = dict(entry, option=option)
        if entry.get('state', 'present') != 'present':
            return mount
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
                raise ValidationError(option + '.path', entry['path'], 'the root is the rootfs; give the mount point '
                                                                       'inside the container')
        mount['size'] = check_size(option + '.size', entry.get('size'), MIB)
        if mount['size'] and entry.get('host_path'):
            raise ValidationError(option + '.size', entry['size'], 'a bind mount has no size')
        return mount

    def plan(self, entry, current, plan, ctx):
        slot = entry['slot']
        value = current.get(slot)
        if entry.get('state') == 'absent':
            if value is not None:
                plan.detach(slot, LXC_MOUNT.parse(value).get('volume') if mount_source(value)[0] == 'volume'
                            else None)
            return
        if value is None:
            self.plan_new(entry, plan)
            return
        kind = self.check_kept(entry, value, slot in ctx.clone_slots)
        merged = LXC_MOUNT.parse(value)
        if entry.get('path'):
            merged['mp'] = entry['path']
        set_flags(merged, entry, ('backup', 'ro'))
        plan.want(slot, LXC_MOUNT.format(without_none(merged)))
        if kind == 'volume':
            plan_grow(plan, slot, entry['option'], volume_size(value), entry.get('size'), 'volumes')

    @staticmethod
    def plan_new(entry, plan):
        slot, option = entry['slot'], entry['option']
        if not entry.get('path'):
            raise ValidationError(option + '.path', None, 'a new mount point needs its path in the container')
        if entry.get('storage'):
            if not entry['size']:
                raise ValidationError(option + '.size', None, 'a new volume mount point needs a size')
            data = {'volume': '{0}:{1}'.format(entry['storage'], gib_text(entry['size']))}
            plan.add_volume(slot, entry['storage'], option + '.storage')
        elif entry.get('volume'):
            data = {'volume': entry['volume']}
        elif entry.get('host_path'):
            data = {'volume': entry['host_path']}
        else:
            raise ValidationError(option, slot, 'is a new mount point: give storage and size, volume or host_path')
        data['mp'] = entry['path']
        set_flags(data, entry, ('backup', 'ro'))
        plan.want(slot, LXC_MOUNT.format(without_none(data)))

    @staticmethod
    def check_kept(entry, value, cloned):
        """What the play cannot change of an existing mount point; returns its kind (volume or bind)."""
        slot, option = entry['slot'], entry['option']
        kind, where = mount_source(value)
        volume = LXC_MOUNT.parse(value).get('volume')
        if entry.get('storage') and (kind != 'volume' or where != entry['storage']):
            raise DiffError(slot, '{0}: the storage of a mount point is chosen when it is created (it is {1}); '
                                  'remove it and add a new one to change it'.format(option, where))
        if entry.get('volume') and volume != entry['volume']:
            raise DiffError(slot, '{0}: {1} holds {2}; remove it first to mount another volume'.format(
                option, slot, volume))
        if entry.get('host_path') and volume != entry['host_path']:
            raise DiffError(slot, '{0}: {1} mounts {2}; remove it first to mount another path'.format(
                option, slot, volume))
        if cloned and entry.get('storage'):
            raise ValidationError(option, slot, 'comes from the clone source; use the storage option to clone it '
                                                'onto another storage')
        return kind


ROOTFS = RootfsSpec()
MOUNTS = MountSpec()
