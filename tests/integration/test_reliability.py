"""The fault matrix: what real clusters do to a play, injected by the lab, and what the collection makes of it.

Each test is one row of docs/reliability.md: the fault, what the user sees, and the proof that nothing was
lost (assertions on the lab's state and its request log)."""

import json
import sys
import threading
from collections import Counter

import pytest

from test_vm import GOLDEN, add_vm, vm_task

CT_TEMPLATE = 'local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst'


def ct_task(task='ct', **args):
    return {'name': task, 'iac.proxmox.pve_lxc': args}


def named(lab, name):
    return [g for g in list(lab.pve.vms) + list(lab.pve.cts) if g.name == name]


def log_times(path):
    with open(path) as fh:
        return [json.loads(line) for line in fh if line.strip()]


# ---------------------------------------------------------------------- 1. the guest ignores ACPI

@pytest.mark.lab(time_scale=0.01)
def test_acpi_ignored_stopped_and_absent_fall_back_to_a_forced_stop(lab, play, tmp_path):
    lab.pve.request_log_path = str(tmp_path / 'requests.jsonl')
    for vmid, name in ((240, 'deaf-1'), (241, 'deaf-2')):
        add_vm(lab, vmid, name, status='running').acpi = False
    run = play([vm_task('stop', name='deaf-1', state='stopped', shutdown_timeout=30),
                vm_task('destroy', name='deaf-2', state='absent', shutdown_timeout=30)]).assert_ok()
    assert run.task('stop')['stopped'] == 'forced' and lab.pve.vm(240).status == 'stopped'
    assert run.task('destroy')['stopped'] == 'forced' and lab.pve.vm(241) is None
    # Bounded: the forced stop follows the shutdown_timeout (30 PVE s = 0.3 s here), not the task timeout.
    log = log_times(lab.pve.request_log_path)
    for vmid in (240, 241):
        shutdown = [r['t'] for r in log if r['path'].endswith('/qemu/{0}/status/shutdown'.format(vmid))]
        stop = [r['t'] for r in log if r['path'].endswith('/qemu/{0}/status/stop'.format(vmid))]
        assert len(shutdown) == 1 and len(stop) == 1 and 0.3 <= stop[0] - shutdown[0] < 2.5


# ---------------------------------------------------------------------- 3. a flaky network

@pytest.mark.lab(time_scale=0.01)
def test_flaky_network_every_play_converges_without_duplicates(lab, play):
    lab.pve.flaky_network(drop_rate=0.2, seed=20)
    vm = {'name': '{{ item }}', 'clone': GOLDEN, 'cores': 2, 'tags': ['flaky'], 'state': 'started'}
    ct = {'name': '{{ item }}', 'ostemplate': CT_TEMPLATE, 'node': 'pve1', 'state': 'started',
          'rootfs': {'storage': 'local-lvm', 'size': '4G'}}
    mapping = {'id': 'flaky-data', 'map': [{'node': 'pve1', 'path': '/srv/scratch'}]}
    tasks = [{'name': 'vms', 'iac.proxmox.pve_vm': vm, 'loop': ['flaky-1', 'flaky-2', 'flaky-3']},
             {'name': 'cts', 'iac.proxmox.pve_lxc': ct, 'loop': ['flaky-ct-1', 'flaky-ct-2']},
             {'name': 'mapping', 'iac.proxmox.pve_dir_mapping': mapping}]
    first = play(tasks).assert_ok()
    second = play(tasks).assert_ok()
    assert second.changed == 0 and second.writes == []
    for name in ('flaky-1', 'flaky-2', 'flaky-3', 'flaky-ct-1', 'flaky-ct-2'):
        [guest] = named(lab, name)  # exactly one each
        assert guest.status == 'running'
    # Requests the lab dropped were never processed; each guest was made by exactly one processed request.
    made = Counter(p.rsplit('/', 1)[-1] for m, p in first.write_calls if m == 'POST')
    assert made['clone'] == 3 and made['lxc'] == 2
    assert list(lab.pve.mappings['dir']) == ['flaky-data']
    assert first.write_calls.count(('POST', '/cluster/mapping/dir')) == 1


@pytest.mark.lab(time_scale=0.01)
def test_lost_answers_are_settled_by_reading_state_never_by_repeating_blindly(lab, play):
    # Each of these is processed by PVE, but its answer never reaches the module.
    for method, suffix in (('POST', '/qemu/9000/clone'), ('PUT', '/qemu/250/config'), ('POST', '/qemu/250/status/start'),
                           ('POST', '/lxc'), ('POST', '/cluster/mapping/dir')):
        lab.pve.lose_answers(method, suffix)
    run = play([vm_task(vmid=250, node='pve1', name='lost-1', clone=GOLDEN, cores=3, state='started'),
                ct_task(name='lost-ct', ostemplate=CT_TEMPLATE, node='pve1', rootfs={'storage': 'local-lvm',
                                                                                     'size': '4G'}),
                {'name': 'mapping', 'iac.proxmox.pve_dir_mapping': {
                    'id': 'lost-data', 'map': [{'node': 'pve1', 'path': '/srv/scratch'}]}}]).assert_ok()
    assert run.task('vm')['changed'] is True and run.task('vm')['status'] == 'running'
    [vm] = named(lab, 'lost-1')
    assert vm.vmid == 250 and vm.status == 'running' and str(vm.config['cores']) == '3'
    assert len(named(lab, 'lost-ct')) == 1
    calls = Counter(run.write_calls)
    # Not one of them was sent twice: re-reading showed each had happened.
    assert calls[('POST', '/nodes/pve1/qemu/9000/clone')] == 1
    assert calls[('PUT', '/nodes/pve1/qemu/250/config')] == 1
    assert calls[('POST', '/nodes/pve1/qemu/250/status/start')] == 1
    assert calls[('POST', '/nodes/pve1/lxc')] == 1
    assert calls[('POST', '/cluster/mapping/dir')] == 1
    again = play([vm_task(vmid=250, node='pve1', name='lost-1', clone=GOLDEN, cores=3, state='started')]).assert_ok()
    assert again.changed == 0 and again.writes == []


# ---------------------------------------------------------------------- 4. hanging requests

@pytest.mark.lab(time_scale=0.01)
def test_hanging_requests_time_out_and_the_play_still_converges(lab, play):
    lab.pve.flaky_network(hang_rate=0.1, hang_secs=200, seed=4)  # a hung request answers after 2 s, too late
    task = vm_task(name='slow-1', clone=GOLDEN, cores=2, state='started', api_timeout=1)
    play([task]).assert_ok()
    lab.pve.flaky_network()
    # A request the module gave up on is still answered (late) by the lab: let it finish before the rerun, or it
    # lands in the rerun's request log as if the rerun had sent it.
    lab.wait_idle()
    [vm] = named(lab, 'slow-1')
    assert vm.status == 'running'
    again = play([task]).assert_ok()
    assert again.changed == 0 and again.writes == []


@pytest.mark.lab(time_scale=0.01)
def test_a_server_that_never_answers_fails_the_task_clearly(lab, play):
    lab.pve.flaky_network(hang_rate=1.0, hang_secs=1000)
    run = play([vm_task(vmid=100, node='pve1', name='nobody', api_timeout=1)])
    msg = run.task('vm')['msg']
    assert 'no answer from https://127.0.0.1:' in msg and 'within 1s (api_timeout)' in msg and 'tried 8 times' in msg
    assert run.writes == []


# ---------------------------------------------------------------------- 5. the ticket expires mid-task

@pytest.mark.lab(time_scale=0.01)
def test_ticket_expiry_in_the_middle_of_a_task_logs_in_again(lab, play):
    lab.pve.ticket_ttl = 0.5  # real seconds
    lab.pve.task_secs['qmclone'] = 150  # 1.5 real seconds: the ticket expires while the module waits
    run = play([vm_task(name='relogin-1', clone=GOLDEN, state='started')], auth='password').assert_ok()
    assert len(named(lab, 'relogin-1')) == 1 and named(lab, 'relogin-1')[0].status == 'running'
    logins = [p for m, p in run.calls if p == '/access/ticket']
    assert len(logins) >= 2  # the first, and at least one after expiry; no failure in between


# ---------------------------------------------------------------------- 6. lost quorum

def test_lost_quorum_is_named_and_nothing_is_written(lab, play):
    add_vm(lab, 260, 'quorum-1')
    lab.pve.lose_quorum()
    run = play([vm_task(name='quorum-1', cores=4, state='started')])
    msg = run.task('vm')['msg']
    assert msg.startswith('the cluster has lost quorum, so PVE refuses every change until it is back (PVE: cluster '
                          'not ready - no quorum?). Nothing was changed.'), msg
    vm = lab.pve.vm(260)
    assert vm.config['cores'] == 2 and vm.status == 'stopped'
    # Reading still works: the plan is shown in check mode.
    check = play([vm_task(name='quorum-1', cores=4, state='started')], check=True).assert_ok()
    assert check.task('vm')['plan'] == ['set config of VM 260 (quorum-1): cores', 'start VM 260 (quorum-1)']


# ---------------------------------------------------------------------- 7. a node offline

def test_an_offline_node_fails_its_guests_clearly_and_the_others_converge(lab, play):
    add_vm(lab, 270, 'on-pve1')
    add_vm(lab, 271, 'on-pve2', node='pve2')
    add_vm(lab, 272, 'also-on-pve2', node='pve2')
    lab.pve.set_node_offline('pve2')
    fleet = {'vmid': '{{ item.vmid }}', 'node': '{{ item.node }}', 'cores': 3}
    run = play([{'name': 'fleet', 'iac.proxmox.pve_vm': fleet, 'ignore_errors': True,
                 'loop': [{'vmid': 270, 'node': 'pve1'}, {'vmid': 271, 'node': 'pve2'}]},
                dict(vm_task('by-name', name='also-on-pve2', cores=3), ignore_errors=True)])
    ok, offline = run.task('fleet')['results']
    assert ok['changed'] is True and str(lab.pve.vm(270).config['cores']) == '3'
    assert offline['failed'] and offline['msg'].startswith('node pve2 is offline or unreachable, so nothing on it can '
                                                           'be managed until it is back (PVE: No route to host')
    assert offline['msg'].endswith('Nothing was changed.')
    assert run.task('by-name')['msg'] == ('VM 272 is on node pve2, which is offline or unreachable, so it cannot be '
                                          'managed until the node is back; nothing was changed')
    assert [p for m, p in run.write_calls] == ['/nodes/pve1/qemu/270/config']


# ---------------------------------------------------------------------- 8. a task ends in TASK ERROR

def test_a_failed_task_shows_its_error_and_log_tail(lab, play):
    vm = add_vm(lab, 280, 'broken-1')
    vm.start_error = 'start failed: QEMU exited with code 1'
    run = play([vm_task(name='broken-1', state='started')])
    result = run.task('vm')
    assert result['failed'] and result['exitstatus'] == 'start failed: QEMU exited with code 1'
    assert 'task UPID:pve1:' in result['msg'] and 'task log (last' in result['msg']
    assert result['task_log'][-1] == 'TASK ERROR: start failed: QEMU exited with code 1'
    assert result['task_log'][-1] in result['msg']


# ---------------------------------------------------------------------- 9. storage full on clone

@pytest.mark.lab(time_scale=0.01)
def test_storage_full_on_clone_is_clear_and_leaves_nothing_behind(lab, play):
    lab.pve.storages['local-lvm']['avail'] = 1024 ** 3  # 1 GiB: the template's 8G disk does not fit
    run = play([vm_task(name='full-1', clone=GOLDEN, storage='local-lvm')])
    msg = run.task('vm')['msg']
    assert "clone failed: unable to write to storage 'local-lvm': No space left on device" in msg
    assert 'PVE removed what it had made: nothing was left behind with VMID' in msg
    assert named(lab, 'full-1') == []
    assert sum(1 for m, p in run.write_calls if p.endswith('/clone')) == 1


# ---------------------------------------------------------------------- 10. many forks at once

def test_twenty_forks_create_vms_and_containers_with_distinct_vmids(lab, play):
    hosts = ['fork-{0:02d}'.format(n) for n in range(1, 21)]
    inventory = '[guests]\n' + ''.join('{0} ansible_connection=local ansible_python_interpreter={1}\n'.format(
        h, sys.executable) for h in hosts)
    tasks = [
        {'name': 'vm', 'when': 'inventory_hostname[-1] in "02468"',
         'iac.proxmox.pve_vm': {'name': '{{ inventory_hostname }}', 'clone': GOLDEN}},
        {'name': 'ct', 'when': 'inventory_hostname[-1] in "13579"',
         'iac.proxmox.pve_lxc': {'name': '{{ inventory_hostname }}', 'ostemplate': CT_TEMPLATE, 'node': 'pve1',
                                 'rootfs': {'storage': 'local-lvm', 'size': '4G'}}},
    ]
    run = play(tasks, hosts='guests', inventory=inventory, args=('--forks', '20')).assert_ok()
    made = [g for g in list(lab.pve.vms) + list(lab.pve.cts) if g.name.startswith('fork-')]
    assert sorted(g.name for g in made) == hosts  # no duplicate names, none missing
    assert len(set(g.vmid for g in made)) == 20  # VMs and containers share the VMID space
    assert sum(1 for r in run.results if r['status'] == 'changed') == 20


# ---------------------------------------------------------------------- 11. two writers at once

def test_a_config_changed_between_read_and_write_is_read_again_not_overwritten(lab, play):
    add_vm(lab, 290, 'shared-1')
    # Another client changes memory just before this play's config write lands.
    lab.pve.before_next('PUT', '/qemu/290/config', lambda: lab.pve.vm(290).config.update(memory='4096'))
    run = play([vm_task(name='shared-1', cores=4, tags=['a'])]).assert_ok()
    config = lab.pve.vm(290).config
    assert str(config['cores']) == '4' and config['tags'] == 'a' and config['memory'] == '4096'
    puts = [body for m, p, body in run.writes if p.endswith('/qemu/290/config')]
    assert len(puts) == 2  # refused for the stale digest, then sent again with the new one
    assert run.task('vm')['changed'] is True


def test_two_plays_converging_one_guest_at_once_both_land(lab, play, tmp_path):
    add_vm(lab, 291, 'shared-2')
    specs = [dict(cores=6, tags=['x']), dict(memory=8192, description='both')]
    runs = [None, None]

    def converge(index):
        runs[index] = play([vm_task(name='shared-2', **specs[index])])
    threads = [threading.Thread(target=converge, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for run in runs:
        run.assert_ok()
    config = lab.pve.vm(291).config
    assert str(config['cores']) == '6' and config['tags'] == 'x'
    assert config['memory'] == '8192' and config['description'] == 'both'
