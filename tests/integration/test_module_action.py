"""Where a module runs (plugins/plugin_utils/module_action.py): in the task's worker process when the connection is
local and the interpreter is ansible-playbook's own Python, else as Ansible runs any module (AnsiballZ, a new
process). Both ways give the same results and send the same requests."""

import difflib
import json
import os
import re
import sys

import pytest

from labtools import MODULE_PROCESS, WAYS, in_worker_line, run_modules, shadow_proxmoxer

GOLDEN = 'debian-12-golden'
FLEET = [{'vmid': 420 + n, 'name': 'where-{0}'.format(n)} for n in range(3)]
IN_WORKER = in_worker_line('pve_vm')
ANSIBALLZ = 'AnsiballZ_pve_vm.py'


def fleet_task(**extra):
    args = {'vmid': '{{ item.vmid }}', 'name': '{{ item.name }}', 'node': 'pve1', 'clone': GOLDEN, 'cores': 2,
            'memory': 2048, 'tags': ['where'], 'state': 'started'}
    args.update(extra)
    return {'name': 'fleet', 'iac.proxmox.pve_vm': args, 'loop': FLEET}


def comparable(result, way):
    """A task result as JSON text, with the guests' IDs and names made the same for both ways (420-422 and
    where-N-worker, 430-432 and where-N-module) and without the loop's own keys."""
    items = [dict((key, value) for key, value in item.items() if key not in ('item', 'invocation'))
             for item in result['results']]
    text = json.dumps(items, sort_keys=True, indent=1).replace('-' + way, '-way')
    text = re.sub(r'\b4[23]([0-2])\b', r'4N\1', text)
    # PVE gives each clone its own MAC addresses and VM generation ID.
    text = re.sub(r'\b[0-9A-F]{2}(:[0-9A-F]{2}){5}\b', 'MAC', text)
    return re.sub(r'\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b', 'UUID', text)


def test_a_local_task_with_ansible_playbooks_python_runs_in_the_worker(lab, play):
    converge = play([fleet_task()], args=('-vvv',)).assert_ok()
    assert converge.changed == 1 and converge.stdout.count(IN_WORKER) == len(FLEET), converge.output
    assert ANSIBALLZ not in converge.stdout
    rerun = play([fleet_task()], args=('-vvv',)).assert_ok()
    assert rerun.changed == 0 and rerun.writes == [] and rerun.stdout.count(IN_WORKER) == len(FLEET)
    assert len(rerun.requests) == 2 * len(FLEET)


def test_both_ways_give_the_same_results_and_send_the_same_requests(lab, play):
    # Check mode with diff on a fleet that does not exist yet, then the converge, then a change of two
    # settings in check and diff mode, then the unchanged rerun: each run once in the worker, once as a module.
    runs = {}
    for way, variables in (('worker', None), ('module', MODULE_PROCESS)):
        task = fleet_task(vmid='{{ item.vmid + (0 if way == "worker" else 10) }}', name='{{ item.name }}-' + way)
        plan = play([task], check=True, diff=True, vars=dict(variables or {}, way=way), args=('-vvv',))
        made = play([task], vars=dict(variables or {}, way=way)).assert_ok()
        changed_task = dict(task)
        changed_task['iac.proxmox.pve_vm'] = dict(task['iac.proxmox.pve_vm'], cores=4, memory=4096)
        change = play([changed_task], check=True, diff=True, vars=dict(variables or {}, way=way))
        again = play([task], vars=dict(variables or {}, way=way)).assert_ok()
        runs[way] = (plan.assert_ok(), made, change.assert_ok(), again)
    worker, module = runs['worker'], runs['module']
    assert IN_WORKER in worker[0].stdout and ANSIBALLZ not in worker[0].stdout
    assert IN_WORKER not in module[0].stdout and ANSIBALLZ in module[0].stdout, module[0].output
    for ours, theirs in zip(worker, module):
        assert ours.changed == theirs.changed
        assert len(ours.requests) == len(theirs.requests) and len(ours.writes) == len(theirs.writes)
        mine, other = comparable(ours.task('fleet'), 'worker'), comparable(theirs.task('fleet'), 'module')
        assert mine == other, '\n'.join(difflib.unified_diff(mine.splitlines(), other.splitlines(), lineterm=''))
    assert [item['changed'] for item in worker[0].task('fleet')['results']] == [True] * len(FLEET)
    assert worker[0].writes == [] and worker[2].writes == [] and len(worker[1].writes) >= len(FLEET)
    assert 'cores' in str(worker[2].task('fleet')['results'][0]['diff'])
    assert worker[3].changed == 0 and worker[3].writes == []


def test_another_interpreter_runs_the_module_in_that_python(lab, play, tmp_path):
    # The venv's Python linked from outside the venv: the same interpreter without the venv's packages, as
    # another virtualenv would be. The module runs there, so it finds no proxmoxer, as it should.
    other = tmp_path / 'python3'
    os.symlink(os.path.realpath(sys.executable), str(other))
    inventory = 'localhost ansible_connection=local ansible_python_interpreter={0}\n'.format(other)
    run = play([fleet_task()], args=('-vvv',), inventory=inventory)
    result = run.task('fleet')['results'][0]
    assert result['msg'].startswith('Failed to import the required Python library (proxmoxer)'), run.output
    assert str(other) in result['msg'] and IN_WORKER not in run.stdout and ANSIBALLZ in run.stdout
    assert run.requests == []


def test_the_tasks_environment_applies_to_its_run_only(lab, play):
    # The connection comes from PROXMOX_* variables set by the task's `environment`; the next task, without them,
    # must not see them (the worker's environment is restored after each run).
    conn = lab.connection()
    environment = {'PROXMOX_HOST': conn['api_host'], 'PROXMOX_PORT': str(conn['api_port']),
                   'PROXMOX_USER': conn['api_user'], 'PROXMOX_TOKEN_ID': conn['api_token_id'],
                   'PROXMOX_TOKEN_SECRET': conn['api_token_secret'], 'PROXMOX_CA_PATH': conn['ca_path']}
    with_env = {'name': 'with', 'iac.proxmox.pve_pool': {'poolid': 'env-pool'}, 'environment': environment}
    without = {'name': 'without', 'iac.proxmox.pve_pool': {'poolid': 'env-pool-2'}, 'ignore_errors': True}
    run = play([with_env, without], auth=None, args=('-vvv',))
    assert run.status('with') == 'changed', run.output
    assert run.task('without')['failed'] is True and 'api_host' in run.task('without')['msg']
    assert 'iac.proxmox: running iac.proxmox.pve_pool in the worker process' in run.stdout
    assert [path for _method, path in run.write_calls] == ['/pools']


@pytest.mark.parametrize('import_modules', [True, False])
def test_warnings_and_failures_of_one_loop_item_stay_with_it(lab, play, import_modules):
    # Three loop items in one worker: the first warns, the second fails validation, the third neither. A warning
    # or failure left in the worker would show again for the later items.
    conn = lab.connection()
    items = [{'poolid': 'warned', 'validate_certs': False}, {'poolid': 'bad pool id', 'validate_certs': True},
             {'poolid': 'quiet', 'validate_certs': True}]
    task = {'name': 'pools', 'iac.proxmox.pve_pool': dict(conn, poolid='{{ item.poolid }}',
                                                          validate_certs='{{ item.validate_certs }}'),
            'loop': items, 'ignore_errors': True}
    run = play([task], auth=None, vars={'iac_proxmox_import_modules': import_modules})
    warned, bad, quiet = run.task('pools')['results']
    assert warned['changed'] is True and quiet['changed'] is True and 'msg' not in quiet
    assert bad['failed'] is True and bad['msg'].startswith("poolid: 'bad pool id' is invalid")
    text = ' '.join((run.stdout + run.stderr).split())
    assert text.count('validate_certs is false') == 1, run.output
    assert [path for _method, path in run.write_calls] == ['/pools', '/pools']


def test_iac_proxmox_import_modules_must_be_a_boolean(lab, play):
    run = play([fleet_task()], vars={'iac_proxmox_import_modules': 'sometimes'})
    result = run.task('fleet')
    assert result['failed'] is True and run.requests == []
    assert 'iac_proxmox_import_modules must be a boolean' in str(result), result


def test_a_module_that_raises_fails_the_same_way_in_the_worker_and_as_a_module_process(lab, play, tmp_path):
    # A proxmoxer that raises on import (not ImportError: a broken installation): no result of the module's own,
    # so what the user sees is the AnsiballZ wrapper's report of the exception, whichever way the module ran.
    shadow = shadow_proxmoxer(tmp_path, "raise RuntimeError('proxmoxer is broken here')")
    results = {}
    for way in WAYS:
        run = run_modules(way, play)([{'name': 'pool', 'iac.proxmox.pve_pool': {'poolid': 'p1'}}],
                                     env={'PYTHONPATH': shadow}, args=('-vvv',))
        assert (in_worker_line('pve_pool') in run.stdout) is (way == WAYS[0]), run.output
        result = dict(run.task('pool'))
        assert result['failed'] is True and result['msg'] == 'Task failed: Module failed: proxmoxer is broken here', result
        assert run.requests == [] and 'module_stderr' not in result
        results[way] = sorted((key, value) for key, value in result.items() if key != 'exception')
    assert results[WAYS[0]] == results[WAYS[1]]


def test_a_task_environment_for_a_new_interpreter_runs_the_module_as_a_module_process(lab, play, tmp_path):
    # PYTHONPATH in the task's environment only means something to a Python that starts: the module runs in one.
    shadow = shadow_proxmoxer(tmp_path, "raise RuntimeError('proxmoxer from PYTHONPATH')")
    task = {'name': 'pool', 'iac.proxmox.pve_pool': {'poolid': 'p1'}, 'environment': {'PYTHONPATH': shadow}}
    run = play([task], args=('-vvv',))
    assert run.task('pool')['msg'] == 'Task failed: Module failed: proxmoxer from PYTHONPATH', run.output
    assert 'AnsiballZ_pve_pool.py' in run.stdout and 'in the worker process' not in run.stdout
