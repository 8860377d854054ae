"""The pure logic of issue 15's CPU, NUMA, hotplug and start settings: checks and normalizers, no lab."""

import pytest

from ansible_collections.iac.proxmox.plugins.module_utils._diff import ABSENT
from ansible_collections.iac.proxmox.plugins.module_utils._dev_numa import id_list, parse_node
from ansible_collections.iac.proxmox.plugins.module_utils._errors import ValidationError
from ansible_collections.iac.proxmox.plugins.module_utils._specbase import check_hookscript, check_startup
from ansible_collections.iac.proxmox.plugins.module_utils._vm_cpu import (FIELDS, as_hotplug, check_cpu,
                                                                          check_topology, cpu_value)


def test_cpu_dict_merges_and_keeps_pves_flag_order():
    how, wanted = check_cpu({'flags': ['+aes', '-pcid']})
    assert how == 'merge'
    assert cpu_value(wanted, 'host,flags=-pcid;+aes,hidden=1') == 'host,flags=-pcid;+aes,hidden=1'
    assert cpu_value(check_cpu({'flags': ['+aes']})[1], 'host,flags=-pcid;+aes') == 'host,flags=+aes'
    assert cpu_value(check_cpu({'hidden': False})[1], 'host,hidden=1') == 'host'
    assert cpu_value(check_cpu({'phys_bits': 40})[1], None) == 'kvm64,phys-bits=40'


def test_cpu_field_compares_flags_as_a_set_and_the_default_type():
    field = FIELDS['cpu']
    assert field.norm('host,flags=+aes;-pcid') == field.norm('host,flags=-pcid;+aes')
    assert field.norm(None) == field.norm('kvm64') and field.norm('host,hidden=0') == field.norm('host')


@pytest.mark.parametrize('value, option, reason', [
    ({'flags': ['+avx']}, 'cpu.flags', 'VM-specific CPU flags must be a subset of'),
    ({'flags': ['+aes', '-aes']}, 'cpu.flags', 'twice'),
    ({'phys_bits': 7}, 'cpu.phys_bits', 'between 8 and 64'),
    ({}, 'cpu', 'at least one'),
    ('host,flags=+nx', 'cpu', 'subset'),
    ('host;rm', 'cpu', 'not a CPU type'),
])
def test_bad_cpu_values(value, option, reason):
    with pytest.raises(ValidationError) as err:
        check_cpu(value)
    assert err.value.option == option and reason in str(err.value)


def test_hotplug_as_a_set():
    assert as_hotplug('1') == as_hotplug('network,disk,usb') == as_hotplug(['usb', 'disk', 'network'])
    assert as_hotplug('0') == frozenset()


def test_startup_dict_and_string():
    assert check_startup('startup', {'order': 1, 'up': 30}) == 'order=1,up=30'
    assert check_startup('startup', '2,up=5') == '2,up=5'
    assert check_startup('startup', {}) is ABSENT and check_startup('startup', '') is ABSENT
    for bad in ({'order': -1}, {'first': 1}, 'soon'):
        with pytest.raises(ValidationError):
            check_startup('startup', bad)


def test_hookscript_syntax():
    assert check_hookscript('hookscript', 'local:snippets/hook.pl') == 'local:snippets/hook.pl'
    assert check_hookscript('hookscript', '') is ABSENT
    for bad in ('hook.pl', 'local:iso/hook.pl', 'local:snippets/a/b.pl'):
        with pytest.raises(ValidationError):
            check_hookscript('hookscript', bad)


def test_numa_id_lists():
    assert id_list('cpus', [0, 1, '4-5']) == '0;1;4-5'
    assert id_list('cpus', '0-1,3') == '0-1;3'
    with pytest.raises(ValidationError):
        id_list('cpus', '1-a')


def test_topology_checks_follow_pves_start_checks():
    config = {'cores': 2, 'sockets': 1, 'numa': 1, 'numa0': 'cpus=0,memory=512', 'numa1': 'cpus=1,memory=512'}
    check_topology(config, 1024, parse_node)
    with pytest.raises(ValidationError, match='must be equal to vm static memory'):
        check_topology(config, 2048, parse_node)
    with pytest.raises(ValidationError, match='custom NUMA topology'):
        check_topology(dict(config, hotplug='memory'), 1024, parse_node)
    with pytest.raises(ValidationError, match='hostnodes need to be defined to use hugepages'):
        check_topology(dict(config, hugepages='2'), 1024, parse_node)
    with pytest.raises(ValidationError, match='maxcpus'):
        check_topology({'cores': 2, 'vcpus': 3}, 512, parse_node)
