# -*- coding: utf-8 -*-
# Copyright: iac.proxmox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The pve_lxc engine: the shared guest engine (_guestrun) with what is particular to containers - creation
from an OS template (checked to exist before anything is written), and the create-time-only password and
SSH keys. Private to the collection.
"""

from __future__ import annotations

import re

from ._checks import MIB
from ._diff import compare
from ._errors import PveTaskError, ValidationError
from ._guest import LXC, read_config
from ._guest_config import clean
from ._guestrun import GuestRun
from ._dev_mount import MOUNT_SLOT, mount_source
from ._lxcspec import CtSpec, clone_preview, volume_slots
from ._propstring import LXC_FEATURES, LXC_MOUNT, parse_size, split_volume_id

# Storage types whose pve-storage plugin never clones a container volume linked: the file-based ones (Plugin.pm
# volume_has_feature refuses a clone whose target formats, raw/subvol for a container, lack qcow2) and LVM thick
# (no clone feature). LVM-thin, ZFS, Ceph RBD and BTRFS clone a template's base volume.
NO_LINKED_CLONE = ('dir', 'nfs', 'cifs', 'glusterfs', 'cephfs', 'lvm')


def source_volumes(config):
    """(slot, volume ID) of a clone source's rootfs and mpN, in the order pve-container clone_vm visits them
    (sorted keys: mpN before rootfs)."""
    return [(slot, str(LXC_MOUNT.parse(config[slot]).get('volume') or '')) for slot in sorted(volume_slots(config))]


ROOT_ONLY = ('PVE lets only root@pam logged in with a password {0}; API tokens (even root@pam!...) and other users '
             'are refused (pve-container check_ct_modify_config_perm)')


class CtRun(GuestRun):
    """One pve_lxc task."""

    kind = LXC
    noun = 'container'
    root_only_keys = {'hookscript': 'changing the hookscript is only allowed for root@pam'}
    storage_content = 'rootdir'
    storage_noun = 'container volumes'
    max_vcpus = 8192
    size_unit = MIB

    def make_spec(self, params):
        return CtSpec.from_params(params)

    def size_options(self):
        p = self.params
        sizes = [('rootfs.size', (p.get('rootfs') or {}).get('size'))]
        sizes.extend(('mounts[{0}].size'.format(i), m.get('size')) for i, m in enumerate(p.get('mounts') or []))
        return [(option, value) for option, value in sizes if value is not None]

    def clone_preview(self, source_config):
        return clone_preview(clean(source_config), self.params['storage'], self.params['name'])

    def config_read_timeout(self, plan, delta):
        """A config write that allocates mount point volumes: PVE allocates them inside the request, with no
        task (pve-container src/PVE/API2/LXC/Config.pm update_vm), so on a slow storage the answer comes only
        after that; wait for it as long as for a task (`timeout`), not just api_timeout. Should even that pass
        without an answer, the write is settled by reading the config again (write_fresh): the digest sent
        with the write keeps PVE from allocating a second volume."""
        if any(slot in delta.set for slot in plan.new_volumes):
            return max(self.params['timeout'], self.params.get('api_timeout') or 0)
        return None

    def clone_keeps_message(self, source, key, have, want):
        if key != 'unprivileged':
            return super().clone_keeps_message(source, key, have, want)
        return ('unprivileged: {0} is {1} (unprivileged: {2}), and a clone keeps its source\'s value: PVE cannot '
                'change it afterwards (unable to modify read-only option). Clone an {3} template, create the '
                'container from an OS template (ostemplate), or leave unprivileged out. Nothing was cloned.'.format(
                    source.label, 'unprivileged' if have else 'privileged', 'true' if have else 'false',
                    'unprivileged' if want else 'privileged'))

    def clone_slots(self, source_config):
        return volume_slots(source_config)

    def check_clone_source(self, source, source_config):
        """What pve-container API2/LXC.pm clone_vm refuses whatever the node, checked before any write: a mount
        point that is not a storage volume (`unable to clone mountpoint 'mp0' (type bind)`), and a full clone of
        a running container from its current state (`Full clone of a running container is only possible from a
        snapshot`). With snapname PVE reads the snapshot's config instead, which the module does not check."""
        if self.params['snapname']:
            return
        unclonable = sorted(slot for slot, value in source_config.items()
                            if MOUNT_SLOT.match(slot) and mount_source(value)[0] != 'volume')
        if unclonable:
            raise ValidationError('clone', self.params['clone'], '{0} has mount points PVE cannot clone (bind or '
                                                                 'device mounts: {1}); nothing was cloned. Clone a '
                                                                 'source without them and add them to the clone with '
                                                                 'mounts (PVE: unable to clone mountpoint)'.format(
                                                                     source.label, ', '.join(unclonable)))
        if not self.params['full']:
            self.check_linked_clone(source, source_config)
        if self.params['full'] and source.status == 'running':
            raise ValidationError('snapname', None, 'a full clone of a running container ({0}) is made from a snapshot '
                                                    'only; give snapname, or stop {0} first. Nothing was cloned (PVE: '
                                                    'Full clone of a running container is only possible from a '
                                                    'snapshot)'.format(source.label))

    def check_linked_clone(self, source, source_config):
        """A linked clone (full: false) is made only of volumes whose storage has the clone feature: for each
        rootfs/mpN volume pve-container API2/LXC.pm clone_vm asks pve-storage volume_has_feature with the target
        formats raw/subvol, which dir, NFS, CIFS, GlusterFS and CephFS (Plugin.pm: its clone_image makes qcow2) and
        LVM thick never grant (`Linked clone feature for '<volid>' is not available`). Judged on the storage
        types of the source's node (/nodes/<node>/storage, read only for a linked clone and once per run); a
        storage the login may not list is left to PVE."""
        storages = self.node_storages(source.node)
        refused = []
        for slot, volume in source_volumes(source_config):
            storage = volume.split(':', 1)[0]
            kind = (storages.get(storage) or {}).get('type')
            if kind in NO_LINKED_CLONE:
                refused.append((slot, volume, storage, kind))
        if not refused:
            return
        raise ValidationError('full', False, 'PVE makes a linked clone only of volumes on storage that can clone '
                                             'them, and {0} has {1}; nothing was cloned. Use full: true (a full '
                                             'clone, which may also go to another storage), or clone a template '
                                             'whose volumes are on LVM-thin, ZFS or Ceph RBD (PVE: Linked clone '
                                             "feature for '{2}' is not available)".format(
                                                 source.label, ', '.join('{0} ({1}) on {2} ({3}, no linked clones '
                                                                         'of container volumes)'.format(*item)
                                                                         for item in refused), refused[0][1]))

    def check_clone_node(self, source, source_config, node):
        """PVE clones a container to another node (`target`) only onto shared storage: a target `storage` must be
        shared (`can't clone to non-shared storage '<storage>'`), and without one every rootfs/mpN volume of the
        source must be on shared storage, else `can't clone CT to node '<node>' (CT uses local storage)`
        (pve-container API2/LXC.pm clone_vm). Refused here first, naming the volumes and the ways out."""
        target_storage = self.params['storage']
        if target_storage:
            if not self.is_shared(node, target_storage):
                raise ValidationError('storage', target_storage, "is local to a node; a clone to another node "
                                                                 "({0}) goes to shared storage only (PVE: can't clone "
                                                                 "to non-shared storage '{1}')".format(
                                                                     node, target_storage))
            return  # PVE counts the target storage, not the source's, for every volume
        local = ['{0} ({1})'.format(slot, volume)
                 for slot, volume in self.local_volumes(source.node, source_volumes(source_config))]
        if not local:
            return
        shared = self.shared_storages(source.node, 'rootdir')
        raise ValidationError('node', node, "PVE clones a container to another node only from or onto shared storage, "
                                            "and {0} on {1} has volumes on local storage: {2}. Nothing was cloned. "
                                            "Give storage: <a shared storage> ({3}), or clone on {1} and migrate "
                                            "(PVE: can't clone CT to node '{4}' (CT uses local storage))".format(
                                                source.label, source.node, ', '.join(local),
                                                'shared storages for container volumes: {0}'.format(', '.join(shared))
                                                if shared else 'the cluster has none for container volumes', node))

    def validate_cluster(self, node, current, plan, storages, check_node=False):
        if not self.client.root_login:
            self.check_root_only(current, plan)
        super().validate_cluster(node, current, plan, storages, check_node=check_node)

    def check_root_only(self, current, plan):
        """What PVE refuses to anyone but the user root@pam, whatever their privileges: bind and device mount
        points, device passthrough (devN), and on an unprivileged container changing a feature flag other than
        nesting (on a privileged one any flag). Checked before any write."""
        delta = compare(plan.desired, current, plan.fields(), creating=not current)  # {} while creating
        options = dict((m['slot'], m['option']) for m in self.spec.mounts)
        for slot in sorted(k for k in delta.set if k == 'rootfs' or re.match(r'^mp\d+$', k)):
            volume = str(LXC_MOUNT.parse(delta.set[slot]).get('volume') or '')
            if volume.startswith('/'):
                raise ValidationError(options.get(slot, slot) + '.host_path', volume,
                                      ROOT_ONLY.format('use bind or device mount points'))
        devices = dict((d['slot'], d['option']) for d in self.spec.entries('devices'))
        for slot in sorted(k for k in list(delta.set) + list(delta.delete) if re.match(r'^dev\d+$', k)):
            raise ValidationError(devices.get(slot, slot), delta.set.get(slot, 'absent'),
                                  ROOT_ONLY.format('configure device passthrough (configuring device passthrough '
                                                   'is only allowed for root@pam)'))
        if 'features' not in delta.set and 'features' not in delta.delete:
            return
        unprivileged = plan.desired.get('unprivileged', current.get('unprivileged'))
        if str(unprivileged) not in ('1', 'True', 'true'):
            raise ValidationError('features', self.params.get('features'),
                                  ROOT_ONLY.format('change feature flags of a privileged container'))
        before = LXC_FEATURES.parse(current.get('features') or '')
        after = LXC_FEATURES.parse(delta.set.get('features') or '')
        changed = set(k for k in set(before) | set(after) if str(before.get(k, '')) != str(after.get(k, '')))
        if not before:
            changed = set(after)
        elif 'features' in delta.delete:
            changed = set(before)
        if changed - set(['nesting']):
            raise ValidationError('features', self.params.get('features'), ROOT_ONLY.format(
                'change feature flags other than nesting ({0})'.format(', '.join(sorted(changed - set(['nesting']))))))

    def resize_settled(self, slot, size, exc):
        """pve-container API2/LXC.pm resize_vm refuses a resize to the current size (`disk is already at specified
        size`): after a lost answer the first request did the work. Settled by reading the disk's size."""
        text = str(exc.exitstatus) if isinstance(exc, PveTaskError) else exc.message
        if 'disk is already at specified size' not in (text or ''):
            return False
        value = read_config(self.client, self.guest).get(slot) or ''
        current = LXC_MOUNT.parse(value).get('size')
        return current is not None and parse_size(current) == size

    def check_template(self, node, ostemplate):
        """The OS template exists on the node: one content listing of its storage."""
        try:
            storage, name = split_volume_id(ostemplate)
        except ValueError:
            storage, name = None, ''
        if not storage or not name.startswith('vztmpl/'):
            raise ValidationError('ostemplate', ostemplate, 'give a container template volume, such as '
                                                            'local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst')
        if storage not in self.node_storages(node):
            raise ValidationError('ostemplate', ostemplate, 'storage {0} is not available on node {1}'.format(
                storage, node))
        found = [item.get('volid') for item in self.client.get('/nodes/{0}/storage/{1}/content'.format(
            node, storage), content='vztmpl') or []]
        if ostemplate not in found:
            raise ValidationError('ostemplate', ostemplate, 'no such template on storage {0} of node {1} (templates: '
                                                            '{2})'.format(storage, node, ', '.join(sorted(found))
                                                                          or 'none'))

    def create_from_scratch(self):
        p = self.params
        node = p['node']
        if p['ostemplate'] is None:
            raise ValidationError('ostemplate', None, 'a new container needs an OS template (ostemplate) or a clone '
                                                      'source (clone)')
        if node is None:
            raise ValidationError('node', None, 'a new container that is not a clone needs the node to create it on')
        plan = self.spec.plan({}, creating=True)
        delta = compare(plan.desired, {}, plan.fields(), creating=True)
        self.validate_cluster(node, {}, plan, dict(plan.storages), check_node=True)
        self.check_template(node, p['ostemplate'])
        params = delta.params()
        params.pop('delete', None)
        params.update(ostemplate=p['ostemplate'], hostname=p['name'])
        if p['pool']:
            params['pool'] = p['pool']
        if p['password'] is not None:
            params['password'] = p['password']
        if p['ssh_public_keys']:
            params['ssh-public-keys'] = '\n'.join(p['ssh_public_keys']) + '\n'
        keys = sorted(k for k in params if k not in ('hostname', 'pool', 'password', 'ssh-public-keys'))
        action = 'create CT {0} on {1} from {2}: {3}'.format(p['name'], node, p['ostemplate'], ', '.join(keys))
        return self.create_new(node, params, action, delta, plan, preview=dict(
            (k, v) for k, v in params.items() if k not in ('password', 'ssh-public-keys')))


def converge_container(module):
    """pve_lxc: the container the play describes, found or created, converged and powered."""
    CtRun(module).ensure()
