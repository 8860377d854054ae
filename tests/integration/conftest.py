"""The `play` fixture: run a one-play playbook against the test's lab (see labtools.run_playbook)."""

import pytest
import yaml

from labtools import run_playbook


@pytest.fixture
def play(lab, tmp_path):
    """play(tasks, check=False, diff=False, auth='token'|'password'|None, env=None, vars=None) -> PlayRun."""
    counter = {'n': 0}

    def run(tasks, check=False, diff=False, auth='token', env=None, vars=None, args=()):
        counter['n'] += 1
        name = 'play{0}'.format(counter['n'])
        play_ = {'name': name, 'hosts': 'localhost', 'gather_facts': False, 'tasks': tasks}
        if auth:
            play_['module_defaults'] = {'group/iac.proxmox.pve': lab.connection(auth=auth)}
        if vars:
            play_['vars'] = vars
        path = tmp_path / '{0}.yml'.format(name)
        path.write_text(yaml.safe_dump([play_], sort_keys=False))
        return run_playbook(lab, tmp_path, path, check=check, diff=diff, env=env, args=args, name=name)
    return run
