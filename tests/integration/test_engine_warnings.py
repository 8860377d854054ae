"""The warnings of pve_vm and pve_lxc (PveModule.warn): what the user should know although the run succeeded -
changes a running guest keeps pending that the run did not apply, and sizes PVE keeps in whole KiB (VM disks)
or MiB (container volumes), so a fraction of that unit is rounded up."""

from test_lxc import add_ct, ct_task
from test_vm import add_vm, vm_task

PENDING = 'runs with changes PVE keeps pending until the guest restarts: memory. This run did not apply them'


def warnings_of(result):
    return ' '.join(result.get('warnings') or [])


def test_pending_change_of_a_running_vm_is_a_warning_until_applied(lab, play):
    """A running VM keeps a memory change pending (qemu-server vmconfig_hotplug_pending: memory hot-plug is off
    by default): the run and its rerun warn, and the run that reboots for it (apply_pending: reboot) does not."""
    add_vm(lab, 230, 'waits', status='running')
    first = play([vm_task(name='waits', memory=4096)]).assert_ok()
    assert first.task('vm')['pending'] == ['memory']
    assert 'VM 230 (waits) ' + PENDING in warnings_of(first.task('vm'))
    again = play([vm_task(name='waits', memory=4096)]).assert_ok()
    assert again.changed == 0 and again.writes == [] and PENDING in warnings_of(again.task('vm'))
    applied = play([vm_task(name='waits', memory=4096, apply_pending='reboot')]).assert_ok()
    assert applied.task('vm')['pending'] == [] and PENDING not in warnings_of(applied.task('vm'))


def test_pending_change_of_a_running_container_is_a_warning(lab, play):
    """A running container takes DNS settings only at its next start (pve-container LXC/Config.pm
    vmconfig_hotplug_pending): the run warns, naming the key."""
    add_ct(lab, 530, 'ct-waits', status='running')
    run = play([ct_task(name='ct-waits', nameserver=['192.0.2.53'])]).assert_ok()
    assert run.task('ct')['pending'] == ['nameserver']
    assert ('CT 530 (ct-waits) runs with changes PVE keeps pending until the guest restarts: nameserver. This run '
            'did not apply them') in warnings_of(run.task('ct'))


def test_vm_disk_size_that_is_not_whole_kib_is_rounded_up_with_a_warning(lab, play):
    """PVE allocates and resizes VM disks in whole KiB (qemu-server create_disks via PVE::Tools::convert_size
    rounds a fraction up): a size of 8 GiB and 616 bytes becomes 8 GiB and 1 KiB, and the play is told."""
    add_vm(lab, 231, 'odd-size')
    task = vm_task(name='odd-size', disks=[{'slot': 'scsi0', 'size': '8589935000'}])
    run = play([task]).assert_ok()
    assert ('disks[0].size: 8589935000 is not a whole number of KiB; PVE keeps VM disks in whole KiB, so the '
            'volume gets 8388609K (8589935616 bytes)') in warnings_of(run.task('vm'))
    assert 'size=8388609K' in lab.pve.vm(231).config['scsi0']
    again = play([task]).assert_ok()
    assert again.writes == [] and 'not a whole number of KiB' in warnings_of(again.task('vm'))
    whole = play([vm_task(name='odd-size', disks=[{'slot': 'scsi0', 'size': '8388609K'}])]).assert_ok()
    assert whole.writes == [] and 'not a whole number' not in warnings_of(whole.task('vm'))


def test_container_volume_size_that_is_not_whole_mib_is_rounded_up_with_a_warning(lab, play):
    """PVE allocates container volumes in whole MiB (pve-container LXC.pm create_disks): the collection rounds a
    fraction up, and says so."""
    ct = add_ct(lab, 531, 'odd-mount')
    mounts = [{'slot': 'mp1', 'storage': 'local-lvm', 'size': '2049K', 'path': '/data'}]
    run = play([ct_task(name='odd-mount', mounts=mounts)]).assert_ok()
    assert ('mounts[0].size: 2049K is not a whole number of MiB; PVE keeps container volumes in whole MiB, so '
            'the volume gets 3M (3145728 bytes)') in warnings_of(run.task('ct'))
    assert 'size=3M' in ct.config['mp1']
