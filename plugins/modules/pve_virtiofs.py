#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: iac.proxmox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: pve_virtiofs
short_description: Share a directory mapping with a Proxmox VE VM over virtiofs
version_added: 0.1.0
description:
  - Adds, updates or removes a virtiofs share (C(virtiofsN), PVE 8.4 and later) of a directory mapping on a VM.
  - The share is identified by its mapping ID - a re-run finds the slot that holds it. A new share takes the
    lowest free slot unless O(slot) names one.
  - Before anything is written the mapping must exist and have an entry for the VM's node.
  - On a running VM PVE keeps the change pending until the VM restarts; RV(pending) and RV(reboot_required)
    say so.
  - Idempotent, with check mode (no write request at all) and diff mode.
author:
  - iac.proxmox maintainers (@iac-proxmox)
extends_documentation_fragment:
  - iac.proxmox.attributes
  - iac.proxmox.connection
  - iac.proxmox.vm
attributes:
  check_mode:
    description: Supported; nothing is written and RV(plan) lists what would be.
    support: full
  diff_mode:
    description: Supported.
    support: full
options:
  mapping:
    description: ID of the directory mapping to share (see M(iac.proxmox.pve_dir_mapping)).
    type: str
    required: true
  slot:
    description: V(virtiofs0)-V(virtiofs9). Default - the slot already holding this mapping, else the lowest free one.
    type: str
  cache:
    description: Caching policy of the shared file system.
    type: str
    choices: [auto, always, metadata, never]
  direct_io:
    description: Honor O_DIRECT from guest applications.
    type: bool
  expose_acl:
    description: Enable POSIX ACLs (implies extended attributes; not for Windows guests).
    type: bool
  expose_xattr:
    description: Enable extended attributes. Cannot be V(false) with O(expose_acl=true).
    type: bool
  state:
    description: V(absent) removes the share of this mapping.
    type: str
    choices: [present, absent]
    default: present
'''

EXAMPLES = r'''
- name: Share shared-data with the build VM
  iac.proxmox.pve_virtiofs:
    name: build-01
    mapping: shared-data
    cache: always
    expose_acl: true
'''

RETURN = r'''
vmid:
  description: The VM's ID.
  returned: always
  type: int
node:
  description: The VM's node.
  returned: always
  type: str
slot:
  description: The slot holding the share (null when absent).
  returned: always
  type: str
  sample: virtiofs0
device:
  description: The share's options after the run.
  returned: always
  type: dict
  sample: {dirid: shared-data, cache: always}
pending:
  description: The virtiofs slots whose change waits for a restart of the running VM.
  returned: always
  type: list
  elements: str
reboot_required:
  description: Whether the VM has changes pending until a restart.
  returned: always
  type: bool
plan:
  description: The write requests made, or in check mode the ones that would be made.
  returned: when something changed or would change
  type: list
  elements: str
'''

from ansible_collections.iac.proxmox.plugins.module_utils._dev_virtiofs import KIND
from ansible_collections.iac.proxmox.plugins.module_utils._device import VM_IDENTITY_ARGSPEC, DeviceRun
from ansible_collections.iac.proxmox.plugins.module_utils._diff import as_bool
from ansible_collections.iac.proxmox.plugins.module_utils._errors import ValidationError
from ansible_collections.iac.proxmox.plugins.module_utils._mapping import check_config_id, read_mapping, MappingKind
from ansible_collections.iac.proxmox.plugins.module_utils._module import PveModule
from ansible_collections.iac.proxmox.plugins.module_utils._propstring import DIR_MAP

DIR_MAPPINGS = MappingKind('dir', DIR_MAP)


def flag(value):
    """A boolean option as a property: '1', False (drop the key: PVE's default is off) or None (leave it)."""
    return None if value is None else ('1' if value else False)


def check_mapping(run, merged):
    """The mapping exists and maps a directory on the VM's node; ACLs are not for Windows guests."""
    node = run.guest.node
    mapping = merged['dirid']
    entry, _digest = read_mapping(run.client, DIR_MAPPINGS, mapping)
    if entry is None:
        raise ValidationError('mapping', mapping, 'no directory mapping with this ID exists; create it with '
                                                  'iac.proxmox.pve_dir_mapping first')
    nodes = sorted(DIR_MAP.parse(m).get('node') for m in entry.get('map') or [])
    if node not in nodes:
        why = 'the directory mapping has no entry for node {0}, where {1} runs (it maps: {2})'.format(
            node, run.guest.label, ', '.join(nodes) or 'no node')
        raise ValidationError('mapping', mapping, why)
    if as_bool(merged.get('expose-acl', 0)) and str(run.effective.get('ostype', '')).startswith('w'):
        raise ValidationError('expose_acl', True, 'PVE refuses ACLs for virtiofs on Windows VMs (the share could not '
                                                  'be mounted)')


def run(module):
    p = module.params
    mapping = check_config_id('mapping', p['mapping'])
    if p['expose_acl'] and p['expose_xattr'] is False:
        raise ValidationError('expose_xattr', False, 'expose_acl: true implies extended attributes; leave expose_xattr '
                                                     'out or set it to true')
    options = {'dirid': mapping, 'cache': p['cache'], 'direct-io': flag(p['direct_io']),
               'expose-acl': flag(p['expose_acl']), 'expose-xattr': flag(p['expose_xattr'])}
    DeviceRun(module, KIND).converge(mapping, options, p['state'], slot=p['slot'], validate=check_mapping)


def main():
    spec = dict(VM_IDENTITY_ARGSPEC)
    spec.update(
        mapping=dict(type='str', required=True),
        slot=dict(type='str'),
        cache=dict(type='str', choices=['auto', 'always', 'metadata', 'never']),
        direct_io=dict(type='bool'),
        expose_acl=dict(type='bool'),
        expose_xattr=dict(type='bool'),
        state=dict(type='str', choices=['present', 'absent'], default='present'),
    )
    module = PveModule(argument_spec=spec, required_one_of=[('vmid', 'name')])
    module.run(run)


if __name__ == '__main__':
    main()
