"""make demo: start the lab, run playbooks/site.yml against it twice, show the guests, then the plan of a change.

1. site.yml builds the demo (mappings, two VMs from the golden template with the virtiofs share and one
   with the GPU, a container, all started); 2. the same run again must change nothing and send no write
   request; 3. a table of the guests read back from the lab; 4. `--check --diff` after one spec change
   (more memory for demo-web-01): the plan, with nothing written. The demo fails if 2. or 4. write anything.
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
COLLECTIONS = os.environ.get('ANSIBLE_COLLECTIONS_PATH') or os.path.join(ROOT, 'build', 'collections')
VENV_BIN = os.path.dirname(sys.executable)
RECAP = re.compile(r'^(\S+)\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)', re.M)
INVENTORY = 'playbooks/inventory/lab'
sys.path.insert(0, COLLECTIONS.split(os.pathsep)[0])

from ansible_collections.iac.proxmox.plugins.module_utils._client import PveClient  # noqa: E402
from ansible_collections.iac.proxmox.plugins.module_utils._info import gather  # noqa: E402


def start_lab():
    proc = subprocess.Popen([sys.executable, os.path.join(ROOT, 'tests', 'lab', 'serve.py'), '--state-dir', STATE,
                             '--time-scale', '0.01'], stdout=subprocess.PIPE, universal_newlines=True)
    line = proc.stdout.readline()  # blocks until the lab listens (or exits)
    if not line.startswith('pvelab ready'):
        proc.kill()
        sys.exit('demo: the lab did not start')
    print('==> ' + line.strip(), flush=True)
    return proc


def read_log():
    path = os.path.join(STATE, 'requests.jsonl')
    if not os.path.exists(path):
        return []
    with open(path) as fh:
        return [json.loads(line) for line in fh if line.strip()]


def playbook(label, *args, show=True):
    before = len(read_log())
    cmd = [os.path.join(VENV_BIN, 'ansible-playbook'), '-i', INVENTORY, 'playbooks/site.yml'] + list(args)
    print('\n==> {0}: {1}'.format(label, ' '.join(['ansible-playbook'] + cmd[1:])), flush=True)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, ANSIBLE_NOCOLOR='1')
    start = time.monotonic()
    proc = subprocess.run(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, check=False)
    elapsed = time.monotonic() - start
    if show:
        sys.stdout.write(proc.stdout)
    requests = read_log()[before:]
    writes = [r for r in requests if r['method'] != 'GET' and not r['path'].endswith('/access/ticket')]
    recap = RECAP.findall(proc.stdout)
    return {'label': label, 'rc': proc.returncode, 'output': proc.stdout, 'seconds': elapsed,
            'changed': sum(int(r[2]) for r in recap), 'failed': sum(int(r[4]) + int(r[3]) for r in recap),
            'requests': len(requests), 'writes': len(writes)}


def guest_table():
    with open(os.path.join(STATE, 'connection.json')) as fh:
        conn = json.load(fh)
    client = PveClient(conn['api_host'], conn['api_user'], token_id=conn['api_token_id'],
                       token_secret=conn['api_token_secret'], port=conn['api_port'], ca_path=conn['ca_path'])
    rows = []
    for guest in gather(client, {'tags': ['demo'], 'templates': False}, pending=False, addresses=True):
        config = guest.get('config') or {}
        passthrough = ', '.join('{0}: {1}'.format(k, v) for k, v in sorted(config.items()) if k.startswith('hostpci'))
        shares = ', '.join(v.split(',')[0] for k, v in sorted(config.items()) if k.startswith('virtiofs'))
        rows.append((str(guest['vmid']), guest['name'], guest['type'], guest['node'], guest['status'],
                     guest.get('ip') or '-', passthrough or '-', shares or '-'))
    header = ('vmid', 'name', 'type', 'node', 'status', 'ip', 'passthrough', 'shares')
    widths = [max(len(r[i]) for r in rows + [header]) for i in range(len(header))]
    print('\n==> the guests, read back from the lab')
    for row in [header] + rows:
        print('  '.join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())


def main():
    lab = start_lab()
    runs = []
    try:
        runs.append(playbook('converge'))
        runs.append(playbook('rerun'))
        guest_table()
        check = playbook('plan a change (more memory for demo-web-01)', '--check', '--diff', '--limit', 'demo-web-01',
                         '-e', 'golden_image_memory=4096', show=False)
        block = re.search(r'(TASK \[iac\.proxmox\.golden_image : Clone from the golden template.*?)(?=\nTASK )', check['output'], re.S)
        print(block.group(1) if block else check['output'])
        runs.append(check)
    finally:
        lab.send_signal(signal.SIGTERM)
        lab.wait(30)
    print('\n==> summary')
    header = ('run', 'changed', 'failed', 'requests', 'writes', 'seconds')
    print('{0:<10} {1:>8} {2:>8} {3:>10} {4:>8} {5:>8}'.format(*header))
    for run, name in zip(runs, ('converge', 'rerun', 'check')):
        print('{0:<10} {changed:>8} {failed:>8} {requests:>10} {writes:>8} {seconds:>8.1f}'.format(name, **run))
    converge, rerun, check = runs
    if converge['rc'] or rerun['rc'] or check['rc']:
        sys.exit('demo: a playbook run failed')
    if rerun['changed'] or rerun['writes']:
        sys.exit('demo: the second run was not idempotent (changed={0}, writes={1})'.format(
            rerun['changed'], rerun['writes']))
    if check['writes'] or not check['changed']:
        sys.exit('demo: the check run wrote something or planned nothing (changed={0}, writes={1})'.format(
            check['changed'], check['writes']))
    print('The second run changed nothing and sent no write request; the check run showed the plan and wrote '
          'nothing.')
    return 0


if __name__ == '__main__':
    sys.exit(main())
