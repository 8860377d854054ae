# -*- coding: utf-8 -*-
# Copyright: iac.proxmox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment(object):
    """How modules that change one device of an existing VM find the VM."""

    DOCUMENTATION = r'''
options:
  vmid:
    description:
      - ID of the VM. Either O(vmid) or O(name) is required.
    type: int
  name:
    description:
      - Name of the VM, when O(vmid) is not given. Fails if several guests carry the name.
    type: str
  node:
    description:
      - Node of the VM. Optional; with O(vmid) it saves a cluster-wide lookup.
    type: str
  lock_timeout:
    description:
      - Seconds to wait for a lock held by another operation (backup, clone, migrate) before failing.
    type: int
    default: 60
'''
