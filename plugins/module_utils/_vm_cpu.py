# -*- coding: utf-8 -*-
# Copyright: iac.proxmox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A VM's CPU, memory-sharing and machine-detail settings: their Fields and checks. Private to the collection.

`cpu` is a type (`host`) or a dict {type, flags, hidden, phys_bits} merged into the VM's current `cpu`
property (keys the play leaves out keep their values; flags compare as a set and keep PVE's stored order).
The scalars (vcpus, cpuunits, cpulimit, affinity, numa, hotplug, hugepages, shares, tablet, kvm, acpi,
localtime, keyboard, args) are plain FIELDS entries with PVE's defaults, so a value equal to the default
matches an absent key. `check_topology` runs PVE's start-time checks (qemu-server QemuServer/Memory.pm
config, QemuServer.pm vm_start's -smp) on the config the plan converges to, before any write.
"""

from __future__ import annotations

import re

from ._diff import ABSENT, Field, as_bool, as_int, as_number, as_str, props_normalizer
from ._errors import ValidationError
from ._propstring import PropFormat
from ._regex import regex

CPU = PropFormat('cpu', default_key='cputype')
CPU_TYPE = regex(r'^[A-Za-z0-9_.+-]+$')
# qemu-server src/PVE/QemuServer/CPUFlags.pm $supported_vm_specific_cpu_flags_by_arch (x86_64): the only flags a
# VM's own `cpu` may set (CPUConfig.pm validate_vm_cpu_conf); custom CPU models may set others.
CPU_FLAGS = ('aes', 'amd-no-ssb', 'amd-ssbd', 'hv-evmcs', 'hv-tlbflush', 'ibpb', 'md-clear', 'nested-virt', 'pcid',
             'pdpe1gb', 'spec-ctrl', 'ssbd', 'virt-ssbd')
CPU_FLAG = regex(r'^([+-])([A-Za-z0-9_.-]+)$')
CPU_OPTIONS = ('type', 'flags', 'hidden', 'phys_bits')
HOTPLUG = ('network', 'disk', 'usb', 'memory', 'cpu', 'cloudinit')
HOTPLUG_DEFAULT = ('network', 'disk', 'usb')
# pve-common PVE/Tools.pm kvmkeymaplist.
KEYBOARDS = ('de', 'de-ch', 'da', 'en-gb', 'en-us', 'es', 'fi', 'fr', 'fr-be', 'fr-ca', 'fr-ch', 'hu', 'is', 'it',
             'ja', 'lt', 'mk', 'nl', 'no', 'pl', 'pt', 'pt-br', 'sv', 'sl', 'tr')
HUGEPAGES = ('any', '2', '1024')
CPUSET = regex(r'^\d+(?:-\d+)?(?:,\d+(?:-\d+)?)*$')
# Keys in none of the option lists of qemu-server API2/Qemu.pm $check_vm_modify_config_perm: root@pam's only.
ROOT_ONLY_KEYS = ('args', 'affinity', 'hugepages', 'hookscript')


def as_flags(value):
    """CPU flags ('+aes;-pcid' or a list) as a set."""
    items = value if isinstance(value, (list, tuple)) else str(value or '').split(';')
    return frozenset(str(item).strip() for item in items if str(item).strip())


def as_hotplug(value):
    """PVE's hotplug features as a set: '1' is the default network,disk,usb, '0' none."""
    text = ','.join(value) if isinstance(value, (list, tuple)) else str(value).strip()
    if text == '1':
        return frozenset(HOTPLUG_DEFAULT)
    if text in ('0', ''):
        return frozenset()
    return frozenset(item.strip() for item in text.split(',') if item.strip())


def cpu_ids(text, option, value):
    """The ids of a list such as 0-3;6 (sep ';') or 0-3,6 (sep ','), or a ValidationError."""
    out = set()
    for part in re.split(r'[;,]', str(text)):
        start, _dash, end = part.partition('-')
        if not start.isdigit() or (end and not end.isdigit()) or (end and int(end) < int(start)):
            raise ValidationError(option, value, 'is not a list of ids and ranges such as 0-3;6')
        out.update(range(int(start), int(end or start) + 1))
    return out


def as_cpuset(value):
    try:
        return frozenset(cpu_ids(value, 'affinity', value))
    except ValidationError:
        return str(value)


FIELDS = {
    'cpu': Field(props_normalizer(CPU, {'flags': as_flags, 'hidden': as_bool}, defaults={'hidden': 0}),
                 default='kvm64'),
    'vcpus': Field(as_int, default=0),
    'cpuunits': Field(as_int, default=100),
    'cpulimit': Field(as_number, default=0),
    'affinity': Field(as_cpuset),
    'numa': Field(as_bool, default=0),
    'hotplug': Field(as_hotplug, default='network,disk,usb'),
    'hugepages': Field(as_str),
    'shares': Field(as_int, default=1000),
    'tablet': Field(as_bool, default=1),
    'kvm': Field(as_bool, default=1),
    'acpi': Field(as_bool, default=1),
    'localtime': Field(as_bool),
    'keyboard': Field(as_str),
    'args': Field(as_str),
}
BOOLEANS = ('numa', 'tablet', 'kvm', 'acpi', 'localtime')


def check_flags(option, flags):
    """CPU flags as a list of '+flag'/'-flag': each one PVE lets a VM set, none twice."""
    items = flags if isinstance(flags, (list, tuple)) else [f for f in str(flags).split(';') if f]
    seen = set()
    for item in items:
        match = CPU_FLAG.match(str(item).strip())
        if not match:
            raise ValidationError(option, item, "is not a CPU flag: give '+flag' to enable or '-flag' to disable")
        if match.group(2) not in CPU_FLAGS:
            raise ValidationError(option, item, 'PVE refuses it (VM-specific CPU flags must be a subset of: '
                                                '{0})'.format(', '.join(CPU_FLAGS)))
        if match.group(2) in seen:
            raise ValidationError(option, item, 'names the flag {0} twice'.format(match.group(2)))
        seen.add(match.group(2))
    return [str(item).strip() for item in items]


def check_phys_bits(option, value):
    """qemu-server CPUConfig.pm parse_phys_bits."""
    text = str(value).strip()
    if text == 'host' or (text.isdigit() and 8 <= int(text) <= 64):
        return text
    raise ValidationError(option, value, "must be an integer between 8 and 64 or 'host'")


def check_cpu(value):
    """`cpu` as the play gives it -> ('text', the property string) or ('merge', {PVE key: value})."""
    if isinstance(value, dict):
        unknown = sorted(set(value) - set(CPU_OPTIONS))
        if unknown:
            raise ValidationError('cpu', value, 'unknown cpu options {0} (type, flags, hidden, phys_bits)'.format(
                ', '.join(unknown)))
        out = {}
        if value.get('type') is not None:
            if not CPU_TYPE.match(str(value['type'])):
                raise ValidationError('cpu.type', value['type'], 'is not a CPU type, such as host or x86-64-v2-AES')
            out['cputype'] = str(value['type'])
        if value.get('flags') is not None:
            out['flags'] = check_flags('cpu.flags', value['flags'])
        if value.get('hidden') is not None:
            try:
                out['hidden'] = as_bool(value['hidden'])
            except ValueError:
                raise ValidationError('cpu.hidden', value['hidden'], 'must be true or false')
        if value.get('phys_bits') is not None:
            out['phys-bits'] = check_phys_bits('cpu.phys_bits', value['phys_bits'])
        if not out:
            raise ValidationError('cpu', value, 'give at least one of type, flags, hidden, phys_bits')
        return ('merge', out)
    try:
        data = CPU.parse(value)
    except ValueError as exc:
        raise ValidationError('cpu', value, str(exc))
    if not CPU_TYPE.match(data.get('cputype', '')):
        raise ValidationError('cpu', value, 'is not a CPU type, such as host or x86-64-v2-AES')
    if data.get('flags'):
        check_flags('cpu', data['flags'])
    if data.get('phys-bits') is not None:
        check_phys_bits('cpu', data['phys-bits'])
    return ('text', str(value))


def cpu_value(wanted, current):
    """The `cpu` property to converge to: the play's keys merged into the current value; flags that equal the
    current ones as a set keep PVE's stored order (so nothing is rewritten)."""
    merged = CPU.parse(current or '')
    for key, item in wanted.items():
        if key == 'flags':
            if as_flags(item) == as_flags(merged.get('flags') or ''):
                continue
            merged['flags'] = ';'.join(item) if item else None
        elif key == 'hidden':
            merged['hidden'] = '1' if item else None
        else:
            merged[key] = item
    if not merged.get('cputype'):
        merged['cputype'] = 'kvm64'  # PVE's default type: a property with flags needs one
    return CPU.format(merged)


def check_settings(params, out):
    """The scalar CPU, memory-sharing and machine options into `out` (settings), each checked on its own."""
    p = params
    if p.get('cpu') is not None:
        out['cpu'] = check_cpu(p['cpu'])
    if p.get('vcpus') is not None:
        if p['vcpus'] < 1:
            raise ValidationError('vcpus', p['vcpus'], 'must be 1 or more (leave it out for all of cores x sockets)')
        out['vcpus'] = p['vcpus']
    if p.get('cpuunits') is not None:
        if not 1 <= p['cpuunits'] <= 262144:
            raise ValidationError('cpuunits', p['cpuunits'], 'must be 1-262144 (PVE on cgroup v2 uses at most 10000)')
        out['cpuunits'] = p['cpuunits']
    if p.get('cpulimit') is not None:
        if not 0 <= p['cpulimit'] <= 128:
            raise ValidationError('cpulimit', p['cpulimit'], 'must be 0 (no limit) to 128')
        out['cpulimit'] = p['cpulimit']
    if p.get('affinity') is not None:
        text = str(p['affinity']).strip()
        if text and not CPUSET.match(text):
            raise ValidationError('affinity', p['affinity'], 'is not a list of host CPUs such as 0,5,8-11')
        if text:
            cpu_ids(text, 'affinity', p['affinity'])
        out['affinity'] = text or ABSENT
    if p.get('hotplug') is not None:
        features = p['hotplug']
        for item in features:
            if item not in HOTPLUG:
                raise ValidationError('hotplug', item, 'is not a hotplug feature ({0})'.format(', '.join(HOTPLUG)))
        out['hotplug'] = ','.join(features) if features else '0'
    if p.get('hugepages') is not None:
        text = str(p['hugepages']).strip()
        if text not in HUGEPAGES + ('', 'none'):
            raise ValidationError('hugepages', p['hugepages'], 'must be any, 2 or 1024 (MiB), or none to remove it')
        out['hugepages'] = ABSENT if text in ('', 'none') else text
    if p.get('shares') is not None:
        if not 0 <= p['shares'] <= 50000:
            raise ValidationError('shares', p['shares'], 'must be 0 (no auto-ballooning) to 50000')
        out['shares'] = p['shares']
    for key in BOOLEANS:
        if p.get(key) is not None:
            out[key] = p[key]
    if p.get('keyboard') is not None:
        if p['keyboard'] not in KEYBOARDS + ('',):
            raise ValidationError('keyboard', p['keyboard'], 'is not a keyboard layout PVE knows ({0})'.format(
                ', '.join(KEYBOARDS)))
        out['keyboard'] = p['keyboard'] or ABSENT
    if p.get('args') is not None:
        out['args'] = p['args'] or ABSENT


def effective(current, desired):
    """The config after the plan: current with the desired keys set (ABSENT and None-valued ones removed)."""
    out = dict(current)
    for key, value in desired.items():
        if value is None or not isinstance(value, (str, int, float, bool)):
            out.pop(key, None)
        else:
            out[key] = value
    return out


def check_topology(config, memory_mib, numa_parse):
    """PVE's start-time checks of NUMA, hugepages and hotplug on the config the plan converges to (qemu-server
    src/PVE/QemuServer/Memory.pm config; QemuServer.pm vm_start's -smp): a ValidationError naming the option."""
    numa = as_bool(config.get('numa', 0))
    hotplug = as_hotplug(config.get('hotplug', ','.join(HOTPLUG_DEFAULT)))
    nodes = dict((k, numa_parse(v)) for k, v in config.items() if re.match(r'^numa\d+$', k))
    cores = as_int(config.get('cores', 1))
    sockets = as_int(config.get('sockets', 1))
    maxcpus = cores * sockets
    if config.get('vcpus') is not None and as_int(config['vcpus']) > maxcpus:
        raise ValidationError('vcpus', config['vcpus'], "is more than cores x sockets ({0}); PVE: you can't add more "
                                                        'vcpus than maxcpus'.format(maxcpus))
    if 'memory' in hotplug and not numa:
        raise ValidationError('hotplug', sorted(hotplug), 'memory hotplug needs numa: true (PVE: NUMA needs to be '
                                                          'enabled for memory hotplug)')
    if 'memory' in hotplug and nodes:
        raise ValidationError('hotplug', sorted(hotplug), 'PVE: cannot enable memory hotplugging with custom NUMA '
                                                          'topology (numa_nodes)')
    if config.get('hugepages') and not numa:
        raise ValidationError('hugepages', config['hugepages'], 'needs numa: true (PVE: numa needs to be enabled to '
                                                                'use hugepages)')
    if not nodes:
        return
    if not numa:
        raise ValidationError('numa_nodes', sorted(nodes), 'PVE uses NUMA nodes only with numa: true')
    total = 0
    for slot in sorted(nodes):
        node = nodes[slot]
        if not node.get('memory'):
            raise ValidationError('numa_nodes', slot, 'PVE: missing NUMA node{0} memory value'.format(slot[4:]))
        if node.get('cpus') is None:
            raise ValidationError('numa_nodes', slot, 'PVE: missing NUMA node{0} cpus'.format(slot[4:]))
        if node.get('hostnodes') is not None and not node.get('policy'):
            raise ValidationError('numa_nodes', slot, 'PVE: you need to define a policy for hostnode {0}'.format(
                node['hostnodes']))
        if node.get('hostnodes') is None and config.get('hugepages'):
            raise ValidationError('numa_nodes', slot, 'PVE: numa hostnodes need to be defined to use hugepages')
        over = sorted(i for i in cpu_ids(node['cpus'], 'numa_nodes', slot) if i >= maxcpus)
        if over:
            raise ValidationError('numa_nodes', slot, 'cpus {0} are beyond the VM\'s {1} vCPUs (cores x sockets; ids '
                                                      'start at 0)'.format(node['cpus'], maxcpus))
        total += as_number(node['memory'])
    if total != memory_mib:
        raise ValidationError('numa_nodes', sorted(nodes), 'the NUMA nodes have {0} MiB, the VM {1} MiB (PVE: total '
                                                           'memory for NUMA nodes must be equal to vm static '
                                                           'memory)'.format(total, memory_mib))
