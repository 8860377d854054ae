# -*- coding: utf-8 -*-
# Copyright: iac.proxmox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The create step of the guest engine (_guestrun): a new guest from scratch (the kind's create_from_scratch)
or as a clone of another, with the checks a clone needs before it is made, and the cleanup report when PVE's
task fails. Private to the collection.
"""

from __future__ import annotations

import contextlib

from ._diff import CREATE_ONLY, DiffError, compare
from ._errors import PveTaskError, ValidationError
from ._guest_config import clean
from ._guest import (Guest, allocate_vmid, find_guest, is_vmid_collision, list_guests, read_config, settled_created,
                     write_guest)


class GuestCreate(object):
    """Makes the guest that does not exist yet."""

    def create(self):
        """The guest the play names does not exist: clone it or create it from scratch."""
        p = self.params
        if p['name'] is None:
            raise ValidationError('name', None, 'a new {0} needs a name'.format(self.noun))
        if p['vmid'] is not None:
            self.check_name_free(p['name'])
        if p['clone'] is not None:
            return self.clone()
        return self.create_from_scratch()

    def clone(self):
        """A clone of the play's source, checked before the clone (source, linked clone, snapshot, node, what
        the clone keeps), then its config converged from what the clone brought."""
        p = self.params
        ref = str(p['clone'])
        source = find_guest(self.client, self.kind, vmid=int(ref) if ref.isdigit() else None,
                            name=None if ref.isdigit() else ref, guests=self.guests())
        if source is None:
            raise ValidationError('clone', ref, 'no {0} or template with this {1} in the cluster'.format(
                self.noun, 'VMID' if ref.isdigit() else 'name'))
        # A clone copies the source's current values and drops its pending ones (clone_vm).
        source_config = read_config(self.client, source, current=True)
        node = p['node'] or source.node
        if not p['full']:
            if not source.template:
                raise ValidationError('full', False, 'a linked clone needs a template as its source; {0} is not '
                                                     'one'.format(source.label))
            if p['storage']:
                raise ValidationError('storage', p['storage'], 'a linked clone stays on the template\'s storage; use '
                                                               'full: true to clone onto another storage')
        if p['snapname'] and p['snapname'] not in self._snapshots(source):
            raise ValidationError('snapname', p['snapname'], 'is not a snapshot of {0}'.format(source.label))
        self.check_clone_source(source, source_config)
        preview = self.clone_preview(source_config)
        plan = self.spec.plan(preview, creating=True, clone_slots=self.clone_slots(source_config))
        self.check_clone_keeps(source, preview, plan)
        storages = dict(plan.storages)
        if p['storage']:
            storages.setdefault(p['storage'], 'storage')
        self.validate_cluster(node, preview, plan, storages, check_node=node != source.node)
        if node != source.node:
            self.check_clone_node(source, source_config, node)
        data = {self.kind.name_key: p['name'], 'full': 1 if p['full'] else 0, 'storage': p['storage'], 'pool': p['pool'],
                'snapname': p['snapname'], 'target': node if node != source.node else None}
        where = ' (storage {0})'.format(p['storage']) if p['storage'] else ''
        action = 'clone {0} to new {1} {2} on {3}{4}'.format(source.label, self.kind.label, p['name'], node, where)

        def do_clone(newid):
            with self.creating(newid):
                return write_guest(self.module, source, 'POST', source.path + '/clone', dict(data, newid=newid),
                                   action=action, lock_timeout=self.lock_timeout, task_timeout=p['timeout'],
                                   settle=self.settled_create(newid))
        self.before = {}
        self.place(do_clone, node)
        if self.module.check_mode:
            return self.converge(preview, None, new=True)
        config = read_config(self.client, self.guest)
        return self.converge(clean(config), config.get('digest'), new=True)

    def create_new(self, node, params, action, delta, plan, preview):
        """POST the new guest (params without its VMID) to the node, with a free VMID when the play gives none;
        `preview` is the config check mode shows. Returns the effective config after the create."""
        p = self.params

        def do_create(newid):
            with self.creating(newid):
                return self.module.write('POST', '/nodes/{0}/{1}'.format(node, self.kind.api), dict(params, vmid=newid),
                                         action=action, timeout=p['timeout'], settle=self.settled_create(newid))
        self.changed_keys = list(delta.changed_keys)
        self.before, self.after = {}, dict(delta.after)
        self.place(do_create, node)
        if self.module.check_mode:
            return preview
        return self.after_write(None, plan)

    def place(self, write, node):
        """write(vmid) makes the guest: with the play's vmid, or (not in check mode) a free one, retried when
        another creator takes it first. self.guest is then the new, stopped guest (in check mode its vmid is
        the play's, None when the play gives none)."""
        p = self.params
        self.changed = True
        if self.module.check_mode or p['vmid'] is not None:
            write(p['vmid'])
            vmid = p['vmid']
        else:
            vmid, _answer = allocate_vmid(self.module, write)
        self.guest = Guest(self.kind, vmid, node, name=p['name'], status='stopped')

    def check_clone_keeps(self, source, preview, plan):
        """Before the clone: the play asks nothing of the clone that PVE cannot write to an existing guest.
        A clone keeps its source's create-only keys (LXC `unprivileged` is read-only after creation), so a
        different value is refused here, with the source named, instead of after the clone."""
        fields = plan.fields()
        for key in sorted(plan.desired):
            field = fields[key]
            if field.mode != CREATE_ONLY or plan.desired[key] is None:
                continue
            have = field.norm(preview.get(key))
            if field.norm(plan.desired[key]) != have:
                raise DiffError(key, self.clone_keeps_message(source, key, have, plan.desired[key]))
        compare(plan.desired, preview, fields)  # what else cannot be reached from the source (shrinking, ...)

    def clone_keeps_message(self, source, key, have, want):
        return ('{0}: {1} has {0}: {2}, and a clone keeps its source\'s value ({0} can only be set when a {3} is '
                'created); clone a source with {0}: {4}, or leave {0} out. Nothing was cloned.'.format(
                    key, source.label, have, self.noun, want))

    def settled_create(self, vmid):
        """settle() for this run's create or clone of `vmid` (see _guest.settled_created)."""
        if vmid is None:
            return None
        return settled_created(self.module, self.kind, vmid, self.params['name'], self.params['timeout'])

    @contextlib.contextmanager
    def creating(self, vmid):
        """Around a create or clone: if its task fails, say whether PVE left a guest behind."""
        try:
            yield
        except PveTaskError as exc:
            if vmid is not None and not is_vmid_collision(exc):
                left = [g for g in list_guests(self.client) if int(g['vmid']) == int(vmid)]
                if left:
                    guest = Guest.from_resource(left[0])
                    exc.hint = ('{0} was left behind ({1}{2}); remove it (state: absent) before trying '
                                'again.'.format(guest.label, guest.status, ', locked: {0}'.format(guest.lock)
                                                if guest.lock else ''))
                else:
                    exc.hint = 'PVE removed what it had made: nothing was left behind with VMID {0}.'.format(vmid)
            raise

    def _snapshots(self, guest):
        return [s.get('name') for s in self.client.get(guest.path + '/snapshot') or [] if s.get('name') != 'current']
