"""Helpers the tests share: where things are, the installed collection, and running ansible-playbook
against the lab (a real subprocess, the collection as a user installs it)."""

import hashlib
import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLLECTIONS = os.environ.get('IAC_TEST_COLLECTIONS', os.path.join(ROOT, 'build', 'collections'))
INSTALLED = os.path.join(COLLECTIONS, 'ansible_collections', 'iac', 'proxmox')
# What the installed copy must match: the collection's own files, as the tarball carries them.
SHIPPED = ('plugins', 'roles', 'playbooks', 'meta')
CALLBACKS = os.path.join(ROOT, 'tests', 'integration', 'callback_plugins')


def tree_digest(base):
    h = hashlib.sha256()
    for top in SHIPPED:
        for folder, dirs, files in sorted(os.walk(os.path.join(base, top))):
            dirs[:] = sorted(d for d in dirs if d != '__pycache__')
            for name in sorted(files):
                if name.endswith('.pyc'):
                    continue
                path = os.path.join(folder, name)
                h.update(os.path.relpath(path, base).encode())
                with open(path, 'rb') as fh:
                    h.update(fh.read())
    return h.hexdigest()


class PlayRun(object):
    def __init__(self, rc, stdout, stderr, results, requests):
        self.rc = rc
        self.stdout = stdout
        self.stderr = stderr
        self.results = results
        # (method, path without /api2/json, body) of every request the lab received during the run
        self.requests = requests

    @property
    def writes(self):
        from pvelab import is_write
        return [r for r in self.requests if is_write(r[0], r[1])]

    @property
    def calls(self):
        """(method, path) of every request."""
        return [(r[0], r[1]) for r in self.requests]

    @property
    def write_calls(self):
        """(method, path) of every write request."""
        return [(r[0], r[1]) for r in self.writes]

    @property
    def changed(self):
        return sum(1 for r in self.results if r['status'] == 'changed')

    @property
    def failed(self):
        return [r for r in self.results if r['status'] == 'failed']

    def task(self, name):
        """The result dict of the task with this name (the last one, if several ran)."""
        found = [r for r in self.results if r['task'] == name]
        assert found, 'no task {0!r} ran; tasks: {1}\n{2}'.format(name, [r['task'] for r in self.results], self.output)
        return found[-1]['result']

    def status(self, name):
        return [r for r in self.results if r['task'] == name][-1]['status']

    @property
    def output(self):
        return 'rc={0}\n--- stdout\n{1}\n--- stderr\n{2}'.format(self.rc, self.stdout[-6000:], self.stderr[-3000:])

    def assert_ok(self):
        assert self.rc == 0 and not self.failed, self.output
        return self


def ansible_env(tmp_path, results_file, extra=None):
    env = dict(os.environ)
    env.update({
        'ANSIBLE_COLLECTIONS_PATH': COLLECTIONS,
        'ANSIBLE_CALLBACK_PLUGINS': CALLBACKS,
        'ANSIBLE_CALLBACKS_ENABLED': 'iac_test_results',
        'ANSIBLE_STDOUT_CALLBACK': 'default',
        'ANSIBLE_NOCOLOR': '1',
        'ANSIBLE_FORCE_COLOR': '0',
        'ANSIBLE_RETRY_FILES_ENABLED': '0',
        'ANSIBLE_LOCAL_TEMP': str(tmp_path / 'ansible-tmp'),
        'ANSIBLE_HOME': str(tmp_path / 'ansible-home'),
        'ANSIBLE_PYTHON_INTERPRETER': sys.executable,
        'IAC_RESULTS_FILE': str(results_file),
        # The modules' cache of compiled module_utils (plugins/module_utils/_bytecode.py): one for the whole
        # test run, in build/, rather than the user's ~/.cache.
        'IAC_PROXMOX_BYTECODE_CACHE': os.path.join(ROOT, 'build', 'bytecode-cache'),
    })
    for key in [k for k in env if k.startswith('PROXMOX_')]:
        del env[key]
    env.update(extra or {})
    return env


def run_playbook(lab, tmp_path, playbook, check=False, diff=False, env=None, args=(), inventory=None,
                 name='play'):
    results_file = tmp_path / '{0}-results.jsonl'.format(name)
    if results_file.exists():
        results_file.unlink()
    if inventory is None:
        inventory = tmp_path / 'inventory.ini'
        inventory.write_text(LOCALHOST)
    cmd = [os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), '-i', str(inventory), str(playbook)]
    if check:
        cmd.append('--check')
    if diff:
        cmd.append('--diff')
    cmd.extend(args)
    mark = lab.pve.mark() if lab else 0
    proc = subprocess.run(cmd, cwd=str(tmp_path), env=ansible_env(tmp_path, results_file, env),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, timeout=600,
                          check=False)
    results = []
    if results_file.exists():
        results = [json.loads(line) for line in results_file.read_text().splitlines() if line.strip()]
    return PlayRun(proc.returncode, proc.stdout, proc.stderr, results, lab.pve.api_requests(mark) if lab else [])


# As the docs recommend: ansible-playbook's own Python, so the modules run in the task's worker process.
LOCALHOST = 'localhost ansible_connection=local ansible_python_interpreter="{{ ansible_playbook_python }}"\n'
WAYS = ('in the worker', 'as a module process')
MODULE_PROCESS = {'iac_proxmox_import_modules': False}  # as on a remote host or another interpreter


def in_worker_line(module):
    """What -vvv shows for a module run in the task's worker process."""
    return 'iac.proxmox: running iac.proxmox.{0} in the worker process'.format(module)


def shadow_proxmoxer(tmp_path, statement, name='shadow'):
    """A directory for PYTHONPATH whose proxmoxer package runs `statement` (a raise) on import."""
    shadow = tmp_path / name
    (shadow / 'proxmoxer').mkdir(parents=True)
    (shadow / 'proxmoxer' / '__init__.py').write_text(statement + '\n')
    return str(shadow)


def run_modules(way, play):
    """The `play` fixture with this collection's modules run `way`: 'in the worker' (the default for the tests'
    local connection with ansible-playbook's Python) or 'as a module process' (iac_proxmox_import_modules: false,
    as on a remote host or another interpreter); see plugins/plugin_utils/module_action.py."""
    if way == WAYS[0]:
        return play

    def run(tasks, vars=None, **kwargs):  # pylint: disable=redefined-builtin
        return play(tasks, vars=dict(vars or {}, **MODULE_PROCESS), **kwargs)
    return run


def error_of(call, *args, **kwargs):
    """The PveApiError that call(*args, **kwargs) raises (the test fails if it raises none)."""
    from ansible_collections.iac.proxmox.plugins.module_utils._errors import PveApiError
    with pytest.raises(PveApiError) as err:
        call(*args, **kwargs)
    return err.value


def task_error_of(api, upid):
    """The exit status of the task `upid`, which must fail."""
    from ansible_collections.iac.proxmox.plugins.module_utils._errors import PveTaskError
    with pytest.raises(PveTaskError) as err:
        api.wait_task(upid)
    return err.value.exitstatus


def add_privileged_template(lab, vmid=910, name='priv-tmpl'):
    """A privileged container template: PVE writes no `unprivileged` key for a privileged container."""
    config = {'hostname': name, 'memory': 512, 'swap': 512, 'ostype': 'debian', 'arch': 'amd64',
              'rootfs': 'local-lvm:base-{0}-disk-0,size=8G'.format(vmid),
              'net0': 'name=eth0,bridge=vmbr0,hwaddr=BC:24:11:00:20:10,ip=dhcp,type=veth'}
    return lab.pve.add_ct(vmid, name, node='pve1', config=config, template=True, defaults=False)


def four_gpus(lab):
    """Three more RTX 3090 (VGA and audio) on pve1 at 05:00-07:00, next to the seeded one at 01:00, each in its own
    IOMMU group. Returns the `map` entries of a PCI mapping over all four."""
    for bus, group in (('0000:05:00', 30), ('0000:06:00', 31), ('0000:07:00', 32)):
        lab.pve.add_pci_device('pve1', bus + '.0', '0x030000', '0x10de', '0x2204', group,
                               subsystem_vendor='0x1043', subsystem_device='0x87b3')
        lab.pve.add_pci_device('pve1', bus + '.1', '0x040300', '0x10de', '0x1aef', group,
                               subsystem_vendor='0x1043', subsystem_device='0x87b3')
    groups = {'0000:01:00': 14, '0000:05:00': 30, '0000:06:00': 31, '0000:07:00': 32}
    return ['id=10de:2204,iommugroup={0},node=pve1,path={1},subsystem-id=1043:87b3'.format(group, path)
            for path, group in sorted(groups.items())]
