"""What a fleet pays in round trips: the request budgets behind the benchmark (make bench measures the time;
these pin the requests, so a change that adds a round trip per guest fails here)."""

import os
import stat
import sys
from collections import Counter

from labtools import MODULE_PROCESS

GOLDEN = 'debian-12-golden'
FLEET = [{'vmid': 400 + n, 'name': 'fleet-{0}'.format(n)} for n in range(4)]


def fleet_task(by='vmid', **extra):
    args = {'name': '{{ item.name }}', 'clone': GOLDEN, 'cores': 2, 'memory': 2048, 'tags': ['fleet'],
            'state': 'started'}
    if by == 'vmid':
        args.update(vmid='{{ item.vmid }}', node='pve1')
    args.update(extra)
    return {'name': 'fleet', 'iac.proxmox.pve_vm': args, 'loop': FLEET}


def per_guest(run, vmid):
    return [(m, p) for m, p in run.calls if '/qemu/{0}/'.format(vmid) in p or p.endswith('/qemu/{0}'.format(vmid))]


def test_unchanged_rerun_by_vmid_and_node_reads_status_and_pending_only(lab, play):
    first = play([fleet_task()]).assert_ok()
    assert [item['changed'] for item in first.task('fleet')['results']] == [True] * len(FLEET)
    second = play([fleet_task()]).assert_ok()
    assert second.changed == 0 and second.writes == []
    # The budget is 3 requests per guest; it takes 2, sent at once: no listing, no login, no version call.
    assert len(second.requests) <= 3 * len(FLEET)
    expected = []
    for guest in FLEET:
        expected += [('GET', '/nodes/pve1/qemu/{0}/status/current'.format(guest['vmid'])),
                     ('GET', '/nodes/pve1/qemu/{0}/pending'.format(guest['vmid']))]
    assert sorted(second.calls) == sorted(expected)


def test_unchanged_rerun_by_name_reads_the_listing_and_pending(lab, play):
    play([fleet_task(by='name')]).assert_ok()
    second = play([fleet_task(by='name')]).assert_ok()
    assert second.changed == 0 and second.writes == []
    calls = Counter(path for _method, path in second.calls)
    assert len(second.requests) <= 3 * len(FLEET)
    assert calls['/cluster/resources'] == len(FLEET)
    assert sum(n for path, n in calls.items() if path.endswith('/pending')) == len(FLEET)


def test_password_auth_logs_in_once_per_guest_and_stays_in_budget(lab, play):
    play([fleet_task()]).assert_ok()
    second = play([fleet_task()], auth='password').assert_ok()
    assert second.changed == 0 and second.writes == []
    assert Counter(p for _m, p in second.calls)['/access/ticket'] == len(FLEET)
    assert len(second.requests) <= 3 * len(FLEET)


def test_converge_reads_each_thing_once_and_writes_the_config_once(lab, play):
    run = play([fleet_task()]).assert_ok()
    for guest in FLEET:
        mine = per_guest(run, guest['vmid'])
        writes = [(m, p) for m, p in mine if m != 'GET']
        assert writes == [('PUT', '/nodes/pve1/qemu/{0}/config'.format(guest['vmid'])),
                          ('POST', '/nodes/pve1/qemu/{0}/status/start'.format(guest['vmid']))], mine
        assert mine.count(('GET', '/nodes/pve1/qemu/{0}/config'.format(guest['vmid']))) == 1  # the clone's result
    calls = Counter(run.calls)
    # One cluster listing per new guest (the name must be free), the template's config once per guest, one
    # clone each, no version calls and no repeated node listings.
    assert calls[('GET', '/cluster/resources')] == len(FLEET)
    assert calls[('GET', '/nodes/pve1/qemu/9000/config')] == len(FLEET)
    assert calls[('POST', '/nodes/pve1/qemu/9000/clone')] == len(FLEET)
    assert calls[('GET', '/nodes')] <= len(FLEET) and calls[('GET', '/version')] == 0


def test_module_utils_compiled_once_then_loaded_from_the_cache(lab, play, tmp_path):
    """The AnsiballZ zip carries module_utils as source; _bytecode keeps their compiled code (one file per
    module, mode 0600 in a 0700 directory) and a rerun loads it without writing any file again. The cache serves
    module processes (a module run in the worker imports the installed files)."""
    cache = tmp_path / 'bytecode'
    env = {'IAC_PROXMOX_BYTECODE_CACHE': str(cache)}
    play([fleet_task()], env=env, vars=MODULE_PROCESS).assert_ok()
    tagged = [cache / entry for entry in os.listdir(str(cache))]
    assert len(tagged) == 1 and stat.S_IMODE(os.stat(str(tagged[0])).st_mode) == 0o700
    files = {name: os.stat(str(tagged[0] / name)) for name in os.listdir(str(tagged[0]))}
    modules = {name.rsplit('-', 1)[0] for name in files}
    assert {'_vm', '_guestrun', '_client', '_module', '_vmspec', '_diff'} <= modules
    assert all(stat.S_IMODE(info.st_mode) == 0o600 for info in files.values())
    second = play([fleet_task()], env=env, vars=MODULE_PROCESS).assert_ok()
    assert second.changed == 0 and second.writes == []
    after = {name: os.stat(str(tagged[0] / name)) for name in os.listdir(str(tagged[0]))}
    assert {name: info.st_mtime_ns for name, info in after.items()} == \
        {name: info.st_mtime_ns for name, info in files.items()}


def test_unusable_cache_directory_leaves_modules_working(lab, play, tmp_path):
    """A cache directory others may write to is not used: the module compiles as before and still works."""
    cache = tmp_path / 'shared'
    tagged = cache / sys.implementation.cache_tag
    tagged.mkdir(parents=True)
    os.chmod(str(tagged), 0o777)
    run = play([fleet_task()], env={'IAC_PROXMOX_BYTECODE_CACHE': str(cache)}, vars=MODULE_PROCESS,
               args=('-vvv',)).assert_ok()
    assert 'AnsiballZ_pve_vm.py' in run.stdout and os.listdir(str(tagged)) == []
