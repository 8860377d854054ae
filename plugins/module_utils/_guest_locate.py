# -*- coding: utf-8 -*-
# Copyright: iac.proxmox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The locate step of the guest engine (_guestrun): check how the play names the guest, then find it in the
cluster - by VMID and node in one round trip, else through the cluster's guest list, read once per run.
Private to the collection.
"""

from __future__ import annotations

from ._checks import check_node_name, check_storage
from ._errors import PveApiError, PveError, ValidationError
from ._guest import check_guest_name, find_guest, find_guest_state, is_denied, list_guests


class GuestLocate(object):
    """Finds the guest the play names (self.guest: the Guest, or None when it does not exist yet)."""

    def check_identity(self):
        """The options naming the guest and where it lives, checked before any request."""
        p = self.params
        if p['vmid'] is None and p['name'] is None:
            raise ValidationError('name', None, 'give the {0} a name or a vmid'.format(self.noun))
        if p['name'] is not None:
            check_guest_name('name', p['name'])
        if p['node'] is not None:
            check_node_name('node', p['node'])
        if p['vmid'] is not None and not 100 <= p['vmid'] <= 999999999:
            raise ValidationError('vmid', p['vmid'], 'must be 100-999999999')
        check_storage('storage', p['storage'])

    def locate(self):
        """self.guest (and self.state when it came along), or the 403 explained (see find_denied)."""
        try:
            self.find()
        except PveApiError as exc:
            if not is_denied(exc) or self.params['vmid'] is None:
                raise
            self.find_denied(exc)

    def guests(self):
        """The cluster's guest list, read once per run and only when needed."""
        if self._guests is None:
            self._guests = list_guests(self.client)
        return self._guests

    def node_storages(self, node):
        """The storages of a node by ID (read once per node and run)."""
        if node not in self._node_storages:
            self._node_storages[node] = dict((s['storage'], s) for s in
                                             self.client.get('/nodes/{0}/storage'.format(node)) or [])
        return self._node_storages[node]

    def is_shared(self, node, storage):
        """True when `storage` is a shared storage of `node` (a clone to another node needs one)."""
        return bool(int((self.node_storages(node).get(storage) or {}).get('shared') or 0))

    def local_volumes(self, node, volumes):
        """Of (slot, volume ID) pairs, those on a storage of `node` that is not shared."""
        return [(slot, volume) for slot, volume in volumes if not self.is_shared(node, volume.split(':', 1)[0])]

    def shared_storages(self, node, content):
        """The shared storages of `node` that hold `content` (images, rootdir), sorted."""
        return sorted(s for s, info in self.node_storages(node).items() if int(info.get('shared') or 0)
                      and content in str(info.get('content', '')).split(','))

    def find(self):
        """self.guest, found by vmid (with node: with its state, in one round trip) or by name."""
        p = self.params
        if p['vmid'] is not None and p['node'] is not None and p['state'] != 'absent':
            # The common case of a fleet: the guest and its config in one round trip, no cluster listing.
            self.guest, self.state = find_guest_state(self.client, self.kind, p['vmid'], p['node'])
            if self.guest is None:  # not there: elsewhere in the cluster, or new (the listing serves both)
                self.guest = find_guest(self.client, self.kind, vmid=p['vmid'], guests=self.guests())
        elif p['vmid'] is not None:
            self.guest = find_guest(self.client, self.kind, vmid=p['vmid'], node=p['node'])
        else:
            self.guest = find_guest(self.client, self.kind, name=p['name'], guests=self.guests())

    def find_denied(self, exc):
        """PVE answered 403 for /vms/<vmid>: the user may not see that VMID, which says nothing about whether a
        guest has it (PVE checks the privilege first). With `pool` and the user's ACL on that pool, a guest in
        the pool would be visible, so the VMID is not in the pool: create it there (PVE checks VM.Allocate on
        /pool/<pool> and refuses a VMID that is taken). Otherwise the 403 is the answer, explained."""
        p = self.params
        if p['pool'] and p['state'] != 'absent':
            self.guest = find_guest(self.client, self.kind, vmid=p['vmid'], guests=self.guests())
            if self.guest is None:
                return
        raise PveError('vmid {0}: PVE refuses to show {1} {0} to this user (HTTP 403: {2}), so whether it exists '
                       'is unknown; nothing was changed. A user whose privileges are on a pool sees only the '
                       'guests in that pool and creates guests there: give pool: <pool>{3}, or grant VM.Audit on '
                       '/vms/{0}.'.format(p['vmid'], self.kind.label, exc.message,
                                          ' (the guest is not in pool {0})'.format(p['pool']) if p['pool'] else ''))

    def check_name_free(self, name, vmid=None):
        """No other guest of the cluster (but `vmid`) has the name."""
        for item in self.guests():
            if item.get('name') == name and (vmid is None or int(item['vmid']) != int(vmid)):
                raise ValidationError('name', name, 'is already the name of {0} {1} on {2}'.format(
                    'VM' if item['type'] == 'qemu' else 'CT', item['vmid'], item['node']))
