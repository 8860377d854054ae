# -*- coding: utf-8 -*-
# Copyright: iac.proxmox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A VM's NUMA nodes (`numa_nodes`: numa0-numa7). Private to the collection.

PVE's `numaN: cpus=<id[-id];...>,hostnodes=<id[-id];...>,memory=<MiB>,policy=preferred|bind|interleave`
(qemu-server src/PVE/QemuServer/Memory.pm $numa_fmt). Keys an entry leaves out keep their values;
`state: absent` removes the node. PVE checks a node only when the VM starts (Memory.pm config: memory and
cpus required, a policy with hostnodes, the nodes' memory adding up to the VM's); the VM spec runs those
checks on the planned config before any write (_vm_cpu.check_topology).
"""

from __future__ import annotations

import re

from ._diff import ABSENT, Field, as_number, props_normalizer
from ._errors import ValidationError
from ._propstring import PropFormat
from ._regex import regex
from ._specbase import DeviceSpec, without_none

NUMA = PropFormat('numa')
NUMA_SLOT = regex(r'^numa[0-7]$')
ID_LIST = regex(r'^\d+(?:-\d+)?(?:;\d+(?:-\d+)?)*$')
POLICIES = ('preferred', 'bind', 'interleave')
KEYS = ('cpus', 'memory', 'hostnodes', 'policy')


def id_list(option, value):
    """cpus/hostnodes: PVE's `id[-id];...` from a string (0-1;4, or 0-1,4) or a list ([0, 1, '4-5'])."""
    items = value if isinstance(value, (list, tuple)) else re.split(r'[;,]', str(value))
    text = ';'.join(str(item).strip() for item in items if str(item).strip())
    if not ID_LIST.match(text):
        raise ValidationError(option, value, 'is not a list of ids and ranges such as 0-3;6 (or [0, 1, 2, 3])')
    for part in text.split(';'):
        start, _dash, end = part.partition('-')
        if end and int(end) < int(start):
            raise ValidationError(option, value, 'the range {0} runs backwards'.format(part))
    return text


class NumaSpec(DeviceSpec):
    """`numa_nodes`: a list of {slot, cpus, memory, hostnodes, policy, state}."""

    option = 'numa_nodes'
    slot = NUMA_SLOT
    slot_help = 'a NUMA node slot (numa0-numa7)'
    field = Field(props_normalizer(NUMA, {'memory': as_number}))

    def normalize(self, entry, option, params):
        out = dict(option=option, slot=entry['slot'], state=entry.get('state') or 'present')
        if out['state'] not in ('present', 'absent'):
            raise ValidationError(option + '.state', out['state'], 'must be present or absent')
        for key in ('cpus', 'hostnodes'):
            if entry.get(key) is not None:
                out[key] = id_list('{0}.{1}'.format(option, key), entry[key])
        if entry.get('memory') is not None:
            if entry['memory'] < 1:
                raise ValidationError(option + '.memory', entry['memory'], 'must be 1 MiB or more')
            out['memory'] = entry['memory']
        if entry.get('policy') is not None:
            if entry['policy'] not in POLICIES:
                raise ValidationError(option + '.policy', entry['policy'], 'must be one of {0}'.format(
                    ', '.join(POLICIES)))
            out['policy'] = entry['policy']
        return out

    def plan(self, entry, current, plan, ctx):
        slot = entry['slot']
        value = current.get(slot)
        if entry['state'] == 'absent':
            if value is not None:
                plan.want(slot, ABSENT)
            return
        merged = NUMA.parse(value) if value is not None else {}
        for key in KEYS:
            if entry.get(key) is not None:
                merged[key] = entry[key]
        for key in ('cpus', 'memory'):
            if not merged.get(key):
                raise ValidationError('{0}.{1}'.format(entry['option'], key), None,
                                      'is required for a new NUMA node (PVE needs cpus and memory of each)')
        plan.want(slot, NUMA.format(without_none(merged)))


NUMA_NODES = NumaSpec()


def parse_node(value):
    return NUMA.parse(value)
