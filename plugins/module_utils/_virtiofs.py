# -*- coding: utf-8 -*-
# Copyright: iac.proxmox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One virtiofs share of a VM (pve_virtiofs): its options and the checks of its directory mapping against the
VM's node. Private to the collection.
"""

from __future__ import annotations

from ._dev_virtiofs import KIND
from ._device import DeviceRun
from ._diff import as_bool
from ._errors import ValidationError
from ._mapping import check_config_id, check_on_node, read_mapping, MappingKind
from ._propstring import DIR_MAP

DIR_MAPPINGS = MappingKind('dir', DIR_MAP)


def flag(value):
    """A boolean option as a property: '1', False (drop the key: PVE's default is off) or None (leave it)."""
    return None if value is None else ('1' if value else False)


def check_mapping(job, merged):
    """The mapping exists and maps a directory on the VM's node; ACLs are not for Windows guests."""
    node = job.guest.node
    mapping = merged['dirid']
    entry, _digest = read_mapping(job.client, DIR_MAPPINGS, mapping, check_node=node)
    if entry is None:
        raise ValidationError('mapping', mapping, 'no directory mapping with this ID exists; create it with '
                                                  'iac.proxmox.pve_dir_mapping first')
    nodes = sorted(DIR_MAP.parse(m).get('node') for m in entry.get('map') or [])
    if node not in nodes:
        why = 'the directory mapping has no entry for node {0}, where {1} runs (it maps: {2})'.format(
            node, job.guest.label, ', '.join(nodes) or 'no node')
        raise ValidationError('mapping', mapping, why)
    check_on_node('mapping', mapping, entry, node, job.guest.label, 'directory mapping')
    if as_bool(merged.get('expose-acl', 0)) and str(job.effective.get('ostype', '')).startswith('w'):
        raise ValidationError('expose_acl', True, 'PVE refuses ACLs for virtiofs on Windows VMs (the share could not '
                                                  'be mounted)')


def converge_virtiofs(module):
    p = module.params
    mapping = check_config_id('mapping', p['mapping'])
    if p['expose_acl'] and p['expose_xattr'] is False:
        raise ValidationError('expose_xattr', False, 'expose_acl: true implies extended attributes; leave expose_xattr '
                                                     'out or set it to true')
    options = {'dirid': mapping, 'cache': p['cache'], 'direct-io': flag(p['direct_io']),
               'expose-acl': flag(p['expose_acl']), 'expose-xattr': flag(p['expose_xattr'])}

    def check(merged):
        if p['expose_xattr'] is False and as_bool(merged.get('expose-acl', 0)):
            raise ValidationError('expose_xattr', False, 'the share keeps expose-acl=1, and ACLs imply extended '
                                                         'attributes (virtiofsd --posix-acl); set expose_acl: false '
                                                         'too')
    DeviceRun(module, KIND).converge(mapping, options, p['state'], slot=p['slot'], validate=check_mapping, check=check)
