# -*- coding: utf-8 -*-
# Copyright: iac.proxmox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Guests, QEMU VMs and LXC containers alike: find them, give them VMIDs, wait out their locks, power them
and destroy them safely. Private to the collection: not a public API.

Every write goes through the module's `write()`, so check mode sends nothing and the plan lists each
step. Power operations wait for their task and then for the state they asked for; a destroy never
reports success while the guest still exists.
"""

from __future__ import annotations

import random
import time

from ._client import poll_delays
from ._errors import PveApiError, PveError, PveTaskError, PveTimeoutError, ValidationError
from ._regex import regex

GUEST_NAME = regex(r'^(?=.{1,63}$)[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?'
                   r'(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*$')
LOCK_FILE_TIMEOUT = regex(r"can't lock file '[^']*' - got timeout")
LOCKED = regex(r'(?:VM|CT) is locked \((\w[\w-]*)\)')
VMID_TAKEN = regex(r'already exists|config file already exists|VMID \d+ is already in use')
MISSING = regex(r"Configuration file '[^']*' does not exist|does not exist|no such VM|not found")
MAX_VMID_ATTEMPTS = 20


def is_missing(exc):
    """PVE said the guest does not exist. A 403 never says so: PVE checks the privilege on /vms/<vmid> before
    it looks at the guest, so a VMID the user may not see is refused whether or not it exists."""
    return exc.status not in (401, 403) and bool(MISSING.search(exc.message or ''))


def is_denied(exc):
    """PVE refused to show or touch the guest: a permission check failed (HTTP 403)."""
    return isinstance(exc, PveApiError) and exc.status == 403


class GuestKind(object):
    """What differs between VMs and containers in the API."""

    def __init__(self, api, label, name_key):
        self.api = api            # path segment and /cluster/resources type: qemu or lxc
        self.label = label        # VM or CT, as PVE's messages say
        self.name_key = name_key  # config key holding the name: name or hostname


QEMU = GuestKind('qemu', 'VM', 'name')
LXC = GuestKind('lxc', 'CT', 'hostname')
KINDS = {'qemu': QEMU, 'lxc': LXC}


class Guest(object):
    """A guest that exists: identity and what /cluster/resources or status/current said about it."""

    def __init__(self, kind, vmid, node, name=None, status=None, template=False, lock=None):
        self.kind = kind
        self.vmid = None if vmid is None else int(vmid)  # None: a guest check mode would create
        self.node = node
        self.name = name
        self.status = status
        self.template = bool(int(template or 0))
        self.lock = lock or None

    @property
    def path(self):
        return '/nodes/{0}/{1}/{2}'.format(self.node, self.kind.api, self.vmid)

    @property
    def label(self):
        if self.vmid is None:
            return '{0} {1}'.format(self.kind.label, self.name)
        return '{0} {1}{2}'.format(self.kind.label, self.vmid, ' ({0})'.format(self.name) if self.name else '')

    @classmethod
    def from_resource(cls, item):
        return cls(KINDS[item['type']], item['vmid'], item['node'], name=item.get('name'), status=item.get('status'),
                   template=item.get('template'), lock=item.get('lock'))


def check_guest_name(option, name):
    if not isinstance(name, str) or not GUEST_NAME.match(name):
        raise ValidationError(option, name, 'must be a valid DNS name (letters, digits, "-" and ".", at most 63 '
                                            'characters)')
    return name


def list_guests(client):
    """Every guest of the cluster (one request)."""
    return [item for item in client.get('/cluster/resources', type='vm') or [] if item.get('type') in KINDS]


def find_guest(client, kind, vmid=None, name=None, node=None, guests=None):
    """The guest addressed by vmid (and node) or by name, or None if it does not exist.

    With vmid and node known, one status read answers and no cluster listing is made. A name must be
    unique among all guests; a VMID or name held by the other kind of guest is an error. kind None
    accepts either kind (it is then known only from a listing).
    """
    if vmid is not None and node is not None and guests is None and kind is not None:
        try:
            status = client.get('/nodes/{0}/{1}/{2}/status/current'.format(node, kind.api, vmid)) or {}
        except PveApiError as exc:
            if not is_missing(exc):
                raise
        else:
            return _from_status(kind, vmid, node, status)
    if guests is None:
        guests = list_guests(client)
    if vmid is not None:
        found = [g for g in guests if int(g['vmid']) == int(vmid)]
    else:
        found = [g for g in guests if g.get('name') == name]
        if len(found) > 1:
            ids = ', '.join('{0} ({1} on {2})'.format(g['vmid'], g['type'], g['node'])
                            for g in sorted(found, key=lambda g: int(g['vmid'])))
            raise ValidationError('name', name, 'names must be unique, but several guests carry it: {0}; address '
                                                'the guest by vmid'.format(ids))
    if not found:
        return None
    item = found[0]
    if kind is not None and item['type'] != kind.api:
        other = KINDS[item['type']]
        why = 'belongs to {0} {1} on {2}, not a {3}'.format(other.label, item['vmid'], item['node'], kind.label)
        raise ValidationError('vmid' if vmid is not None else 'name', vmid if vmid is not None else name, why)
    if item.get('status') == 'unknown':
        raise PveError('{0} {1} is on node {2}, which is offline or unreachable, so it cannot be managed until the '
                       'node is back; nothing was changed'.format((kind or KINDS[item['type']]).label, item['vmid'],
                                                                  item['node']))
    return Guest.from_resource(item)


def _from_status(kind, vmid, node, status):
    status = status or {}
    return Guest(kind, vmid, node, name=status.get('name'), status=status.get('status'),
                 template=status.get('template'), lock=status.get('lock'))


def find_guest_state(client, kind, vmid, node):
    """The guest with this vmid on this node and its GuestState, read at once (two requests in the time of
    one); (None, None) when no such guest is on that node (it may be elsewhere: see find_guest)."""
    path = '/nodes/{0}/{1}/{2}'.format(node, kind.api, vmid)
    status, items = client.get_all([path + '/status/current', path + '/pending'])
    if isinstance(status, PveApiError) and is_missing(status):
        return None, None
    for answer in (status, items):
        if isinstance(answer, Exception):
            raise answer
    return _from_status(kind, vmid, node, status), state_from(items)


def is_vmid_collision(exc):
    text = str(getattr(exc, 'message', '') or exc)
    if isinstance(exc, PveTaskError):
        text = '{0} {1}'.format(exc.exitstatus, ' '.join(exc.log))
    return bool(VMID_TAKEN.search(text))


def allocate_vmid(module, create, sleep=time.sleep):
    """Run create(vmid) with the cluster's next free VMID, taking another one whenever the VMID was taken
    meanwhile (parallel runs race for /cluster/nextid). Returns (vmid, create's result)."""
    client = module.client
    for attempt in range(1, MAX_VMID_ATTEMPTS + 1):
        vmid = int(client.get('/cluster/nextid'))
        try:
            return vmid, create(vmid)
        except (PveApiError, PveTaskError) as exc:
            if not is_vmid_collision(exc) or attempt == MAX_VMID_ATTEMPTS:
                raise
        # Others are creating too: spread out so the next round does not collide again.
        sleep(random.uniform(0.05, 0.25) * attempt)
    raise PveError('no free VMID after {0} attempts'.format(MAX_VMID_ATTEMPTS))


# ---------------------------------------------------------------------- reading

def read_config(client, guest, current=False):
    """The guest's config (with `digest`) as PVE's GET config gives it: pending values applied, or with
    `current` the values the guest runs with (qemu-server API2/Qemu.pm and pve-container API2/LXC/Config.pm
    vm_config, load_current_config)."""
    if current:
        return client.get(guest.path + '/config', current=1) or {}
    return client.get(guest.path + '/config') or {}


class GuestState(object):
    """A guest's config as one read of PVE's pending view gives it.

    `effective`: the values the guest runs with after its next start (pending values applied);
    `pending`: the keys whose change waits for that start ({key: new value or None for a delete});
    `digest`: the config file's digest, for writing without reading the config again (None if PVE did
    not list it).
    """

    def __init__(self, effective, pending, digest):
        self.effective = effective
        self.pending = pending
        self.digest = digest

    @property
    def lock(self):
        return self.effective.get('lock') or None


def read_state(client, guest):
    """The guest's GuestState (one request)."""
    return state_from(client.get(guest.path + '/pending'))


def state_from(items):
    """A GuestState from PVE's pending view (a list of {key, value, pending, delete})."""
    effective, pending, digest = {}, {}, None
    for item in items or []:
        key = item.get('key')
        if key == 'digest':
            digest = item.get('value')
            continue
        if item.get('delete'):
            pending[key] = None
            continue
        if 'pending' in item:
            pending[key] = item['pending']
            effective[key] = item['pending']
        elif 'value' in item:
            effective[key] = item['value']
    return GuestState(effective, pending, digest)


def read_pending(client, guest):
    """(effective config, pending) from one read (see GuestState)."""
    state = read_state(client, guest)
    return state.effective, state.pending


def read_status(client, guest, missing_ok=False):
    """The guest's status/current, also kept on `guest`. With missing_ok, a guest that does not exist (any
    more) gives None and guest.status 'absent' instead of an error."""
    try:
        status = client.get(guest.path + '/status/current') or {}
    except PveApiError as exc:
        if not (missing_ok and is_missing(exc)):
            raise
        guest.status, guest.lock = 'absent', None
        return None
    guest.status = status.get('status', guest.status)
    guest.lock = status.get('lock') or None
    return status


def wait_until(check, timeout, what, sleep=time.sleep, clock=time.monotonic):
    """Poll check() (adaptively) until it returns true; PveTimeoutError naming `what` after timeout."""
    deadline = clock() + timeout
    delays = poll_delays()
    while True:
        if check():
            return
        remaining = deadline - clock()
        if remaining <= 0:
            raise PveTimeoutError('{0} (waited {1}s)'.format(what, timeout))
        sleep(min(next(delays), remaining))


def guest_addresses(client, guest):
    """The guest's IP addresses as it reports them (QEMU guest agent, or the container's interfaces):
    loopback and link-local left out, IPv4 first. [] when the guest does not say."""
    try:
        if guest.kind is QEMU:
            answer = client.get(guest.path + '/agent/network-get-interfaces') or {}
            interfaces = answer.get('result') or []
        else:
            interfaces = client.get(guest.path + '/interfaces') or []
    except PveApiError:
        return []
    found = []
    for iface in interfaces:
        for item in iface.get('ip-addresses') or []:
            address = item.get('ip-address')
            if not address or address.startswith(('127.', 'fe80:')) or address == '::1':
                continue
            found.append((0 if ':' not in address else 1, address))
    return [address for _family, address in sorted(found, key=lambda f: f[0])]


# ---------------------------------------------------------------------- locks

def wait_unlocked(module, guest, lock, timeout, lock_timeout=None):
    """Wait while the guest carries a config lock (backup, clone, migrate, ...), up to timeout seconds (what is
    left of lock_timeout, the option the message names, when a write already waited for part of it)."""
    if not lock:
        return
    guest.lock = lock
    if module.check_mode:
        return

    def unlocked():
        read_status(module.client, guest)
        return not guest.lock
    try:
        wait_until(unlocked, timeout, '{0} is locked ({1})'.format(guest.label, lock))
    except PveTimeoutError:
        raise PveError('{0} is locked ({1}) and was still locked after {2}s (lock_timeout); nothing was changed. '
                       'Wait for the {1} to finish, or raise lock_timeout.'.format(
                           guest.label, guest.lock or lock, timeout if lock_timeout is None else lock_timeout))


def write_guest(module, guest, method, path, data=None, action=None, lock_timeout=60, task_timeout=None,
                settle=None, idempotent=None, read_timeout=None):
    """module.write() for a guest, riding out its config lock: PVE's `can't lock file` and `VM is locked`
    answers are retried until lock_timeout. `settle`, `read_timeout`: see PveModule.write and PveClient.request."""
    start = time.monotonic()
    delays = poll_delays()
    while True:
        try:
            return module.write(method, path, data, action=action, timeout=task_timeout, settle=settle,
                                idempotent=idempotent, read_timeout=read_timeout)
        except (PveApiError, PveTaskError) as exc:
            text = exc.message if not isinstance(exc, PveTaskError) else str(exc.exitstatus)
            held = LOCKED.search(text or '')
            if not (LOCK_FILE_TIMEOUT.search(text or '') or held):
                raise
            remaining = lock_timeout - (time.monotonic() - start)
            if remaining <= 0:
                what = 'locked ({0})'.format(held.group(1)) if held else 'busy (its config lock is held by a task)'
                raise PveError('{0} is {1} and was still so after {2}s (lock_timeout): {3}'.format(
                    guest.label, what, lock_timeout, text))
            module.plan.pop()  # the retried step is planned once
            if held:
                wait_unlocked(module, guest, held.group(1), remaining, lock_timeout=lock_timeout)
            else:
                time.sleep(min(next(delays), remaining))


def settled_status(module, guest, wanted):
    """settle() for a power request whose answer was lost: done once the guest is `wanted`."""
    def settle():
        read_status(module.client, guest)
        return guest.status == wanted
    return settle


def settled_template(module, guest):
    """settle() for a template conversion whose answer was lost."""
    def settle():
        status = read_status(module.client, guest)
        return bool(int(status.get('template') or 0))
    return settle


def settled_created(module, kind, vmid, name, timeout):
    """settle() for a create or clone whose answer was lost: done if a guest with this VMID and our name
    exists once its create task has ended (PVE removes a guest whose create failed); not done if there is
    none, so the request can be sent again with the same VMID - PVE itself then refuses a second guest."""
    def settle():
        found = [g for g in list_guests(module.client) if int(g['vmid']) == int(vmid)]
        if not found or found[0]['type'] != kind.api or found[0].get('name') != name:
            return False
        guest = Guest.from_resource(found[0])

        def task_ended():
            read_status(module.client, guest, missing_ok=True)
            return not guest.lock
        wait_until(task_ended, timeout, 'the create task of {0} did not end'.format(guest.label))
        return guest.status != 'absent'
    return settle


def settled_gone(module, guest, timeout):
    """settle() for a destroy whose answer was lost: done once the guest is gone (waiting while its destroy
    task still holds it)."""
    def settle():
        status = read_status(module.client, guest, missing_ok=True)
        if status is None:
            return True
        if status.get('lock') == 'destroyed':
            wait_gone(module, guest, timeout)
            return True
        return False
    return settle


# ---------------------------------------------------------------------- power

def wait_status(module, guest, wanted, timeout):
    """After a power task: wait until the guest reports the wanted status (HA-managed guests lag behind)."""
    if module.check_mode:
        guest.status = wanted
        return

    def reached():
        read_status(module.client, guest)
        return guest.status == wanted
    wait_until(reached, timeout, '{0} did not become {1}'.format(guest.label, wanted))


def start(module, guest, timeout=300, lock_timeout=60, action=None):
    write_guest(module, guest, 'POST', guest.path + '/status/start', action=action or 'start {0}'.format(guest.label),
                lock_timeout=lock_timeout, task_timeout=timeout, settle=settled_status(module, guest, 'running'))
    wait_status(module, guest, 'running', timeout)


def stop(module, guest, timeout=300, lock_timeout=60, overrule_shutdown=False):
    data = {'overrule-shutdown': 1} if overrule_shutdown else None
    write_guest(module, guest, 'POST', guest.path + '/status/stop', data, action='stop {0} (forced)'.format(
        guest.label), lock_timeout=lock_timeout, task_timeout=timeout, settle=settled_status(module, guest, 'stopped'))
    wait_status(module, guest, 'stopped', timeout)


def shutdown(module, guest, timeout, force_stop=True, lock_timeout=60):
    """Graceful shutdown within timeout seconds, then (force_stop) a forced stop that overrules it.

    Returns 'graceful' or 'forced'. Raises if the guest did not stop and force_stop is off.
    """
    try:
        write_guest(module, guest, 'POST', guest.path + '/status/shutdown', {'timeout': int(timeout)},
                    action='shut down {0} (up to {1}s)'.format(guest.label, int(timeout)), lock_timeout=lock_timeout,
                    task_timeout=timeout + 60, settle=settled_status(module, guest, 'stopped'))
    except (PveTaskError, PveTimeoutError) as exc:
        if module.check_mode:
            raise
        read_status(module.client, guest)
        if guest.status == 'stopped':
            return 'graceful'
        if not force_stop:
            raise PveError('{0} did not shut down within {1}s (shutdown_timeout) and force_stop is false: {2}'.format(
                guest.label, int(timeout), getattr(exc, 'exitstatus', None) or exc))
        stop(module, guest, lock_timeout=lock_timeout, overrule_shutdown=True)
        return 'forced'
    wait_status(module, guest, 'stopped', 60)
    return 'graceful'


def reboot(module, guest, timeout, lock_timeout=60):
    write_guest(module, guest, 'POST', guest.path + '/status/reboot', {'timeout': int(timeout)},
                action='reboot {0}'.format(guest.label), lock_timeout=lock_timeout, task_timeout=timeout + 60)
    wait_status(module, guest, 'running', timeout)


def wait_for_agent(module, guest, timeout):
    """Until the QEMU guest agent answers a ping (a read-only request, sent as POST by PVE's API)."""
    if module.check_mode:
        return

    def answers():
        try:
            module.client.request('POST', guest.path + '/agent/ping', idempotent=True)  # a ping changes nothing
            return True
        except PveApiError as exc:
            if exc.status in (500, 596) or 'agent' in (exc.message or ''):
                return False
            raise
    wait_until(answers, timeout, 'the guest agent of {0} did not answer'.format(guest.label))


# ---------------------------------------------------------------------- destroy

def is_protected(config):
    return str(config.get('protection', '0')) in ('1', 'true')


def destroy(module, guest, config, shutdown_timeout, force_stop=True, lock_timeout=60, purge=True):
    """Safe destroy: refuse a protected guest before any write; shut a running one down gracefully, then
    (force_stop) stop it; delete it with its disks (and, with purge, its job and HA entries); wait until it
    is gone. Returns how it was stopped: None (was not running), 'graceful' or 'forced'."""
    if is_protected(config):
        raise PveError('{0} is protected (protection: 1); nothing was changed. Set protection to false first if '
                       'it really is to be destroyed.'.format(guest.label))
    how = None
    if guest.status == 'running':
        how = shutdown(module, guest, shutdown_timeout, force_stop=force_stop, lock_timeout=lock_timeout)
    params = {'purge': 1, 'destroy-unreferenced-disks': 1} if purge else None
    write_guest(module, guest, 'DELETE', guest.path, params, action='destroy {0}'.format(guest.label),
                lock_timeout=lock_timeout, task_timeout=600, settle=settled_gone(module, guest, 600))
    if not module.check_mode:
        wait_gone(module, guest, 60)
    guest.status = 'absent'
    return how


def wait_gone(module, guest, timeout):
    def gone():
        return read_status(module.client, guest, missing_ok=True) is None
    wait_until(gone, timeout, '{0} still exists after its destroy task ended'.format(guest.label))
