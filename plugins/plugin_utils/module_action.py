# -*- coding: utf-8 -*-
# Copyright: iac.proxmox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The action behind every iac.proxmox module: it runs the module inside the task's worker process when the
module would run on the controller with the controller's own Python anyway, and as Ansible runs any module
otherwise.

Why: a module task starts a new Python process per host and loop item, which imports ansible-core's module_utils,
requests, proxmoxer and ours before it sends a request. On an unchanged rerun that start is most of a guest's
time (two GET requests take a few milliseconds). The worker imports them once per task and each loop item then
costs its requests and our comparison. This is what ansible.netcommon's `import_modules` does for network modules.

When (all of them, else `ActionBase._execute_module` runs the module as usual: AnsiballZ, a new process):
- ansible-core 2.19, the version this collection is tested with (this relies on its serialization profiles
  and on how AnsibleModule reads its arguments, which are ansible-core internals);
- the connection is `local` and the task does not `become` another user;
- the task is not `async`;
- the module's interpreter (`ansible_python_interpreter`, else `interpreter_python`) is the path of the Python
  running ansible-playbook (`ansible_playbook_python`, which Ansible gives the implicit localhost and this
  collection's docs recommend); with `auto` or another Python (another virtualenv may hold other library
  versions, or none) the module runs in that Python;
- that Python was started without -E, -s, -S, -I, -P or -O (a module process on the same path is not, so it
  would import from another sys.path);
- the task's `environment` sets nothing only a new interpreter reads (`PYTHON*`, `LD_*`, `DYLD_*`, `OPENSSL_*`);
- the variable `iac_proxmox_import_modules` (of the host the module runs on) is not false.

How (the same contract as a module process, so results are the same):
- the task's arguments with Ansible's internal ones (`_update_module_args`), JSON-encoded with the module
  serialization profile and decoded by `AnsibleModule` as in a module process;
- the task's `environment` is set in `os.environ` for the run (a proxy, a CA bundle), then restored;
- the root logger has no handler during the run, as in a module process;
- while the module runs, ansible-core's module_utils behave as on a target host: warnings and deprecations are
  collected into the result (masked by `no_log` there) rather than printed by the worker;
- the result `AnsibleModule` prints is parsed by `ActionBase._parse_returned_data`; a module that raises (or
  returns without exiting) is reported by the AnsiballZ wrapper's own handler, as in a module process;
- the module closes its API connections when it ends (`PveModule.call_or_fail`).
The worker's environment, working directory, locale, stdout and stderr are restored after each run. What the
worker does not get back: a task `timeout:` stops the module where it is (a module process would be left
running), and the collection's modules stay imported for the task's later loop items.

Errors: `AnsibleActionFail` when `iac_proxmox_import_modules` is not a boolean.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import locale
import logging
import os
import sys

from ansible import constants as C
from ansible.errors import AnsibleActionFail, AnsibleError
from ansible.release import __version__ as ansible_version
from ansible.module_utils import basic
from ansible.module_utils.common import warnings as module_warnings
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.action import ActionBase
from ansible.utils.display import Display
from ansible.utils.vars import merge_hash
from ansible.vars.clean import remove_internal_keys

try:  # ansible-core 2.19
    from ansible.module_utils import _internal as module_internal
    from ansible.module_utils._internal._ansiballz import _loader as ansiballz_loader
    from ansible.module_utils.common.json import Direction, get_module_encoder
except ImportError:  # pragma: no cover - older ansible-core runs modules as usual
    module_internal = None
if not ansible_version.startswith('2.19.'):  # pragma: no cover - another ansible-core runs modules as usual
    module_internal = None

display = Display()

VARIABLE = 'iac_proxmox_import_modules'
# The serialization profile of a module that declares none (ansible-core's module_common): ours declare none.
PROFILE = 'legacy'
# Environment variables a Python reads when it starts (or its dynamic loader does): a task that sets one means a
# new interpreter, so its module runs as a module process.
AT_INTERPRETER_START = ('PYTHON', 'LD_', 'DYLD_', 'OPENSSL_')
# sys.flags of options that change what a Python imports or runs (-E, -s, -S, -I, -P, -O): a module process is
# started without them, so ansible-playbook's Python started with one (a distribution's `#!/usr/bin/python3 -sP`)
# would see another sys.path than the module's.
STARTUP_FLAGS = ('ignore_environment', 'no_user_site', 'no_site', 'isolated', 'safe_path', 'optimize')


class ModuleAction(ActionBase):
    """ansible-core's `normal` action, with `_execute_module` running the module in the worker where it can."""

    _supports_check_mode = True
    _supports_async = True

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        wrap_async = self._task.async_val and not self._connection.has_native_async
        result = merge_hash(result, self._execute_module(task_vars=task_vars, wrap_async=wrap_async))
        if not wrap_async:
            self._remove_tmp_path(self._connection._shell.tmpdir)
        return result

    def _execute_module(self, module_name=None, module_args=None, tmp=None, task_vars=None, persist_files=False,
                        delete_remote_tmp=None, wrap_async=False, ignore_unknown_opts=False):
        task_vars = {} if task_vars is None else task_vars
        environment = self.worker_environment(task_vars, wrap_async)
        if environment is None:
            return super()._execute_module(module_name=module_name, module_args=module_args, tmp=tmp,
                                           task_vars=task_vars, persist_files=persist_files,
                                           delete_remote_tmp=delete_remote_tmp, wrap_async=wrap_async,
                                           ignore_unknown_opts=ignore_unknown_opts)
        module_name = self._task.action if module_name is None else module_name
        module_args = dict(self._task.args if module_args is None else module_args)
        self._update_module_args(module_name, module_args, task_vars, ignore_unknown_opts=ignore_unknown_opts)
        return self.run_in_worker(module_name, module_args, environment)

    def worker_environment(self, task_vars, wrap_async):
        """The task's environment (a dict) when the module can run in this worker process (see the module
        docstring), else None."""
        if module_internal is None or wrap_async or self._task.async_val:
            return None
        if self._connection.transport != 'local' or self._play_context.become:
            return None
        host_vars = task_vars
        if self._task.delegate_to:
            host_vars = (task_vars.get('ansible_delegated_vars') or {}).get(self._task.delegate_to) or {}
        wanted = self._templar.template(host_vars.get(VARIABLE, True))
        try:
            wanted = boolean(wanted, strict=True)
        except TypeError:
            raise AnsibleActionFail('{0} must be a boolean (true runs iac.proxmox modules in the worker when the '
                                    'connection is local and the interpreter is ansible-playbook\'s own Python), '
                                    'got {1!r}'.format(VARIABLE, wanted)) from None
        if not wanted:
            return None
        # The module's interpreter as ansible-core picks it: ansible_python_interpreter, else interpreter_python
        # (default `auto`: discovery, which may pick another Python).
        interpreter = C.config.get_config_value('INTERPRETER_PYTHON', variables=host_vars)
        interpreter = os.path.expanduser(str(self._templar.template(interpreter) or ''))
        if not os.path.isabs(interpreter) or os.path.normpath(interpreter) != os.path.normpath(sys.executable):
            return None
        if any(getattr(sys.flags, flag, 0) for flag in STARTUP_FLAGS):
            return None  # this Python was started with flags a module process on the same path would not have
        environment = {}
        self._compute_environment_string(environment)
        environment = dict((str(key), str(value)) for key, value in environment.items())
        if any(key.startswith(AT_INTERPRETER_START) for key in environment):
            return None  # the task's environment is meant for a new interpreter (PYTHONPATH, LD_LIBRARY_PATH...)
        return environment

    def run_in_worker(self, module_name, module_args, environment):
        """Run the module's main() here with `module_args` (internal ones included) and the task's `environment`;
        the parsed result."""
        context = self._shared_loader_obj.module_loader.find_plugin_with_context(
            module_name, collection_list=self._task.collections)
        if not context.resolved:
            raise AnsibleActionFail('the module {0} was not found'.format(module_name))
        namespace, collection, leaf = context.resolved_fqcn.split('.', 2)
        display.vvv('iac.proxmox: running {0} in the worker process (local connection, interpreter {1})'.format(
            context.resolved_fqcn, sys.executable), host=self._play_context.remote_addr)
        encoder = get_module_encoder(PROFILE, Direction.CONTROLLER_TO_MODULE)
        try:
            params = json.dumps({'ANSIBLE_MODULE_ARGS': module_args}, cls=encoder).encode('utf-8')
        except TypeError as exc:  # ansible-core's own words for a module process (module_common)
            raise AnsibleError('Failed to serialize arguments for the {0!r} module.'.format(module_name)) from exc
        stdout, stderr = io.StringIO(), io.StringIO()
        rc = 0
        with as_on_a_target(params, environment):
            with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
                try:
                    try:
                        module = importlib.import_module('ansible_collections.{0}.{1}.plugins.modules.{2}'.format(
                            namespace, collection, leaf))
                        module.main()
                        raise RuntimeError('New-style module did not handle its own exit.')
                    except Exception as exc:  # pylint: disable=broad-except
                        # As the AnsiballZ wrapper reports a module's exception (import time included).
                        ansiballz_loader._handle_exception(exc, PROFILE)
                except SystemExit as exit_:
                    rc = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
        data = self._parse_returned_data({'rc': rc, 'stdout': stdout.getvalue(), 'stderr': stderr.getvalue()},
                                         PROFILE)
        if data.pop('_ansible_suppress_tmpdir_delete', False):
            self._cleanup_remote_tmp = False
        remove_internal_keys(data)
        return data


@contextlib.contextmanager
def as_on_a_target(params, environment):
    """ansible-core's module_utils set up as in a module process, for the `with` block: the encoded parameters
    where AnsibleModule reads them, no controller context (warnings and deprecations go into the result), no
    warnings left from an earlier run, the task's environment, and a root logger without the handlers the
    controller gave it (ansible-core's log_path: a module process has none, so what requests and urllib3 log
    goes to the module's stderr, not into the user's Ansible log). The environment, working directory, locale
    (AnsibleModule sets it from the environment) and root logger are restored afterwards, as are the rest."""
    root = logging.getLogger()
    saved_logging = (root.handlers[:], root.level)
    saved_environ = dict(os.environ)
    saved_cwd = os.getcwd()
    saved_locale = locale.setlocale(locale.LC_ALL)
    saved = (basic._ANSIBLE_ARGS, basic._ANSIBLE_PROFILE, module_internal.is_controller)
    module_warnings._global_warnings.clear()
    module_warnings._global_deprecations.clear()
    try:
        os.environ.update(environment)
        root.handlers = []
        root.setLevel(logging.WARNING)
        basic._ANSIBLE_ARGS, basic._ANSIBLE_PROFILE = params, PROFILE
        module_internal.is_controller = False
        yield
    finally:
        basic._ANSIBLE_ARGS, basic._ANSIBLE_PROFILE, module_internal.is_controller = saved
        root.handlers = saved_logging[0]
        root.setLevel(saved_logging[1])
        module_warnings._global_warnings.clear()
        module_warnings._global_deprecations.clear()
        # Key by key, so the environment is never empty in between (a task timeout may interrupt this).
        for key in [key for key in os.environ if key not in saved_environ]:
            del os.environ[key]
        for key, value in saved_environ.items():
            if os.environ.get(key) != value:
                os.environ[key] = value
        if locale.setlocale(locale.LC_ALL) != saved_locale:
            locale.setlocale(locale.LC_ALL, saved_locale)
        if os.getcwd() != saved_cwd:
            os.chdir(saved_cwd)
