# -*- coding: utf-8 -*-
# Copyright: iac.proxmox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment(object):
    """The attribute every iac.proxmox module shares: membership of the action group (each module documents
    its own check and diff mode)."""

    DOCUMENTATION = r'''
attributes:
  action_group:
    description: Part of the C(iac.proxmox.pve) action group.
    support: full
    membership:
      - iac.proxmox.pve
'''
