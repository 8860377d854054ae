"""The lab's checks of issue 15's VM CPU settings, as PVE has them. Each test names the PVE source it follows."""

from labtools import error_of


def test_a_vms_cpu_flags_must_be_of_the_supported_set(lab, api):
    """qemu-server src/PVE/QemuServer/CPUConfig.pm validate_vm_cpu_conf (format pve-vm-cpu-conf) and
    src/PVE/QemuServer/CPUFlags.pm supported_cpu_flags_names: a VM's own `cpu` may only set the supported flags,
    refused as a 400 on `cpu`; the value is stored as sent."""
    lab.pve.add_vm(150, 'cpu', node='pve1', config={'cores': 2, 'memory': '2048'})
    err = error_of(api.put, '/nodes/pve1/qemu/150/config', cpu='host,flags=+aes;+avx')
    assert err.status == 400
    assert 'cpu: invalid format - VM-specific CPU flags must be a subset of: aes, amd-no-ssb, amd-ssbd, hv-evmcs, ' \
           'hv-tlbflush, ibpb, md-clear, nested-virt, pcid, pdpe1gb, spec-ctrl, ssbd, virt-ssbd' in str(err)
    err = error_of(api.put, '/nodes/pve1/qemu/150/config', cpu='host,reported-model=kvm64')
    assert "Property 'reported-model' not allowed in VM-specific CPU config." in str(err)
    api.put('/nodes/pve1/qemu/150/config', cpu='host,flags=-pcid;+aes,hidden=1')
    assert lab.pve.vm(150).config['cpu'] == 'host,flags=-pcid;+aes,hidden=1'


def test_schema_ranges_of_the_cpu_and_machine_keys(lab, api):
    """qemu-server src/PVE/QemuServer.pm $confdesc (fakepve was right): vcpus >= 1, cpuunits 1-262144, cpulimit
    0-128, shares 0-50000, keyboard of kvmkeymaplist, hugepages any|2|1024, hotplug features
    (pve-hotplug-features), numaN needs cpus (Memory.pm $numa_fmt), startup (pve-startup-order)."""
    lab.pve.add_vm(151, 'ranges', node='pve1', config={'cores': 2, 'memory': '2048'})
    for key, value, words in (('vcpus', 0, 'vcpus: value must have a minimum value of 1'),
                              ('cpuunits', 0, 'cpuunits: value must have a minimum value of 1'),
                              ('cpulimit', 200, 'cpulimit: value must have a maximum value of 128'),
                              ('shares', 60000, 'shares: value must have a maximum value of 50000'),
                              ('keyboard', 'xx', "keyboard: value 'xx' does not have a value in the enumeration"),
                              ('hugepages', '3', "hugepages: value '3' does not have a value in the enumeration"),
                              ('hotplug', 'foo', "hotplug: invalid format - invalid hotplug feature 'foo'"),
                              ('numa0', 'memory=1024', 'numa0.cpus: property is missing'),
                              ('startup', 'first', 'startup: invalid format - unable to parse startup options')):
        err = error_of(api.put, '/nodes/pve1/qemu/151/config', **{key: value})
        assert err.status == 400 and words in str(err), (key, str(err))
    assert 'vcpus' not in lab.pve.vm(151).config
