# -*- coding: utf-8 -*-
# Copyright: iac.proxmox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runs iac.proxmox.pve_token and hides a result that carries the token's secret, as no_log would.

PVE shows a token's secret once; the module returns it in `secret` then. A module cannot mark its own
result no_log, so without this a play run with -v would print the secret. The registered variable keeps
the whole result, so the play can still store the secret.
"""

from __future__ import annotations

from ansible.plugins.action import ActionBase


class ActionModule(ActionBase):

    _supports_check_mode = True
    _supports_async = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        result.update(self._execute_module(module_name='iac.proxmox.pve_token', module_args=self._task.args,
                                           task_vars=task_vars))
        if result.get('secret'):
            result['_ansible_no_log'] = True
        return result
