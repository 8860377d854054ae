#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: iac.proxmox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: pve_dir_mapping
short_description: Manage Proxmox VE directory mappings (cluster-wide virtiofs sources)
version_added: 0.1.0
description:
  - Creates, updates and removes a directory mapping under C(/cluster/mapping/dir) (PVE 8.4 and later).
  - A directory mapping gives a host directory one cluster-wide ID, with one path per node; VMs reference
    the ID in their virtiofs shares (see M(iac.proxmox.pve_virtiofs)).
  - Idempotent; a run that changes nothing sends no write request. Supports check mode (no write request
    at all) and diff mode.
  - Every value is checked before anything is written; the nodes are checked against the cluster.
author:
  - iac.proxmox maintainers (@iac-proxmox)
extends_documentation_fragment:
  - iac.proxmox.attributes
  - iac.proxmox.connection
attributes:
  check_mode:
    description: Supported; nothing is written and RV(plan) lists what would be.
    support: full
  diff_mode:
    description: Supported; shows the mapping before and after.
    support: full
options:
  id:
    description:
      - The mapping ID. Starts with a letter; letters, digits, C(_) and C(-); at least two characters.
    type: str
    required: true
    aliases: [name]
  description:
    description:
      - Free-text description. An empty string removes it. Left alone when not given.
    type: str
  map:
    description:
      - The directory on each node. Nodes not listed have no directory for this mapping.
      - Required to create a mapping. When given for an existing mapping, it replaces the whole list
        (order does not matter). Left alone when not given.
    type: list
    elements: dict
    suboptions:
      node:
        description: Name of a cluster node.
        type: str
        required: true
      path:
        description:
          - Absolute path of the directory on that node. Must not contain the characters C(;,=) or parentheses,
            which PVE does not allow in mapping paths, nor C(..) segments.
        type: str
        required: true
  state:
    description:
      - V(present) creates or updates the mapping; V(absent) removes it.
    type: str
    choices: [present, absent]
    default: present
notes:
  - Requires C(Mapping.Modify) on C(/mapping/dir) to write, and C(Mapping.Audit) on C(/mapping/dir/<id>)
    to read; C(Sys.Audit) is not needed.
seealso:
  - name: PVE directory mappings
    description: Resource mapping in the Proxmox VE administration guide.
    link: https://pve.proxmox.com/pve-docs/pve-admin-guide.html#resource_mapping
'''

EXAMPLES = r'''
- name: Share /srv/shared-data on both nodes as "shared-data"
  iac.proxmox.pve_dir_mapping:
    api_host: pve1.example.com
    api_user: automation@pve
    api_token_id: ansible
    api_token_secret: "{{ vault_pve_token_secret }}"
    id: shared-data
    description: Data shared with the build VMs
    map:
      - node: pve1
        path: /srv/shared-data
      - node: pve2
        path: /srv/shared-data

- name: Remove the mapping
  iac.proxmox.pve_dir_mapping:
    id: shared-data
    state: absent
'''

RETURN = r'''
id:
  description: The mapping ID.
  returned: always
  type: str
  sample: shared-data
mapping:
  description: The mapping as it is after the run (empty when absent).
  returned: always
  type: dict
  contains:
    id:
      description: The mapping ID.
      type: str
    description:
      description: The description, empty when none.
      type: str
    map:
      description: The per-node entries, sorted by node.
      type: list
      elements: dict
  sample:
    id: shared-data
    description: Data shared with the build VMs
    map:
      - node: pve1
        path: /srv/shared-data
      - node: pve2
        path: /srv/shared-data
plan:
  description: The write requests made, or in check mode the ones that would be made.
  returned: when something changed or would change
  type: list
  elements: str
  sample: ["create dir mapping shared-data"]
'''

# First: the module_utils imported below then load through its cache of compiled code (see its docstring).
from ansible_collections.iac.proxmox.plugins.module_utils import _bytecode  # noqa: F401 pylint: disable=unused-import
from ansible_collections.iac.proxmox.plugins.module_utils._dir_mapping import converge_dir_mapping
from ansible_collections.iac.proxmox.plugins.module_utils._module import PRESENT_ABSENT, PveModule


def main():
    module = PveModule(
        argument_spec=dict(
            id=dict(type='str', required=True, aliases=['name']),
            description=dict(type='str'),
            map=dict(type='list', elements='dict', options=dict(
                node=dict(type='str', required=True),
                path=dict(type='str', required=True),
            )),
            state=PRESENT_ABSENT,
        ),
    )
    module.call_or_fail(converge_dir_mapping)


if __name__ == '__main__':
    main()
