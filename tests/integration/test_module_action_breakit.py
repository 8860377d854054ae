"""Break-it pass on modules run in the task's worker process (plugins/plugin_utils/module_action.py): cases where
the worker and a module process (iac_proxmox_import_modules: false) must give the same results, output and side
effects."""

import json
import os
import subprocess
import sys

import certifi

from labtools import LOCALHOST, MODULE_PROCESS, WAYS, PlayRun, ansible_env, in_worker_line, run_modules, \
    shadow_proxmoxer

IN_WORKER = in_worker_line('pve_pool')


def ran_in_worker(run, way):
    return (IN_WORKER in run.stdout) is (way == WAYS[0])


def test_a_library_log_record_stays_out_of_the_ansible_log_as_with_a_module_process(lab, play, tmp_path):
    # With log_path set (ANSIBLE_LOG_PATH), ansible-core configures the root logger of the controller with a file
    # handler (logging.basicConfig, level INFO), and the workers inherit it. A module process has no handler, so
    # what requests/urllib3 log there (urllib3's "Retrying (...) after connection broken by ...: <url>" on a lost
    # connection) goes nowhere; a module run in the worker writes it into the user's Ansible log.
    lab.pve.flaky_network(drop_rate=0.3)
    task = {'name': 'pools', 'iac.proxmox.pve_pool': {'poolid': '{{ item }}-{{ way }}'}, 'loop': ['a', 'b', 'c', 'd']}
    logs = {}
    for index, way in enumerate(WAYS):
        log = tmp_path / 'ansible-{0}.log'.format(index)
        # The same connections dropped in both runs.
        lab.pve._random.seed(7)  # pylint: disable=protected-access
        run = run_modules(way, play)([task], vars={'way': index}, env={'ANSIBLE_LOG_PATH': str(log)},
                                     args=('-vvv',))
        run.assert_ok()
        assert ran_in_worker(run, way), run.output
        logs[way] = [line for line in log.read_text().splitlines() if ' n=ansible' not in line and '| ' in line]
    assert logs[WAYS[1]] == []
    assert logs[WAYS[0]] == logs[WAYS[1]], '\n'.join(logs[WAYS[0]])


def test_an_argument_that_cannot_be_serialized_fails_with_the_same_message_either_way(lab, play, tmp_path):
    # A value the module serialization profile cannot encode (bytes, from a filter plugin of the playbook): ansible-
    # core fails the task with "Failed to serialize arguments for the '<module>' module: ..."; the worker lets the
    # encoder's TypeError through, without naming the module.
    (tmp_path / 'filter_plugins').mkdir()
    (tmp_path / 'filter_plugins' / 'raw.py').write_text(
        'class FilterModule(object):\n'
        '    def filters(self):\n'
        '        return {"as_bytes": lambda value: str(value).encode()}\n')
    task = {'name': 'pool', 'iac.proxmox.pve_pool': {'poolid': 'p1', 'comment': "{{ 'x' | as_bytes }}"},
            'ignore_errors': True}
    messages = {}
    for way in WAYS:
        run = run_modules(way, play)([task])
        result = run.task('pool')
        assert result['failed'] is True and run.requests == [], run.output
        messages[way] = result['msg']
    assert messages[WAYS[1]].startswith("Task failed: Failed to serialize arguments for the 'iac.proxmox.pve_pool' "
                                        "module: Object of type 'bytes' is not JSON serializable")
    assert messages[WAYS[0]] == messages[WAYS[1]]


def ansible_playbook_with_flags(lab, tmp_path, tasks, flags, env, name, variables=None):
    """ansible-playbook started as `<its own Python> <flags> ansible-playbook ...` (as a distribution's shebang
    does, e.g. Fedora's `#!/usr/bin/python3 -sP`): ansible_playbook_python is still that Python's path."""
    script = os.path.join(os.path.dirname(sys.executable), 'ansible-playbook')
    with open(script) as handle:
        python = handle.readline()[2:].split()[0]
    play = {'name': name, 'hosts': 'localhost', 'gather_facts': False, 'tasks': tasks,
            'module_defaults': {'group/iac.proxmox.pve': lab.connection()}}
    if variables:
        play['vars'] = variables
    path = tmp_path / '{0}.yml'.format(name)
    path.write_text(json.dumps([play]))
    inventory = tmp_path / '{0}-inventory.ini'.format(name)
    inventory.write_text(LOCALHOST)
    results = tmp_path / '{0}-results.jsonl'.format(name)
    mark = lab.pve.mark()
    proc = subprocess.run([python] + list(flags) + [script, '-i', str(inventory), str(path), '-vvv'],
                          cwd=str(tmp_path), env=ansible_env(tmp_path, results, env), stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True, timeout=600, check=False)
    found = [json.loads(line) for line in results.read_text().splitlines() if line.strip()] if results.exists() else []
    return PlayRun(proc.returncode, proc.stdout, proc.stderr, found, lab.pve.api_requests(mark))


def test_ansible_playbooks_python_started_with_flags_runs_the_module_as_a_module_process_would(lab, tmp_path):
    # ansible-playbook's Python started with -E (or -s/-I: Fedora and RHEL package ansible-core with
    # `#!/usr/bin/python3 -sP`, so ~/.local's `pip install --user proxmoxer` is not on the controller's sys.path)
    # has the interpreter path the worker check compares, but not the sys.path a module process started on that
    # path gets: there PYTHONPATH (or the user site) counts. Here PYTHONPATH holds a proxmoxer that raises on
    # import: a module process fails on it, the worker (which ignores PYTHONPATH) does not, so the same play
    # converges in one way and fails in the other.
    shadow = shadow_proxmoxer(tmp_path, "raise RuntimeError('proxmoxer from PYTHONPATH')")
    task = {'name': 'pool', 'iac.proxmox.pve_pool': {'poolid': 'flags'}, 'ignore_errors': True}
    module = ansible_playbook_with_flags(lab, tmp_path, [task], ['-E'], {'PYTHONPATH': shadow}, 'module',
                                         variables=MODULE_PROCESS)
    assert module.task('pool')['msg'] == 'Task failed: Module failed: proxmoxer from PYTHONPATH', module.output
    assert module.requests == []
    worker = ansible_playbook_with_flags(lab, tmp_path, [task], ['-E'], {'PYTHONPATH': shadow}, 'worker')
    assert worker.task('pool').get('msg') == module.task('pool')['msg'], worker.output
    assert worker.requests == []


def test_a_delegated_fleet_runs_in_the_worker_with_the_same_results_and_requests(lab, play):
    # The roles' pattern: a play over inventory hosts that are reached over SSH with their own Python, each task
    # delegated to localhost, with forks, run_once and throttle. The module runs in the worker because the
    # delegated host (localhost) has the local connection and ansible-playbook's Python.
    hosts = ''.join('g{0} ansible_host=192.0.2.{0} ansible_python_interpreter=/usr/bin/python3\n'.format(n)
                    for n in range(1, 5))
    inventory = LOCALHOST + '[guests]\n' + hosts
    tasks = [{'name': 'pool', 'iac.proxmox.pve_pool': {'poolid': '{{ inventory_hostname }}-{{ way }}'},
              'delegate_to': 'localhost'},
             {'name': 'once', 'iac.proxmox.pve_pool': {'poolid': 'once-{{ way }}', 'comment': 'one'},
              'delegate_to': 'localhost', 'run_once': True},
             {'name': 'throttled', 'delegate_to': 'localhost', 'throttle': 1,
              'iac.proxmox.pve_pool': {'poolid': '{{ inventory_hostname }}-{{ way }}', 'comment': 'c'}},
             {'name': 'again', 'delegate_to': 'localhost', 'check_mode': True, 'diff': True,
              'iac.proxmox.pve_pool': {'poolid': '{{ inventory_hostname }}-{{ way }}', 'comment': 'c'}}]
    seen = {}
    for index, way in enumerate(WAYS):
        run = run_modules(way, play)(tasks, vars={'way': index}, args=('-vvv', '-f', '4'), hosts='guests',
                                     inventory=inventory)
        run.assert_ok()
        assert run.stdout.count(IN_WORKER) == (13 if way == WAYS[0] else 0), run.output
        statuses = sorted((r['task'], r['host'], r['status']) for r in run.results)
        diffs = sorted(json.dumps(r['result'].get('diff'), sort_keys=True).replace('-{0}"'.format(index), '-W"')
                       for r in run.results if r['task'] == 'again')
        seen[way] = (statuses, diffs, sorted(run.calls), len(run.writes))
    assert seen[WAYS[0]] == seen[WAYS[1]]
    assert seen[WAYS[0]][3] == 4 + 1 + 4


def test_a_loop_items_environment_and_secrets_stay_with_that_item(lab, play):
    # Per-item `environment` (REQUESTS_CA_BUNDLE, HTTPS_PROXY): each item sees its own, the next item and task
    # none of it, in the worker as in a module process. -vvv shows no token secret (a module process's EXEC line
    # would show a secret put in `environment:`, so none is here).
    conn = dict(lab.connection())
    ca_path = conn.pop('ca_path')
    items = [{'p': 'a', 'env': {'REQUESTS_CA_BUNDLE': ca_path}},
             {'p': 'b', 'env': {'REQUESTS_CA_BUNDLE': certifi.where()}},
             {'p': 'c', 'env': {'REQUESTS_CA_BUNDLE': ca_path, 'HTTPS_PROXY': 'http://127.0.0.1:9',
                                'https_proxy': 'http://127.0.0.1:9', 'NO_PROXY': '', 'no_proxy': ''}},
             {'p': 'd', 'env': {'REQUESTS_CA_BUNDLE': ca_path}}]
    tasks = [{'name': 'pools', 'iac.proxmox.pve_pool': dict(conn, poolid='{{ item.p }}{{ way }}'), 'loop': items,
              'environment': '{{ item.env }}', 'ignore_errors': True},
             {'name': 'after', 'iac.proxmox.pve_pool': dict(conn, poolid='z{{ way }}'), 'ignore_errors': True}]
    outcomes = {}
    for index, way in enumerate(WAYS):
        run = run_modules(way, play)(tasks, vars={'way': index}, auth=None, args=('-vvv',),
                                     env={'REQUESTS_CA_BUNDLE': certifi.where()})
        assert ran_in_worker(run, way), run.output
        assert conn['api_token_secret'] not in run.stdout + run.stderr
        results = run.task('pools')['results'] + [run.task('after')]
        outcomes[way] = [(r['changed'], bool(r.get('failed')), r.get('msg', '')[:40]) for r in results]
        assert [path for _method, path in run.write_calls] == ['/pools', '/pools'], run.output
    assert outcomes[WAYS[0]] == outcomes[WAYS[1]]
    assert [failed for _changed, failed, _msg in outcomes[WAYS[0]]] == [False, True, True, False, True]
