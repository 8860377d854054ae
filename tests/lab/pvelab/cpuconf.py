"""PVE's check of a VM's own `cpu` property (format pve-vm-cpu-conf), which fakepve's schema does not know.

qemu-server src/PVE/QemuServer/CPUConfig.pm validate_vm_cpu_conf: the flags of a VM-specific CPU config must
be `+flag`/`-flag` of the supported list (src/PVE/QemuServer/CPUFlags.pm $supported_vm_specific_cpu_flags_by_arch,
names sorted as supported_cpu_flags_names gives them); `reported-model` is for custom models only. The schema
check wraps the message as `cpu: invalid format - <message>` (a 400). Whether the cputype exists is not modelled.
"""

import re

from fakepve import formats

SUPPORTED_FLAGS = ('aes', 'amd-no-ssb', 'amd-ssbd', 'hv-evmcs', 'hv-tlbflush', 'ibpb', 'md-clear', 'nested-virt',
                   'pcid', 'pdpe1gb', 'spec-ctrl', 'ssbd', 'virt-ssbd')
FLAG = re.compile(r'^[+-](?:{0})$'.format('|'.join(re.escape(f) for f in SUPPORTED_FLAGS)))


def check_vm_cpu_conf(value):
    """PVE's message for a `cpu` value it refuses, or None."""
    parts = dict(part.split('=', 1) if '=' in part else ('cputype', part) for part in value.split(',') if part)
    if not parts.get('cputype'):
        return 'CPU is missing cputype'
    flags = parts.get('flags')
    if flags and not all(FLAG.match(flag) for flag in flags.split(';')):
        return 'VM-specific CPU flags must be a subset of: ' + ', '.join(SUPPORTED_FLAGS)
    if 'reported-model' in parts:
        return "Property 'reported-model' not allowed in VM-specific CPU config."
    return None


def register_cpu_format():
    formats.NAMED.setdefault('pve-vm-cpu-conf', check_vm_cpu_conf)
