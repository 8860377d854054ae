"""pve_vm where PVE decides more than the play says: the Windows machine pin and hibernated VMs (the lab models
both after qemu-server; see tests/lab/test_lab_vm.py)."""

import pytest

GOLDEN = 'debian-12-golden'


def vm_task(task='vm', **args):
    return {'name': task, 'iac.proxmox.pve_vm': args}


def hibernated(lab, vmid, name, **config):
    """A clone of the golden template, started and then hibernated (`qm suspend --todisk`) through the lab."""
    pve = lab.pve
    lab.call(pve._qm_clone({'node': 'pve1', 'vmid': 9000, 'newid': vmid, 'name': name, 'full': 1}, 'root@pam'))
    vm = pve.vm(vmid)
    vm.config.update(config)
    lab.call(pve._do_start(vm, 'root@pam', {}))
    lab.call(pve._do_suspend(vm, 'root@pam', {'todisk': 1}))
    assert vm.status == 'stopped' and vm.config['lock'] == 'suspended' and vm.config.get('vmstate')
    return vm


# ---------------------------------------------------------------------- hibernation

def test_started_resumes_a_hibernated_vm_instead_of_waiting_for_its_lock(lab, play):
    vm = hibernated(lab, 230, 'sleeper')
    check = play([vm_task(name='sleeper', state='started', lock_timeout=5)], check=True, diff=True).assert_ok()
    assert check.writes == [] and vm.status == 'stopped'
    result = check.task('vm')
    assert result['changed'] is True and result['plan'] == ['resume VM 230 (sleeper) from hibernation (start)']
    assert result['diff']['before']['status'] == 'hibernated' and result['diff']['after']['status'] == 'running'

    run = play([vm_task(name='sleeper', state='started', cores=3, lock_timeout=5)]).assert_ok()
    result = run.task('vm')
    assert result['changed'] is True and result['status'] == 'running'
    assert run.write_calls[0] == ('POST', '/nodes/pve1/qemu/230/status/start')
    assert vm.status == 'running' and 'lock' not in vm.config and 'vmstate' not in vm.config
    # The resumed VM runs: cores is a hot change here; the start came first, the config write after it.
    assert [p for _m, p in run.write_calls] == ['/nodes/pve1/qemu/230/status/start', '/nodes/pve1/qemu/230/config']

    again = play([vm_task(name='sleeper', state='started', cores=3)]).assert_ok()
    assert again.changed == 0 and again.writes == []


def test_restarted_resumes_a_hibernated_vm_once(lab, play):
    vm = hibernated(lab, 232, 'sleeper-3')
    run = play([vm_task(name='sleeper-3', state='restarted', lock_timeout=5)]).assert_ok()
    assert [p for _m, p in run.write_calls] == ['/nodes/pve1/qemu/232/status/start']
    assert vm.status == 'running' and 'lock' not in vm.config


def test_a_hibernated_vm_kept_stopped_is_left_alone_or_refused_at_once(lab, play):
    vm = hibernated(lab, 231, 'sleeper-2')
    same = play([vm_task(name='sleeper-2', state='stopped')]).assert_ok()
    assert same.changed == 0 and same.writes == []
    run = play([vm_task(name='sleeper-2', state='stopped', cores=4, lock_timeout=5)])
    msg = run.task('vm')['msg']
    assert run.writes == []
    assert msg.startswith('VM 231 (sleeper-2) is hibernated (lock: suspended, its memory saved in '
                          'local-lvm:vm-231-state-suspend-'), msg
    assert 'Use state: started to resume it' in msg
    assert vm.config['lock'] == 'suspended' and vm.status == 'stopped'


# ---------------------------------------------------------------------- the Windows machine pin

def test_a_pinned_machine_version_satisfies_the_unversioned_type(lab, play):
    """PVE pins a Windows VM's machine at create (pc-q35-X.Y+pveN); `machine: q35` is then satisfied, the rerun
    writes nothing; a play naming a version gets it, and keeps it while it names only q35 again."""
    task = vm_task(name='win-01', node='pve1', ostype='win11', machine='q35', cores=2, memory=4096, bios='ovmf')
    first = play([task]).assert_ok()
    assert first.write_calls == [('POST', '/nodes/pve1/qemu')]
    [vm] = [v for v in lab.pve.vms if v.name == 'win-01']
    assert vm.config['machine'] == 'pc-q35-10.0+pve1'
    again = play([task], diff=True).assert_ok()
    assert again.changed == 0 and again.writes == []
    check = play([task], check=True).assert_ok()
    assert check.changed == 0 and check.writes == []

    # A version named in the play converges; q35 alone keeps it from then on.
    older = play([dict(task, **{'iac.proxmox.pve_vm': dict(task['iac.proxmox.pve_vm'], machine='pc-q35-9.2+pve1')})],
                 diff=True).assert_ok()
    assert older.task('vm')['changed'] is True and vm.config['machine'] == 'pc-q35-9.2+pve1'
    assert older.task('vm')['diff']['before']['machine'] == 'pc-q35-10.0+pve1'
    assert play([task]).assert_ok().writes == []
    # Other machine keys are added to the pinned type, not instead of it.
    viommu = vm_task(name='win-01', machine='type=q35,viommu=intel')
    assert play([viommu]).assert_ok().changed == 1 and vm.config['machine'] == 'pc-q35-9.2+pve1,viommu=intel'
    assert play([viommu]).assert_ok().writes == []
    # Another base type is a change.
    i440fx = vm_task(name='win-01', machine='i440fx')
    assert play([i440fx]).assert_ok().changed == 1 and vm.config['machine'] == 'pc'
    assert play([i440fx]).assert_ok().writes == []


def test_ostype_changed_to_windows_keeps_the_pin_pve_adds(lab, play):
    """Only ostype changes (machine: q35 is already so): PVE pins the machine with that write; the rerun is
    unchanged."""
    play([vm_task(name='to-win', node='pve1', ostype='l26', machine='q35')]).assert_ok()
    task = vm_task(name='to-win', ostype='win11', machine='q35')
    run = play([task]).assert_ok()
    assert run.task('vm')['changed_keys'] == ['ostype']
    [vm] = [v for v in lab.pve.vms if v.name == 'to-win']
    assert vm.config['machine'] == 'pc-q35-10.0+pve1' and vm.config['ostype'] == 'win11'
    again = play([task]).assert_ok()
    assert again.changed == 0 and again.writes == []


@pytest.mark.parametrize('machine, words', [
    ('x86', 'is not a machine type PVE knows'),
    ('q35,iommu=on', 'unknown machine keys iommu'),
    ('q35,viommu=amd', 'viommu must be intel or virtio'),
])
def test_a_bad_machine_is_refused_before_any_write(lab, play, machine, words):
    run = play([vm_task(name='bad-machine', clone=GOLDEN, machine=machine)])
    msg = run.task('vm')['msg']
    assert run.writes == [] and msg.startswith('machine: ') and words in msg, msg
