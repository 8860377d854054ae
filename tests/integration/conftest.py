"""The `play` fixture: run a one-play playbook against the test's lab (see labtools.run_playbook), with the
collection installed as a user installs it (`make collection`) and no older than the source tree."""

import os

import pytest
import yaml

from labtools import INSTALLED, ROOT, run_playbook, tree_digest


def pytest_configure():
    if not os.path.isdir(INSTALLED):
        raise pytest.UsageError('the collection is not installed at {0}: run `make collection` (make integration '
                                'does it)'.format(INSTALLED))
    if tree_digest(ROOT) != tree_digest(INSTALLED):
        raise pytest.UsageError('the installed collection at {0} is older than the source tree: run `make '
                                'collection` (make integration does it)'.format(INSTALLED))


@pytest.fixture
def play(lab, tmp_path):
    """play(tasks, check=False, diff=False, auth='token'|'password'|None, env=None, vars=None) -> PlayRun."""
    counter = {'n': 0}

    def run(tasks, check=False, diff=False, auth='token', env=None, vars=None, args=(), hosts='localhost',
            inventory=None):
        counter['n'] += 1
        name = 'play{0}'.format(counter['n'])
        play_ = {'name': name, 'hosts': hosts, 'gather_facts': False, 'tasks': tasks}
        if auth:
            play_['module_defaults'] = {'group/iac.proxmox.pve': lab.connection(auth=auth)}
        if vars:
            play_['vars'] = vars
        path = tmp_path / '{0}.yml'.format(name)
        path.write_text(yaml.safe_dump([play_], sort_keys=False))
        inventory_path = None
        if inventory is not None:
            inventory_path = tmp_path / '{0}-inventory.ini'.format(name)
            inventory_path.write_text(inventory)
        return run_playbook(lab, tmp_path, path, check=check, diff=diff, env=env, args=args, name=name,
                            inventory=inventory_path)
    return run
