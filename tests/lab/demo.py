"""make demo: start the lab, run playbooks/site.yml against it twice, summarize, stop the lab.

The second run must change nothing and send no write request; the demo fails otherwise.
"""

import json
import os
import re
import signal
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
STATE = os.path.join(ROOT, '.lab')
VENV_BIN = os.path.dirname(sys.executable)
RECAP = re.compile(r'^(\S+)\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)', re.M)


def start_lab():
    proc = subprocess.Popen([sys.executable, os.path.join(ROOT, 'tests', 'lab', 'serve.py'), '--state-dir', STATE,
                             '--time-scale', '0.01'], stdout=subprocess.PIPE, universal_newlines=True)
    line = proc.stdout.readline()  # blocks until the lab listens (or exits)
    if not line.startswith('pvelab ready'):
        proc.kill()
        sys.exit('demo: the lab did not start')
    print('==> ' + line.strip(), flush=True)
    return proc


def read_log(path):
    if not os.path.exists(path):
        return []
    with open(path) as fh:
        return [json.loads(line) for line in fh if line.strip()]


def run_site(label):
    log = os.path.join(STATE, 'requests.jsonl')
    before = len(read_log(log))
    print('==> {0}: ansible-playbook -i playbooks/inventory/lab playbooks/site.yml'.format(label), flush=True)
    env = dict(os.environ)
    env.setdefault('ANSIBLE_COLLECTIONS_PATH', os.path.join(ROOT, 'build', 'collections'))
    start = time.monotonic()
    proc = subprocess.run([os.path.join(VENV_BIN, 'ansible-playbook'), '-i', 'playbooks/inventory/lab',
                           'playbooks/site.yml'], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, universal_newlines=True, check=False)
    elapsed = time.monotonic() - start
    sys.stdout.write(proc.stdout)
    requests = read_log(log)[before:]
    writes = [r for r in requests if r['method'] != 'GET' and not r['path'].endswith('/access/ticket')]
    recap = RECAP.findall(proc.stdout)
    changed = sum(int(r[2]) for r in recap)
    failed = sum(int(r[4]) + int(r[3]) for r in recap)
    return {'label': label, 'rc': proc.returncode, 'changed': changed, 'failed': failed, 'seconds': elapsed,
            'requests': len(requests), 'writes': len(writes)}


def main():
    lab = start_lab()
    runs = []
    try:
        runs.append(run_site('converge'))
        runs.append(run_site('rerun'))
    finally:
        lab.send_signal(signal.SIGTERM)
        lab.wait(30)
    print('\n==> summary')
    header = ('run', 'changed', 'failed', 'requests', 'writes', 'seconds')
    print('{0:<10} {1:>8} {2:>8} {3:>10} {4:>8} {5:>8}'.format(*header))
    for run in runs:
        print('{label:<10} {changed:>8} {failed:>8} {requests:>10} {writes:>8} {seconds:>8.1f}'.format(**run))
    first, second = runs
    if first['rc'] or second['rc']:
        sys.exit('demo: a playbook run failed')
    if second['changed'] or second['writes']:
        sys.exit('demo: the second run was not idempotent (changed={0}, writes={1})'.format(
            second['changed'], second['writes']))
    print('The second run changed nothing and sent no write request.')
    return 0


if __name__ == '__main__':
    sys.exit(main())
