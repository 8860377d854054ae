# -*- coding: utf-8 -*-
# Copyright: iac.proxmox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A cluster directory mapping (pve_dir_mapping): its map entries checked and converged through the mapping
engine (_mapping). Private to the collection.
"""

from __future__ import annotations

from ._checks import check_abs_path, check_node_name
from ._diff import ABSENT
from ._errors import ValidationError
from ._mapping import MappingKind, check_config_id, converge
from ._propstring import DIR_MAP

KIND = MappingKind('dir', DIR_MAP)


def check_path(option, path):
    """A directory mapping's path: what _checks.check_abs_path asks of any path, and what PVE asks more of a
    mapping path (PVE::Mapping::Dir::pve_verify_path): not the root, no ( or )."""
    if not isinstance(path, str) or not path.startswith('/') or len(path) < 2:
        raise ValidationError(option, path, 'must be an absolute path, such as /srv/data')
    if '(' in path or ')' in path:
        raise ValidationError(option, path, 'must not contain ( or ) (PVE does not allow them in mapping paths)')
    return check_abs_path(option, path)


def desired_map(entries):
    """The map entries checked and as dicts, or None when the play leaves the map alone."""
    if entries is None:
        return None
    seen = {}
    out = []
    for index, entry in enumerate(entries):
        option = 'map[{0}]'.format(index)
        node = check_node_name(option + '.node', entry.get('node'))
        if node in seen:
            raise ValidationError(option + '.node', node, 'node already has an entry (map[{0}]); a directory '
                                                          'mapping has one path per node'.format(seen[node]))
        seen[node] = index
        out.append({'node': node, 'path': check_path(option + '.path', entry.get('path'))})
    if not out:
        raise ValidationError('map', entries, 'needs at least one node entry (use state=absent to remove the '
                                              'mapping)')
    return out


def converge_dir_mapping(module):
    params = module.params
    mapping_id = check_config_id('id', params['id'])
    description = params['description']
    if description is not None and len(description) > 4096:
        raise ValidationError('description', description, 'may be at most 4096 characters')
    desired = {
        'description': None if description is None else (description if description != '' else ABSENT),
        'map': desired_map(params['map']) if params['state'] == 'present' else None,
    }
    converge(module, KIND, mapping_id, params['state'], desired)
