#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: iac.proxmox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: pve_guest_info
short_description: Read facts about Proxmox VE guests (VMs and containers)
version_added: 0.1.0
description:
  - Lists guests matching every filter given, with their state and, on request, their config, pending
    changes and IP addresses.
  - Read-only; changes nothing. One cluster read finds the guests; config and pending cost one read per
    guest, IP addresses one more per running guest.
author:
  - iac.proxmox maintainers (@iac-proxmox)
extends_documentation_fragment:
  - iac.proxmox.attributes
  - iac.proxmox.connection
attributes:
  check_mode:
    description: Supported; the module only reads.
    support: full
  diff_mode:
    description: Not applicable; nothing changes.
    support: none
options:
  vmid:
    description: Only the guest with this ID.
    type: int
  name:
    description: Only guests with this name.
    type: str
  node:
    description: Only guests on this node.
    type: str
  pool:
    description: Only guests in this pool.
    type: str
  tags:
    description: Only guests carrying all these tags.
    type: list
    elements: str
  type:
    description: Only VMs (V(qemu)), only containers (V(lxc)), or both (V(any)).
    type: str
    choices: [qemu, lxc, any]
    default: any
  templates:
    description: Include templates.
    type: bool
    default: true
  config:
    description: Include each guest's config (its next-start values; the cloud-init password masked).
    type: bool
    default: true
  pending:
    description: Include the changes that wait for a restart of each running guest.
    type: bool
    default: true
  addresses:
    description: Include the IP addresses running guests report (QEMU guest agent, container interfaces).
    type: bool
    default: false
  snapshots:
    description: Include each guest's snapshots (name, description, snaptime, vmstate, parent), oldest first.
    type: bool
    default: false
'''

EXAMPLES = r'''
- name: Everything tagged ephemeral
  iac.proxmox.pve_guest_info:
    tags: [ephemeral]
  register: ephemeral

- name: One VM with its addresses
  iac.proxmox.pve_guest_info:
    name: web-01
    addresses: true
  register: web
'''

RETURN = r'''
guests:
  description: The matching guests, by VMID.
  returned: always
  type: list
  elements: dict
  contains:
    vmid:
      description: The guest's ID.
      type: int
    name:
      description: Its name (hostname for containers).
      type: str
    node:
      description: Its node.
      type: str
    type:
      description: V(qemu) or V(lxc).
      type: str
    status:
      description: V(running), V(stopped), or V(unknown) when its node is unreachable.
      type: str
    template:
      description: Whether it is a template.
      type: bool
    tags:
      description: Its tags.
      type: list
      elements: str
    pool:
      description: Its pool, if any.
      type: str
    lock:
      description: The lock it carries (backup, migrate, ...), if any.
      type: str
    protection:
      description: Whether it is protected against removal.
      type: bool
      returned: with O(config)
    config:
      description: Its config.
      type: dict
      returned: with O(config)
    pending:
      description: Keys whose change waits for a restart (null value - a pending removal).
      type: dict
      returned: with O(pending)
    ip:
      description: Its first IP address (IPv4 preferred).
      type: str
      returned: with O(addresses)
    ip_addresses:
      description: All its reported addresses.
      type: list
      elements: str
      returned: with O(addresses)
    snapshots:
      description: Its snapshots, oldest first, each with C(name), C(description), C(snaptime), C(parent) and for
        VMs C(vmstate).
      type: list
      elements: dict
      returned: with O(snapshots)
'''

# First: the module_utils imported below then load through its cache of compiled code (see its docstring).
from ansible_collections.iac.proxmox.plugins.module_utils import _bytecode  # noqa: F401 pylint: disable=unused-import
from ansible_collections.iac.proxmox.plugins.module_utils._info import report_guests
from ansible_collections.iac.proxmox.plugins.module_utils._module import PveModule


def main():
    module = PveModule(argument_spec=dict(
        vmid=dict(type='int'),
        name=dict(type='str'),
        node=dict(type='str'),
        pool=dict(type='str'),
        tags=dict(type='list', elements='str'),
        type=dict(type='str', choices=['qemu', 'lxc', 'any'], default='any'),
        templates=dict(type='bool', default=True),
        config=dict(type='bool', default=True),
        pending=dict(type='bool', default=True),
        addresses=dict(type='bool', default=False),
        snapshots=dict(type='bool', default=False),
    ))
    module.call_or_fail(report_guests)


if __name__ == '__main__':
    main()
