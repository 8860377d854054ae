"""plugins/plugin_utils/module_action.py: the set-up a module finds when it runs in the worker process, and that
the worker gets its own state back afterwards (the playbook-level behaviour is in
tests/integration/test_module_action.py)."""

import locale
import os

import pytest
from ansible.module_utils import _internal, basic
from ansible.module_utils.common import warnings as module_warnings

from ansible_collections.iac.proxmox.plugins.plugin_utils.module_action import PROFILE, as_on_a_target


def worker_state():
    return (dict(os.environ), os.getcwd(), locale.setlocale(locale.LC_ALL), basic._ANSIBLE_ARGS,
            basic._ANSIBLE_PROFILE, _internal.is_controller, dict(module_warnings._global_warnings),
            dict(module_warnings._global_deprecations))


def test_the_module_finds_its_arguments_the_tasks_environment_and_a_target_context():
    _internal.is_controller = True  # as in a worker
    before = worker_state()
    with as_on_a_target(b'{"ANSIBLE_MODULE_ARGS": {}}', {'HTTPS_PROXY': 'http://127.0.0.1:3128', 'N': '3'}):
        assert basic._ANSIBLE_ARGS == b'{"ANSIBLE_MODULE_ARGS": {}}' and basic._ANSIBLE_PROFILE == PROFILE
        assert os.environ['HTTPS_PROXY'] == 'http://127.0.0.1:3128' and os.environ['N'] == '3'
        assert _internal.is_controller is False
        # A warning goes into the module's result, as on a target host, not to the worker's display.
        module_warnings.warn('pending changes')
        assert module_warnings.get_warning_messages() == ('pending changes',)
    assert worker_state() == before


def test_the_worker_gets_its_state_back_when_the_module_raises(tmp_path):
    _internal.is_controller = True
    before = worker_state()
    with pytest.raises(RuntimeError):
        with as_on_a_target(b'{}', {}):
            os.environ['LANG'] = 'C'  # AnsibleModule's locale fallback does this
            locale.setlocale(locale.LC_ALL, 'C')  # and its _check_locale() sets it from the task's environment
            del os.environ['PATH']
            os.chdir(str(tmp_path))  # and AnsibleModule may change to a readable directory
            module_warnings.deprecate('old', version='2.0.0', collection_name='iac.proxmox')
            raise RuntimeError('module bug')
    assert worker_state() == before
    assert module_warnings.get_deprecation_messages() == ()
