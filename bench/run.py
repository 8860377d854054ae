"""make bench: the same desired fleet through iac.proxmox and through community.proxmox, against the lab.

For each fleet size: a fresh lab (fixed per-request latency, task durations on a time scale) per flavour;
each flavour runs twice (converge, then an unchanged rerun); the floor is the same loop of
ansible.builtin.ping tasks, and the requests floor the same loop of bench/library/two_gets.py (AnsibleModule,
requests and the two GETs pve_vm sends per guest on an unchanged rerun, nothing else): the least any
requests-based module can take. Recorded per run: wall seconds, API requests and write requests (from the lab's
request log), items reported changed, guests present and duplicate names (read from the lab afterwards), and
how long after a task ended its end was noticed. Results go to bench/results/ as JSON, a markdown table and
a PNG bar chart.

    python bench/run.py [--sizes 8 32] [--latency-ms 20] [--time-scale 0.01] [--repeat 9] [--real-sizes 8]

Converge runs happen once (they need a fresh lab); unchanged reruns run --repeat times and the median wall time
counts, with the spread shown: a 2-core machine is noisy. The floor runs in iac.proxmox's lab session, each floor
run right after one of its reruns, and the rerun's ratio to the floor is the median of those pairs' ratios: the
machine's speed drifts by 10-15 % over the minutes a benchmark takes, and a pair shares the same moment. Nine
pairs by default: one run's pairs have spread from 1.32 to 1.98, and with five the median moved by up to 0.15
between two runs of the same code.

The benchmark's host is localhost with the local connection and ansible-playbook's own Python, so iac.proxmox's
modules run in the task's worker process (plugins/plugin_utils/module_action.py), while ping and the requests
floor start a module process per guest. Each pair therefore also runs our rerun with
`iac_proxmox_import_modules: false` ("module rerun"): a module process per guest, as on a remote or `become` host
or another interpreter, against the same floor.

The fast lab runs PVE's task durations at 1/100 of real time, which flatters a faster poller: community.proxmox
polls a task once a second. So the fleets of --real-sizes run a second time at time scale 1 (PVE's real task
durations), and both are reported side by side.
"""

import argparse
import json
import os
import platform
import signal
import subprocess
import sys
import time

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORK = os.path.join(ROOT, 'build', 'bench')
RESULTS = os.path.join(ROOT, 'bench', 'results')
BIN = os.path.dirname(sys.executable)
GOLDEN = 'debian-12-golden'
# PVE seconds the lab's tasks take (on top of fakepve's own): a clone is the slow one.
TASK_SECS = 'qmclone=20,qmstart=3,qmconfig=1,qmshutdown=5'


def start_lab(state, latency_ms, time_scale):
    proc = subprocess.Popen([sys.executable, os.path.join(ROOT, 'tests', 'lab', 'serve.py'), '--state-dir', state,
                             '--time-scale', str(time_scale), '--latency-ms', str(latency_ms),
                             '--task-secs', TASK_SECS], stdout=subprocess.PIPE, universal_newlines=True)
    if not proc.stdout.readline().startswith('pvelab ready'):
        proc.kill()
        sys.exit('bench: the lab did not start')
    with open(os.path.join(state, 'connection.json')) as fh:
        return proc, json.load(fh)


def stop_lab(proc):
    proc.send_signal(signal.SIGTERM)
    proc.wait(30)


def read_jsonl(path):
    if not os.path.exists(path):
        return []
    with open(path) as fh:
        return [json.loads(line) for line in fh if line.strip()]


def fleet(size):
    return [{'vmid': 200 + n, 'name': 'bench-{0:03d}'.format(n)} for n in range(size)]


def playbook(flavour, size, conn):
    items = fleet(size)
    play_vars = {}
    if flavour in ('iac.proxmox', 'iac.proxmox as modules'):
        defaults = {'group/iac.proxmox.pve': conn}
        if flavour == 'iac.proxmox as modules':  # a new module process per guest, as without the local shortcut
            play_vars['iac_proxmox_import_modules'] = False
        tasks = [{'name': 'Fleet VMs', 'iac.proxmox.pve_vm': {
            'vmid': '{{ item.vmid }}', 'name': '{{ item.name }}', 'node': 'pve1', 'clone': GOLDEN,
            'cores': 2, 'memory': 2048, 'tags': ['bench', 'fleet'], 'state': 'started'}, 'loop': items}]
    elif flavour == 'community.proxmox':
        # The equivalent work: clone with an explicit newid (so a rerun does not clone again), an update task
        # for cores/memory/tags, a start task. TLS stays verified: the lab CA comes from REQUESTS_CA_BUNDLE.
        common = {'api_host': conn['api_host'], 'api_port': conn['api_port'], 'api_user': conn['api_user'],
                  'api_token_id': conn['api_token_id'], 'api_token_secret': conn['api_token_secret'],
                  'validate_certs': True}
        defaults = {'community.proxmox.proxmox_kvm': common}
        tasks = [
            {'name': 'Clone', 'community.proxmox.proxmox_kvm': {
                'clone': GOLDEN, 'vmid': 9000, 'newid': '{{ item.vmid }}', 'name': '{{ item.name }}', 'node': 'pve1',
                'full': True, 'timeout': 300}, 'loop': items},
            {'name': 'Update', 'community.proxmox.proxmox_kvm': {
                'vmid': '{{ item.vmid }}', 'node': 'pve1', 'cores': 2, 'memory': 2048, 'tags': ['bench', 'fleet'],
                'update': True}, 'loop': items},
            {'name': 'Start', 'community.proxmox.proxmox_kvm': {
                'vmid': '{{ item.vmid }}', 'node': 'pve1', 'state': 'started'}, 'loop': items},
        ]
    elif flavour == 'requests floor':  # the same loop: AnsibleModule, requests and pve_vm's two GETs, nothing else
        defaults = {}
        args = dict((key, conn[key]) for key in ('api_host', 'api_port', 'api_user', 'api_token_id', 'api_token_secret',
                                                 'ca_path'))
        args.update(vmid='{{ item.vmid }}', node='pve1')
        tasks = [{'name': 'Two GETs', 'two_gets': args, 'loop': items}]
    else:  # the floor: the same loop, doing nothing but a module round trip
        defaults = {}
        tasks = [{'name': 'Ping', 'ansible.builtin.ping': None, 'loop': items}]
    play = {'name': flavour, 'hosts': 'localhost', 'gather_facts': False, 'module_defaults': defaults, 'tasks': tasks}
    if play_vars:
        play['vars'] = play_vars
    return [play]


def run_playbook(path, env):
    results = path + '.results.jsonl'
    if os.path.exists(results):
        os.remove(results)
    env = dict(env, IAC_RESULTS_FILE=results)
    inventory = os.path.join(WORK, 'inventory.ini')
    start = time.monotonic()
    proc = subprocess.run([os.path.join(BIN, 'ansible-playbook'), '-i', inventory, path], env=env, cwd=WORK,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, check=False)
    wall = time.monotonic() - start
    if proc.returncode:
        sys.stdout.write(proc.stdout[-4000:])
    changed = 0
    for entry in read_jsonl(results):
        items = entry['result'].get('results') or [entry['result']]
        changed += sum(1 for item in items if item.get('changed'))
    return wall, changed, proc.returncode


def guests(conn):
    import requests
    answer = requests.get('https://{0}:{1}/api2/json/cluster/resources'.format(conn['api_host'], conn['api_port']),
                          params={'type': 'vm'}, verify=conn['ca_path'], timeout=30,
                          headers={'Authorization': 'PVEAPIToken={0}!{1}={2}'.format(
                              conn['api_user'], conn['api_token_id'], conn['api_token_secret'])})
    names = [g.get('name') for g in answer.json()['data'] if str(g.get('name', '')).startswith('bench-')]
    return len(names), len(names) - len(set(names))


def notice_latency(state, since_requests, since_tasks):
    """Seconds between a task's end in the lab and the first status poll that saw it ended (per task)."""
    requests = read_jsonl(os.path.join(state, 'requests.jsonl'))[since_requests:]
    ends = dict((t['upid'], t['end']) for t in read_jsonl(os.path.join(state, 'tasks.jsonl'))[since_tasks:]
                if t.get('upid'))
    delays = []
    for upid, end in ends.items():
        polls = [r['t'] for r in requests if r['method'] == 'GET' and upid in r['path'] and
                 r['path'].endswith('/status') and r['t'] >= end]
        if polls:
            delays.append(min(polls) - end)
    return delays


def median(values):
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def bench_flavour(flavour, size, args, base_env, time_scale):
    """Run one flavour's playbook against a fresh lab: the converge once, then the unchanged rerun `args.repeat`
    times (keeping the median wall time and the spread). For iac.proxmox each rerun is followed by a floor run,
    and the rerun row carries the ratio of each such pair (`vs_floor`)."""
    state = os.path.join(WORK, 'lab-{0}-{1}-{2}'.format(flavour, size, time_scale))
    if os.path.isdir(state):
        for name in ('requests.jsonl', 'tasks.jsonl'):
            if os.path.exists(os.path.join(state, name)):
                os.remove(os.path.join(state, name))
    os.makedirs(state, exist_ok=True)
    proc, conn = start_lab(state, args.latency_ms, time_scale)
    out = []
    try:
        paired = flavour == 'iac.proxmox'
        paths = {}
        for name in (flavour, 'iac.proxmox as modules', 'floor', 'requests floor') if paired else (flavour,):
            paths[name] = os.path.join(WORK, '{0}-{1}.yml'.format(name.replace(' ', '-'), size))
            with open(paths[name], 'w') as fh:
                yaml.safe_dump(playbook(name, size, conn), fh, sort_keys=False)
        env = dict(base_env, REQUESTS_CA_BUNDLE=conn['ca_path'], CURL_CA_BUNDLE=conn['ca_path'])
        schedule = [('converge', flavour)]
        for _run in range(args.repeat):
            schedule += [('rerun', flavour)] + ([('module rerun', 'iac.proxmox as modules'), ('floor', 'floor'),
                                                 ('requests floor', 'requests floor')] if paired else [])
        samples = {}
        for label, name in schedule:
            requests_before = len(read_jsonl(os.path.join(state, 'requests.jsonl')))
            tasks_before = len(read_jsonl(os.path.join(state, 'tasks.jsonl')))
            wall, changed, rc = run_playbook(paths[name], env)
            log = read_jsonl(os.path.join(state, 'requests.jsonl'))[requests_before:]
            writes = [r for r in log if r['method'] != 'GET' and not r['path'].endswith('/access/ticket')]
            delays = notice_latency(state, requests_before, tasks_before)
            samples.setdefault(label, []).append({'wall': wall, 'rc': rc, 'changed': changed, 'requests': len(log),
                                                  'writes': len(writes), 'delays': delays})
        present, duplicates = guests(conn)
        for label in ('converge', 'rerun', 'module rerun', 'floor', 'requests floor'):
            if label not in samples:
                continue
            runs = samples[label]
            walls = [x['wall'] for x in runs]
            delays = [d for x in runs for d in x['delays']]
            # Requests, writes and changed are the same in every repeat of an unchanged run; the worst is kept.
            floor = label in ('floor', 'requests floor')
            row = {'flavour': label if floor else flavour, 'size': size, 'time_scale': time_scale,
                   'run': label, 'repeat': len(runs), 'rc': max(x['rc'] for x in runs),
                   'wall': round(median(walls), 2), 'wall_min': round(min(walls), 2),
                   'wall_max': round(max(walls), 2), 'requests': max(x['requests'] for x in runs),
                   'writes': max(x['writes'] for x in runs), 'changed': max(x['changed'] for x in runs),
                   'guests': 0 if floor else present, 'duplicates': 0 if floor else duplicates,
                   'tasks': len(delays), 'notice_max': round(max(delays), 3) if delays else None,
                   'notice_mean': round(sum(delays) / len(delays), 3) if delays else None}
            if paired and label in ('rerun', 'module rerun', 'requests floor'):
                row['vs_floor'] = [round(r['wall'] / f['wall'], 3) for r, f in zip(runs, samples['floor'])]
            out.append(row)
            print('  {flavour:<18} N={size:<3} x{time_scale:<5} {run:<9} wall {wall:>7.2f}s ({wall_min:.2f}-{wall_max:.2f}, {repeat}x)  '
                  'requests {requests:>5}  writes {writes:>4}  changed {changed:>3}  guests {guests:>3}  dup '
                  '{duplicates}  rc {rc}'.format(**row) + ('  pairs {0}'.format(row['vs_floor']) if 'vs_floor' in row else ''),
                  flush=True)
    finally:
        stop_lab(proc)
    return out


def table(rows, args):
    lines = ['| N | time scale | flavour | run | wall s (median) | spread s | API requests | per guest | writes | '
             'changed | guests | dup | task end noticed (max s) |', '|---|---|---|---|---|---|---|---|---|---|---|---|---|']
    for r in rows:
        per = '{0:.1f}'.format(r['requests'] / r['size']) if r['flavour'] != 'floor' else '-'
        spread = '{0:.2f}-{1:.2f}'.format(r['wall_min'], r['wall_max']) if r['repeat'] > 1 else '-'
        lines.append('| {size} | {time_scale} | {flavour} | {run} | {wall:.2f} | {spread} | {requests} | {per} | {writes} | '
                     '{changed} | {guests} | {duplicates} | {notice} |'.format(
                         per=per, spread=spread, notice=r['notice_max'] if r['notice_max'] is not None else '-', **r))
    return '\n'.join(lines)


def ratios(rows):
    """Per fleet (size and time scale): converge against community.proxmox, unchanged rerun against the floor."""
    out = {}
    for size, scale in sorted(set((r['size'], r['time_scale']) for r in rows)):
        get = dict(((r['flavour'], r['run']), r) for r in rows if r['size'] == size and r['time_scale'] == scale)
        if not {('iac.proxmox', 'converge'), ('community.proxmox', 'converge'), ('floor', 'floor')} <= set(get):
            continue
        ours_c, theirs_c = get[('iac.proxmox', 'converge')], get[('community.proxmox', 'converge')]
        ours_r, requests_floor = get[('iac.proxmox', 'rerun')], get[('requests floor', 'requests floor')]
        ours_m = get[('iac.proxmox', 'module rerun')]
        out['N={0} x{1}'.format(size, scale)] = {
            'size': size, 'time_scale': scale, 'converge_vs_community': round(ours_c['wall'] / theirs_c['wall'], 3),
            'rerun_vs_floor': round(median(ours_r['vs_floor']), 3),
            'rerun_vs_floor_pairs': ours_r['vs_floor'],
            'module_rerun_vs_floor': round(median(ours_m['vs_floor']), 3),
            'module_rerun_vs_floor_pairs': ours_m['vs_floor'],
            'requests_floor_vs_floor': round(median(requests_floor['vs_floor']), 3),
            'rerun_requests_per_guest': round(ours_r['requests'] / size, 2),
            'rerun_writes': ours_r['writes'], 'rerun_changed': ours_r['changed']}
    return out


def chart(rows, path):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fleets = sorted(set((r['size'], r['time_scale']) for r in rows), key=lambda f: (-f[1], f[0]))
    series = [('iac.proxmox', 'converge'), ('community.proxmox', 'converge'), ('iac.proxmox', 'rerun'),
              ('iac.proxmox', 'module rerun'), ('community.proxmox', 'rerun'), ('requests floor', 'requests floor'),
              ('floor', 'floor')]
    fig, ax = plt.subplots(figsize=(9, 4.5))
    width = 0.12
    for index, (flavour, run) in enumerate(series):
        values = [next((r['wall'] for r in rows if (r['size'], r['time_scale']) == fleet and r['flavour'] == flavour
                        and r['run'] == run), 0) for fleet in fleets]
        label = {'floor': 'ping floor', 'requests floor': 'requests floor (two GETs)'}.get(
            flavour, '{0} {1}'.format(flavour, run))
        ax.bar([i + index * width for i in range(len(fleets))], values, width, label=label)
    ax.set_xticks([i + 3 * width for i in range(len(fleets))])
    ax.set_xticklabels(['N = {0}, {1}'.format(size, 'real task durations' if scale == 1 else 'time scale {0}'.format(
        scale)) for size, scale in fleets])
    ax.set_ylabel('wall seconds')
    ax.set_title('The same fleet: clone, cores/memory/tags, started')
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--sizes', type=int, nargs='+', default=[8, 32])
    parser.add_argument('--latency-ms', type=float, default=20.0)
    parser.add_argument('--time-scale', type=float, default=0.01)
    parser.add_argument('--flavours', nargs='+', default=['iac.proxmox', 'community.proxmox'],
                        help='the floor runs with iac.proxmox, paired with its reruns')
    parser.add_argument('--repeat', type=int, default=9,
                        help='runs of each unchanged rerun and of the floor (the median counts)')
    parser.add_argument('--real-sizes', type=int, nargs='*', default=[8],
                        help='fleet sizes to run again at time scale 1 (PVE\'s real task durations)')
    args = parser.parse_args()
    os.makedirs(WORK, exist_ok=True)
    os.makedirs(RESULTS, exist_ok=True)
    with open(os.path.join(WORK, 'inventory.ini'), 'w') as fh:
        fh.write('localhost ansible_connection=local ansible_python_interpreter={0}\n'.format(sys.executable))
    base_env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, 'build', 'collections'),
                    ANSIBLE_CALLBACK_PLUGINS=os.path.join(ROOT, 'tests', 'integration', 'callback_plugins'),
                    ANSIBLE_CALLBACKS_ENABLED='iac_test_results', ANSIBLE_NOCOLOR='1',
                    ANSIBLE_LOCAL_TEMP=os.path.join(WORK, 'tmp'), ANSIBLE_HOME=os.path.join(WORK, 'home'),
                    ANSIBLE_LIBRARY=os.path.join(ROOT, 'bench', 'library'))
    for key in [k for k in base_env if k.startswith('PROXMOX_')]:
        del base_env[key]
    rows = []
    fleets = [(size, args.time_scale) for size in args.sizes] + [(size, 1) for size in args.real_sizes]
    for size, scale in fleets:
        for flavour in args.flavours:
            rows.extend(bench_flavour(flavour, size, args, base_env, scale))
    machine = {'platform': platform.platform(), 'python': platform.python_version(), 'cpus': os.cpu_count(),
               'date': time.strftime('%Y-%m-%d')}
    result = {'machine': machine, 'latency_ms': args.latency_ms, 'time_scales': sorted(set(s for _n, s in fleets)),
              'task_secs': TASK_SECS, 'repeat': args.repeat, 'rows': rows}
    if set(args.flavours) >= {'iac.proxmox', 'community.proxmox'}:
        result['ratios'] = ratios(rows)
    with open(os.path.join(RESULTS, 'latest.json'), 'w') as fh:
        json.dump(result, fh, indent=2)
    text = table(rows, args)
    summary = ['Machine: {platform}, {cpus} CPUs, Python {python}, {date}.'.format(**machine),
               'Lab: {0} ms per request, task durations (PVE s) {1}, at time scale {2} (1 = real task durations). '
               'Reruns and the floor: median of {3} runs; the rerun/floor ratio is the median of {3} pairs, each floor '
               'run right after a rerun.'.format(
                   args.latency_ms, TASK_SECS, ' and '.join(str(s) for s in result['time_scales']), args.repeat),
               '', text]
    for label, ratio in sorted(result.get('ratios', {}).items(), key=lambda i: (-i[1]['time_scale'], i[1]['size'])):
        summary.append('')
        summary.append('N={0}, {1}: converge {2:.2f}x community.proxmox; unchanged rerun {3:.2f}x the ping floor '
                       '(pairs {7}), {4} requests per guest, {5} writes, {6} changed; the same rerun as a module process '
                       'per guest (iac_proxmox_import_modules: false) {9:.2f}x (pairs {10}); the requests floor {8:.2f}x.'.format(
                           ratio['size'], 'real task durations' if ratio['time_scale'] == 1 else 'time scale {0}'.format(
                               ratio['time_scale']), ratio['converge_vs_community'], ratio['rerun_vs_floor'],
                           ratio['rerun_requests_per_guest'], ratio['rerun_writes'], ratio['rerun_changed'],
                           ', '.join('{0:.2f}'.format(r) for r in ratio['rerun_vs_floor_pairs']),
                           ratio['requests_floor_vs_floor'], ratio['module_rerun_vs_floor'],
                           ', '.join('{0:.2f}'.format(r) for r in ratio['module_rerun_vs_floor_pairs'])))
    with open(os.path.join(RESULTS, 'latest.md'), 'w') as fh:
        fh.write('\n'.join(summary) + '\n')
    if result.get('ratios'):
        chart(rows, os.path.join(RESULTS, 'latest.png'))
    print('\n'.join(summary))
    return 0


if __name__ == '__main__':
    sys.exit(main())
