# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test helper: write every task result as JSON to $IAC_RESULTS_FILE, for the tests to assert on."""

from __future__ import annotations

DOCUMENTATION = r'''
name: iac_test_results
type: aggregate
short_description: Record task results as JSON for the integration tests
description:
  - Appends one JSON document per task result to the file named by the environment variable IAC_RESULTS_FILE.
'''

import json
import os
import time

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'aggregate'
    CALLBACK_NAME = 'iac_test_results'
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._path = os.environ.get('IAC_RESULTS_FILE')

    def _write(self, result, status):
        if not self._path:
            return
        data = dict(result._result)
        if status == 'failed':
            data['failed'] = True
        # t: when the result came in (the lab's request log has the same clock), to tell which task sent what.
        entry = {'task': result.task_name, 'action': result._task.action, 'host': result._host.get_name(),
                 'status': status, 'result': data, 't': time.time()}
        with open(self._path, 'a', encoding='utf-8') as out:
            out.write(json.dumps(entry, default=str) + '\n')

    def v2_runner_on_ok(self, result):
        self._write(result, 'changed' if result._result.get('changed') else 'ok')

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._write(result, 'failed')

    def v2_runner_on_skipped(self, result):
        self._write(result, 'skipped')

    def v2_runner_on_unreachable(self, result):
        self._write(result, 'unreachable')
