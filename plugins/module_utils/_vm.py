# -*- coding: utf-8 -*-
# Copyright: iac.proxmox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The pve_vm engine: the shared guest engine (_guestrun) with what is particular to QEMU VMs - creation
from scratch, disks moved with move_disk, the asynchronous config write for volumes, the cloud-init drive
regenerated when its settings change, and waiting for the guest agent. Private to the collection.
"""

from __future__ import annotations

from ._diff import compare
from ._errors import PveApiError, ValidationError
from ._dev_cloudinit import mask_secrets
from ._dev_disk import clone_volumes, drive_slots, is_drive_key, plan_import_size
from ._guest import QEMU, guest_addresses, is_denied, wait_for_agent, write_guest
from ._guest_config import clean
from ._guestrun import GuestRun
from ._vm_cpu import ROOT_ONLY_KEYS
from ._vmspec import VmSpec, clone_preview


class VmRun(GuestRun):
    """One pve_vm task."""

    kind = QEMU
    noun = 'VM'
    storage_content = 'images'
    storage_noun = 'VM disks'
    root_only_keys = dict((k, "only root can set '{0}' config".format(k)) for k in ROOT_ONLY_KEYS)

    def make_spec(self, params):
        spec = VmSpec.from_params(params)
        spec.pve_version = self.pve_version
        spec.import_sizes = {}
        self.iso_lists = {}  # storage -> the volume IDs of its ISO images (listed once per run)
        return spec

    def pve_version(self):
        """PVE's version (GET /version), read once per run and only when a key's spelling depends on it."""
        if getattr(self, '_pve_version', None) is None:
            self._pve_version = (self.client.get('/version') or {}).get('version') or ''
        return self._pve_version

    def size_options(self):
        return [('disks[{0}].size'.format(i), d['size']) for i, d in enumerate(self.params.get('disks') or [])
                if d.get('size') is not None]

    def clone_preview(self, source_config):
        return clone_preview(clean(source_config), self.params['storage'], self.params['name'])

    def clone_slots(self, source_config):
        return drive_slots(source_config)

    def check_destroy(self, config):
        """A template whose base volume a linked clone still uses is not destroyed by PVE: its `qmdestroy` task
        fails with `base volume '<volid>' is still in use by linked cloned` before removing anything (qemu-server
        QemuServer.pm destroy_vm, pve-storage Storage.pm volume_is_base_and_used). Refused here first, naming the
        clones, so that check mode tells too. A linked clone's volume names its base
        (`<base volume name>/...`, pve-storage Plugin.pm, RBDPlugin.pm, ZFSPoolPlugin.pm clone_image); on
        LVM-thin it does not, and PVE lets the template go. One read of the image list per storage of the
        template's base volumes, for templates only; a storage the user may not list is left to PVE's check."""
        if not self.guest.template:
            return
        bases = {}
        for _slot, volume in clone_volumes(config):
            storage, name = volume.split(':', 1)
            if name.rsplit('/', 1)[-1].startswith('base-'):
                bases.setdefault(storage, []).append(name)
        users = {}
        for storage, names in sorted(bases.items()):
            try:
                items = self.client.get('/nodes/{0}/storage/{1}/content'.format(self.guest.node, storage),
                                        content='images') or []
            except PveApiError as exc:
                if is_denied(exc):
                    continue
                raise
            for item in items:
                name = str(item.get('volid', '')).split(':', 1)[-1]
                base = next((b for b in names if name.startswith(b + '/')), None)
                if base is not None:
                    users.setdefault(int(item.get('vmid') or 0), set()).add('{0}:{1}'.format(storage, base))
        if users:
            raise ValidationError('state', 'absent', '{0} is a template that linked clones still use (VMIDs {1}: '
                                                     'their disks are built on its {2}), and PVE destroys no such '
                                                     'template (base volume ... is still in use by linked cloned). '
                                                     'Nothing was destroyed; destroy those clones first, or give '
                                                     'them disks of their own (a full clone, or moving their disks '
                                                     'to another storage)'.format(
                                                         self.guest.label, ', '.join(str(v) for v in sorted(users)),
                                                         ', '.join(sorted(set().union(*users.values())))))

    def check_clone_node(self, source, source_config, node):
        """PVE clones to another node (`target`) only when every volume of the source - disks, the cloud-init
        drive, ISO images in CD-ROM drives - is on shared storage, else `can't clone VM to node '<node>' (VM uses
        local storage)` (qemu-server API2/Qemu.pm clone_vm). Refused here first, naming the volumes and the ways
        out; nothing is cloned and migrated instead."""
        target_storage = self.params['storage']
        if target_storage and not self.is_shared(node, target_storage):
            raise ValidationError('storage', target_storage, "is local to a node; a clone to another node ({0}) goes "
                                                             "to shared storage only (PVE: can't clone to non-shared "
                                                             "storage '{1}')".format(node, target_storage))
        local = self.local_volumes(source.node, clone_volumes(source_config))
        if not local:
            return
        shared = self.shared_storages(source.node, 'images')
        raise ValidationError('node', node, "PVE clones to another node only from shared storage, and {0} on {1} has "
                                            "volumes on local storage: {2}. Nothing was cloned. Clone from a template "
                                            "whose volumes are on shared storage ({3}), or keep one template per node "
                                            "and clone the one on {4} (PVE: can't clone VM to node '{4}' (VM uses "
                                            "local storage))".format(
                                                source.label, source.node,
                                                ', '.join('{0} ({1})'.format(s, v) for s, v in local),
                                                'shared storages for VM disks: {0}'.format(', '.join(shared))
                                                if shared else 'the cluster has none for VM disks', node))

    def vcpus(self, desired, current):
        return int(desired.get('cores', current.get('cores', 1))) * int(desired.get('sockets',
                                                                                    current.get('sockets', 1)))

    def config_method(self, plan, delta):
        # Allocating or detaching volumes can take a while: PVE's asynchronous form, which runs a task.
        volumes = any(k in delta.set for k in plan.new_volumes) or any(is_drive_key(k) for k in delta.delete)
        return 'POST' if volumes else 'PUT'

    def move_request(self, slot, storage):
        return '/move_disk', {'disk': slot, 'storage': storage, 'delete': 1}

    def extra_actions(self, plan, delta):
        guest = self.guest
        changed = sorted(k for k in plan.cloudinit_keys if k in delta.changed_keys)
        if not changed:
            return
        if guest.status == 'running':
            # PVE applies cloud-init keys to a running VM's config at once (never pending), but the guest reads
            # its drive only when it boots. The drive is left as it is: PVE regenerates it at the next start
            # (qemu-server vm_start_nolock), and until then GET .../cloudinit shows the change - on this run
            # and on every later one (see finish), so a rerun still knows the guest has not taken it.
            self.next_boot = changed
            return
        write_guest(self.module, guest, 'PUT', guest.path + '/cloudinit',
                    action='regenerate the cloud-init drive of {0}'.format(guest.label),
                    lock_timeout=self.lock_timeout, idempotent=True)  # regenerating twice is harmless
        self.changed = True

    def finish(self, current):
        """A running VM with cloud-init settings: the keys its drive does not carry yet (GET .../cloudinit:
        the values the drive was made with against the config) wait for the guest's next boot."""
        guest = self.guest
        if guest.status == 'running' and guest.vmid is not None and self.spec.cloudinit is not None:
            waiting = set(self.next_boot)
            for item in self.client.get(guest.path + '/cloudinit') or []:
                if 'pending' in item or item.get('delete'):
                    waiting.add(item['key'])
            self.next_boot = sorted(waiting)
        super().finish(current)

    def after_power(self):
        """With wait_for_agent: after a power change wait until the agent answers; report the guest's IP."""
        guest = self.guest
        self.extra_result['next_boot'] = list(self.next_boot)
        if not self.params['wait_for_agent'] or guest.status != 'running' or self.module.check_mode:
            return
        if self.power_done:
            wait_for_agent(self.module, guest, self.params['agent_timeout'])
        addresses = guest_addresses(self.client, guest)
        self.extra_result.update(ip=addresses[0] if addresses else None, ip_addresses=addresses)

    def result_config(self, config):
        return mask_secrets(config)

    def validate_cluster(self, node, current, plan, storages, check_node=False):
        super().validate_cluster(node, current, plan, storages, check_node)
        self.check_volumes(node, plan)

    def converge(self, current, digest, new):
        if new and self.guest.node:
            # A clone: its new import-from disks are checked (and their sizes known) before the config write.
            self.check_volumes(self.guest.node, self.spec.plan(current, creating=True))
        return super().converge(current, digest, new)

    def check_volumes(self, node, plan):
        """Before any write: each image a new disk is imported from exists (GET .../content/{volume}, whose size is
        the image's virtual size, as PVE's volume_size_info reads it), and a play size below it is refused, above
        it a resize after the import; each ISO image put in a CD/DVD drive is listed on its storage as `iso`."""
        for slot, source, size, option in plan.imports:
            storage = source.split(':', 1)[0]
            sizes = self.spec.import_sizes
            if sizes.get(source) is None:
                try:
                    info = self.client.get('/nodes/{0}/storage/{1}/content/{2}'.format(node, storage, source)) or {}
                except PveApiError as exc:
                    raise ValidationError(option + '.import_from', source, 'is not an image on node {0} ({1})'.format(
                        node, exc))
                sizes[source] = int(info.get('size') or 0)
            plan_import_size(plan, slot, option, size, sizes[source], source)
        for slot, volume, option in plan.isos:
            storage = volume.split(':', 1)[0]
            if storage not in self.iso_lists:
                try:
                    items = self.client.get('/nodes/{0}/storage/{1}/content'.format(node, storage),
                                            content='iso') or []
                except PveApiError as exc:
                    raise ValidationError(option + '.iso', volume, 'cannot be checked on node {0} ({1})'.format(
                        node, exc))
                self.iso_lists[storage] = sorted(i.get('volid') for i in items if i.get('volid'))
            if volume not in self.iso_lists[storage]:
                raise ValidationError(option + '.iso', volume, 'is not an ISO image on storage {0} of node {1} '
                                      '(ISO images there: {2})'.format(storage, node,
                                                                       ', '.join(self.iso_lists[storage]) or 'none'))

    def create_from_scratch(self):
        p = self.params
        node = p['node']
        if node is None:
            raise ValidationError('node', None, 'a new VM that is not a clone needs the node to create it on')
        plan = self.spec.plan({}, creating=True)
        delta = compare(plan.desired, {}, plan.fields(), creating=True)
        self.validate_cluster(node, {}, plan, dict(plan.storages), check_node=True)
        params = delta.params()
        params.pop('delete', None)
        params['name'] = p['name']
        if p['pool']:
            params['pool'] = p['pool']
        keys = sorted(k for k in params if k not in ('name', 'pool'))
        action = 'create VM {0} on {1}: {2}'.format(p['name'], node, ', '.join(keys))
        config = self.create_new(node, params, action, delta, plan, preview=dict(params))
        if plan.resizes:  # disks imported from a smaller image
            self.resize_volumes(plan.resizes)
            if not self.module.check_mode:
                config = self.after_write(None, plan)
        return config


def converge_vm(module):
    """pve_vm: the VM the play describes, found or created, converged and powered."""
    VmRun(module).ensure()
