# -*- coding: utf-8 -*-
# Copyright: iac.proxmox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The pve_vm engine: the shared guest engine (_guestrun) with what is particular to QEMU VMs - creation
from scratch, disks moved with move_disk, the asynchronous config write for volumes, the cloud-init drive
regenerated when its settings change, and waiting for the guest agent. Private to the collection.
"""

from __future__ import annotations

from ._diff import compare
from ._errors import ValidationError
from ._guest import QEMU, Guest, allocate_vmid, guest_addresses, wait_for_agent, write_guest
from ._guestrun import GuestRun, clean
from ._vmspec import VmSpec, clone_preview, drive_slots, is_drive_key


class VmRun(GuestRun):
    """One pve_vm task."""

    kind = QEMU
    noun = 'VM'
    storage_content = 'images'
    storage_noun = 'VM disks'

    def make_spec(self, params):
        spec = VmSpec.from_params(params)
        spec.pve_version = self.pve_version
        return spec

    def pve_version(self):
        """PVE's version (GET /version), read once per run and only when a key's spelling depends on it."""
        if getattr(self, '_pve_version', None) is None:
            self._pve_version = (self.client.get('/version') or {}).get('version') or ''
        return self._pve_version

    def clone_preview(self, source_config):
        return clone_preview(clean(source_config), self.params['storage'], self.params['name'])

    def clone_slots(self, source_config):
        return drive_slots(source_config)

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
        if plan.cloudinit_keys and any(k in delta.changed_keys for k in plan.cloudinit_keys):
            write_guest(self.module, guest, 'PUT', guest.path + '/cloudinit',
                        action='regenerate the cloud-init drive of {0}'.format(guest.label),
                        lock_timeout=self.lock_timeout, idempotent=True)  # regenerating twice is harmless
            self.changed = True

    def after_power(self):
        """With wait_for_agent: after a power change wait until the agent answers; report the guest's IP."""
        guest = self.guest
        if not self.params['wait_for_agent'] or guest.status != 'running' or self.module.check_mode:
            return
        if self.power_done:
            wait_for_agent(self.module, guest, self.params['agent_timeout'])
        addresses = guest_addresses(self.client, guest)
        self.extra_result.update(ip=addresses[0] if addresses else None, ip_addresses=addresses)

    def result_config(self, config):
        if 'cipassword' in config:
            config['cipassword'] = '********'
        return config

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

        def do_create(newid):
            with self.creating(newid):
                return self.module.write('POST', '/nodes/{0}/qemu'.format(node), dict(params, vmid=newid),
                                         action=action, timeout=p['timeout'], settle=self.settled_create(newid))
        self.changed = True
        self.changed_keys = list(delta.changed_keys)
        self.before, self.after = {}, dict(delta.after)
        if self.module.check_mode:
            do_create(p['vmid'])
            self.guest = Guest(self.kind, p['vmid'], node, name=p['name'], status='stopped')
            return dict(params)
        if p['vmid'] is not None:
            do_create(p['vmid'])
            vmid = p['vmid']
        else:
            vmid, _answer = allocate_vmid(self.module, do_create)
        self.guest = Guest(self.kind, vmid, node, name=p['name'], status='stopped')
        return self.after_write(None, plan)


def run(module):
    VmRun(module).run()
