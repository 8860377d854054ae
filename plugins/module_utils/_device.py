# -*- coding: utf-8 -*-
# Copyright: iac.proxmox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One device on an existing VM, kept in a numbered slot (virtiofsN, hostpciN). Private to the collection.

The device is identified by what it is (a mapping ID, a set of PCI addresses): without a slot in the play, a
re-run finds the slot that already holds it; a new device takes the lowest free slot. With a slot, the slot is
the key: a device kind may let one identity fill several slots (a PCI mapping with several devices backs
hostpci0..hostpci3), and `absent` without a slot then removes every slot holding it.
Options the play leaves out keep their current values. Validation against the cluster runs only when
something is going to be written, and before that write.
"""

from __future__ import annotations

from ._checks import check_node_name
from ._diff import compare
from ._errors import PveApiError, PveError, ValidationError
from ._guest import (QEMU, check_guest_name, find_guest, find_guest_state, read_config, read_state, wait_unlocked,
                     write_guest)
from ._regex import regex

VM_IDENTITY_ARGSPEC = dict(
    vmid=dict(type='int'),
    name=dict(type='str'),
    node=dict(type='str'),
    lock_timeout=dict(type='int', default=60),
)


class DeviceKind(object):
    """What differs between device types.

    prefix/count: the slots (virtiofs0-9, hostpci0-15). fmt: the PropFormat. field: the Field comparing
    values. identity(parsed dict): what makes two values the same device. shareable(identity): whether that
    device may fill several slots (default: never).
    """

    def __init__(self, prefix, count, fmt, field, identity, label, shareable=None):
        self.prefix = prefix
        self.count = count
        self.fmt = fmt
        self.field = field
        self.identity = identity
        self.label = label
        self.shareable = shareable or (lambda identity: False)
        self.slot_re = regex(r'^{0}(\d+)$'.format(prefix))

    def slots(self):
        return ['{0}{1}'.format(self.prefix, n) for n in range(self.count)]

    def check_slot(self, option, slot):
        found = self.slot_re.match(slot or '')
        if not found or int(found.group(1)) >= self.count:
            why = 'is not a {0} slot ({1}0-{1}{2})'.format(self.label, self.prefix, self.count - 1)
            raise ValidationError(option, slot, why)
        return slot


def find_vm(module):
    """The existing VM the device module's vmid/name/node address (a ValidationError if there is none) and its
    GuestState when it came with the lookup (vmid and node given: both read at once), else None."""
    p = module.params
    if p.get('vmid') is None and p.get('name') is None:
        raise ValidationError('name', None, 'give the VM by name or vmid')
    if p.get('name') is not None:
        check_guest_name('name', p['name'])
    if p.get('node') is not None:
        check_node_name('node', p['node'])
    guest, state = None, None
    if p.get('vmid') is not None and p.get('node') is not None:
        guest, state = find_guest_state(module.client, QEMU, p['vmid'], p['node'])
    if guest is None:
        guest = find_guest(module.client, QEMU, vmid=p.get('vmid'),
                           name=p.get('name') if p.get('vmid') is None else None)
    if guest is None:
        what = 'vmid' if p.get('vmid') is not None else 'name'
        raise ValidationError(what, p.get(what), 'no such VM in the cluster')
    return guest, state


class DeviceRun(object):
    """Converge one device of one VM."""

    def __init__(self, module, kind):
        self.module = module
        self.kind = kind
        self.client = module.client
        self.lock_timeout = module.params.get('lock_timeout') or 60

    def read(self):
        self.guest, state = find_vm(self.module)
        self._state(state or read_state(self.client, self.guest))
        return self.guest

    def _state(self, state):
        self.effective, self.digest, self.lock = state.effective, state.digest, state.lock
        self.pending = state.pending if self.guest.status == 'running' else {}

    def holding(self, identity):
        """The slot whose device is `identity`, or None."""
        slots = self.holding_all(identity)
        return slots[0] if slots else None

    def holding_all(self, identity):
        """Every slot whose device is `identity`, in slot order."""
        return [slot for slot in self.kind.slots() if self.effective.get(slot) is not None
                and self.kind.identity(self.kind.fmt.parse(self.effective[slot])) == identity]

    def choose_slot(self, identity, wanted):
        current = self.holding(identity)
        if wanted is not None:
            self.kind.check_slot('slot', wanted)
            if self.effective.get(wanted) is not None and wanted in self.holding_all(identity):
                return wanted
            if self.kind.shareable(identity) and self.effective.get(wanted) is None:
                return wanted  # one more slot for this device (a mapping with several devices)
            if current is not None and current != wanted:
                raise ValidationError('slot', wanted, 'this {0} is already in {1}; remove it there first or leave slot '
                                                      'out'.format(self.kind.label, current))
            other = self.effective.get(wanted)
            if current is None and other is not None:
                raise ValidationError('slot', wanted, 'holds another {0} ({1}); nothing is replaced behind your back'
                                      .format(self.kind.label, other))
            return wanted
        if current is not None:
            return current
        for slot in self.kind.slots():
            if slot not in self.effective:
                return slot
        raise ValidationError('slot', None, 'all {0} slots of {1} are taken'.format(self.kind.label, self.guest.label))

    def converge(self, identity, options, state, slot=None, validate=None, explain=None, check=None):
        """Bring the device to state. options: PVE keys -> value (None: leave as is; False removes a flag).

        validate(run, merged) runs before a write; check(merged) runs on every present run, changed or not (a
        combination of the play's options and the slot's kept ones the play cannot get); explain(exc) may turn a
        PVE error into a clearer one. Exits the module.
        """
        guest = self.read()
        if state == 'absent':
            if slot is not None:
                self.kind.check_slot('slot', slot)
                holding = [slot] if slot in self.holding_all(identity) else []
            else:
                holding = self.holding_all(identity)
            before = dict((s, self.effective[s]) for s in holding)
            for current in holding:
                action = 'remove {0} {1} from {2}'.format(self.kind.label, current, guest.label)
                self._write({'delete': current}, action, explain)
                self.digest = None  # the next write reads the digest this one left
            return self._exit(bool(holding), holding[0] if holding else None, None, before, {})
        slot = self.slot = self.choose_slot(identity, slot)
        merged = self.kind.fmt.parse(self.effective[slot]) if slot in self.effective else {}
        for key, value in options.items():
            if value is None:
                continue
            if value is False:
                merged.pop(key, None)
            else:
                merged[key] = value
        if check:
            check(merged)
        try:
            value = self.kind.fmt.format(merged)
        except ValueError as exc:
            raise ValidationError(self.kind.label, None, str(exc))
        delta = compare({slot: value}, self.effective, {slot: self.kind.field})
        if delta.changed:
            if validate:
                validate(self, merged)
            self._write(delta.params(), 'set {0} of {1}: {2}'.format(slot, guest.label, value), explain)
        return self._exit(delta.changed, slot, merged, delta.before, delta.after)

    def _write(self, params, action, explain):
        """Set (or delete) one slot. If the answer is lost, or another writer changed the config since it was
        read, the config is read again: done if the slot already is as wanted, written again (with the new
        digest) if the slot is still as it was, refused if someone else changed that very slot meanwhile."""
        lock = self.lock or self.guest.lock
        if lock:
            wait_unlocked(self.module, self.guest, lock, self.lock_timeout)
            self._state(read_state(self.client, self.guest))
        slot = params.get('delete') or next(k for k in params if k != 'delete')
        wanted = None if 'delete' in params else params[slot]
        was = self.effective.get(slot)

        def send():
            data = dict(params)
            if self.digest is None and not self.module.check_mode:
                self.digest = read_config(self.client, self.guest).get('digest')
            if self.digest:
                data['digest'] = self.digest
            write_guest(self.module, self.guest, 'PUT', self.guest.path + '/config', data, action=action,
                        lock_timeout=self.lock_timeout)

        def reread():
            self._state(read_state(self.client, self.guest))
            now = self.effective.get(slot)
            if self._same(slot, now, wanted):
                return False  # the lost write took effect (or someone wrote the same)
            if not self._same(slot, now, was):
                raise PveError('{0} of {1} was changed by someone else while this task ran (it is now {2!r}); '
                               'nothing was overwritten. Run the task again to converge it.'.format(
                                   slot, self.guest.label, now))
            return True
        try:
            self.module.write_fresh(send, reread)
        except PveApiError as exc:
            if explain:
                explain(exc)
            raise
        if self.guest.status == 'running' and not self.module.check_mode:
            self._state(read_state(self.client, self.guest))

    def _same(self, slot, value, other):
        if value is None or other is None:
            return value is None and other is None
        return not compare({slot: other}, {slot: value}, {slot: self.kind.field}).changed

    def _exit(self, changed, slot, device, before, after):
        pending = sorted(k for k in self.pending if k.startswith(self.kind.prefix)) if self.pending else []
        self.module.exit(changed=changed, vmid=self.guest.vmid, node=self.guest.node, slot=slot,
                         device=dict((k.replace('-', '_'), v) for k, v in (device or {}).items()),
                         pending=pending, reboot_required=bool(self.pending), diff={'before': before, 'after': after})
