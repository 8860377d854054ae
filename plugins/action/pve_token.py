# -*- coding: utf-8 -*-
# Copyright: iac.proxmox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runs iac.proxmox.pve_token (in the task's worker process where it can, see plugins/plugin_utils/module_action.py)
and hides a result that carries the token's secret, as no_log would.

PVE shows a token's secret once; the module returns it in `secret` then. A module cannot mark its own
result no_log, so without this a play run with -v would print the secret. The registered variable keeps
the whole result, so the play can still store the secret.
"""

from __future__ import annotations

from ansible_collections.iac.proxmox.plugins.plugin_utils.module_action import ModuleAction


class ActionModule(ModuleAction):

    _supports_async = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        if result.get('secret'):
            result['_ansible_no_log'] = True
        return result
