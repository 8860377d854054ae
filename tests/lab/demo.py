"""make demo: start the lab, run playbooks/site.yml against it twice, show the guests, then the plan of a change.

0. A small web server on loopback serves a tiny qcow2 cloud image over HTTPS (its CA is one the lab's nodes
   trust, --node-ca); 1. site.yml builds the demo (the golden template from that image - PVE downloads it,
   imports it and makes it a template -, mappings, two VMs cloned from the template with the virtiofs share
   and one with the GPU, a container, all started); 2. the same run again must change nothing and send no write
   request; 3. a table of the guests read back from the lab; 4. `--check --diff` after one spec change
   (more memory for demo-web-01): the plan, with nothing written. The demo fails if 2. or 4. write anything.
"""

import hashlib
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
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # tests/: imageserver

from ansible_collections.iac.proxmox.plugins.module_utils._client import PveClient  # noqa: E402
from ansible_collections.iac.proxmox.plugins.module_utils._info import gather  # noqa: E402
from imageserver import ImageServer  # noqa: E402
from pvelab.topology import qcow2_header  # noqa: E402

IMAGE_PATH = '/images/debian-12-genericcloud-amd64.qcow2'
# A stand-in for the Debian cloud image: a qcow2 header that says 2 GiB, and a little content.
IMAGE = qcow2_header(2 * 1024 ** 3) + b'demo cloud image\n' * 1024


def start_images():
    """The image server (HTTPS, with a CA of its own in .lab/imageca that the lab's nodes are told to trust)."""
    tls_dir = os.path.join(STATE, 'imageca')
    server = ImageServer({IMAGE_PATH: IMAGE}, tls_dir=tls_dir)
    print('==> image server {0}'.format(server.url(IMAGE_PATH)), flush=True)
    return server


def write_image_vars(server):
    """.lab/image.json: what the lab inventory's golden_template variables read (url and sha512)."""
    with open(os.path.join(STATE, 'image.json'), 'w') as fh:
        json.dump({'url': server.url(IMAGE_PATH), 'sha512': hashlib.sha512(IMAGE).hexdigest()}, fh)


def start_lab(node_ca):
    proc = subprocess.Popen([sys.executable, os.path.join(ROOT, 'tests', 'lab', 'serve.py'), '--state-dir', STATE,
                             '--time-scale', '0.01', '--node-ca', node_ca], stdout=subprocess.PIPE,
                            universal_newlines=True)
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
    images = start_images()
    lab = start_lab(images.ca_path)
    write_image_vars(images)
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
        images.stop()
    print('\n==> summary')
    header = ('run', 'changed', 'failed', 'requests', 'writes', 'seconds')
    print('{0:<10} {1:>8} {2:>8} {3:>10} {4:>8} {5:>8}'.format(*header))
    for run, name in zip(runs, ('converge', 'rerun', 'check')):
        print('{0:<10} {changed:>8} {failed:>8} {requests:>10} {writes:>8} {seconds:>8.1f}'.format(name, **run))
    converge, rerun, check = runs
    if converge['rc'] or rerun['rc'] or check['rc']:
        sys.exit('demo: a playbook run failed')
    if images.requests != [IMAGE_PATH]:
        sys.exit('demo: the image was fetched {0} times, not once'.format(len(images.requests)))
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
