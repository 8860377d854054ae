# -*- coding: utf-8 -*-
# Copyright: iac.proxmox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runs iac.proxmox.pve_snapshot, in the task's worker process where it can (see plugins/plugin_utils/module_action.py)."""

from __future__ import annotations

from ansible_collections.iac.proxmox.plugins.plugin_utils.module_action import ModuleAction


class ActionModule(ModuleAction):
    """iac.proxmox.pve_snapshot's action."""
