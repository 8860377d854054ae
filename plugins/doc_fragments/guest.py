# -*- coding: utf-8 -*-
# Copyright: iac.proxmox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment(object):
    """The options pve_vm and pve_lxc share with the same meaning (their argument specs are
    _guestrun.GUEST_ARGSPEC and _specbase.SHARED_OPTIONS). Options whose meaning differs between a VM and a
    container (name, node, storage, state, cores, timeout, ...) stay in each module's own documentation."""

    DOCUMENTATION = r'''
options:
  vmid:
    description:
      - The guest's ID. When not given, the guest is found by O(name), and a new guest gets the cluster's next free
        ID (retried if a parallel run takes it first).
    type: int
  full:
    description:
      - Full clone (independent copies of the source's volumes). V(false) makes a linked clone, which needs a
        template as the source.
    type: bool
    default: true
  pool:
    description: Resource pool to put a new guest in.
    type: str
  snapname:
    description: Clone from this snapshot of the source.
    type: str
  memory:
    description: Memory in MiB (V(4096)) or as a size (V(4G)).
    type: raw
  onboot:
    description: Start the guest when its node boots.
    type: bool
  startup:
    description:
      - Start and shutdown order - a dict with C(order), C(up) and C(down) (seconds), or PVE's string
        (V(order=1,up=30)). An empty dict or string removes it. PVE needs Sys.Modify on V(/) for it.
    type: raw
  hookscript:
    description:
      - A hookscript, V(<storage>:snippets/<file>); an empty string removes it. Checked before any write to exist
        on the node, on a storage with C(snippets) content.
      - PVE lets only root@pam logged in with a password set or change it; with any other login it is refused
        before any write.
    type: str
  tags:
    description: >-
      Tags, stored and compared as PVE stores them under the datacenter's C(tag-style): lower-cased unless
      C(case-sensitive=1), sorted unless C(ordering=config), without duplicates. Unless the tags are all lower-case
      and sorted, the module reads C(/cluster/options) once to learn the style.
    type: list
    elements: str
  description:
    description: Notes shown in the PVE GUI.
    type: str
  protection:
    description: Protect the guest against removal (and its volumes against deletion).
    type: bool
  shutdown_timeout:
    description: Seconds a graceful shutdown (or reboot) may take.
    type: int
    default: 180
  force_stop:
    description: Stop the guest forcibly when a graceful shutdown did not finish within O(shutdown_timeout).
    type: bool
    default: true
'''
