# -*- coding: utf-8 -*-
# Copyright: iac.proxmox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The pve_lxc engine: the shared guest engine (_guestrun) with what is particular to containers - creation
from an OS template (checked to exist before anything is written), and the create-time-only password and
SSH keys. Private to the collection.
"""

from __future__ import annotations

from ._diff import compare
from ._errors import ValidationError
from ._guest import LXC, Guest, allocate_vmid
from ._guestrun import GuestRun, clean
from ._lxcspec import CtSpec, clone_preview, volume_slots
from ._propstring import split_volume_id


class CtRun(GuestRun):
    """One pve_lxc task."""

    kind = LXC
    noun = 'container'
    storage_content = 'rootdir'
    storage_noun = 'container volumes'
    max_vcpus = 8192

    def make_spec(self, params):
        return CtSpec.from_params(params)

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

        def do_create(newid):
            with self.creating(newid):
                return self.module.write('POST', '/nodes/{0}/lxc'.format(node), dict(params, vmid=newid),
                                         action=action, timeout=p['timeout'], settle=self.settled_create(newid))
        self.changed = True
        self.changed_keys = list(delta.changed_keys)
        self.before, self.after = {}, dict(delta.after)
        if self.module.check_mode:
            do_create(p['vmid'])
            self.guest = Guest(LXC, p['vmid'], node, name=p['name'], status='stopped')
            return dict((k, v) for k, v in params.items() if k not in ('password', 'ssh-public-keys'))
        if p['vmid'] is not None:
            do_create(p['vmid'])
            vmid = p['vmid']
        else:
            vmid, _answer = allocate_vmid(self.module, do_create)
        self.guest = Guest(LXC, vmid, node, name=p['name'], status='stopped')
        return self.after_write(None, plan)


def run(module):
    CtRun(module).run()
