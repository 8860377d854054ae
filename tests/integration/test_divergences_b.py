"""The collection against the lab behaviours the PVE audit corrected (tests/lab/test_lab_divergences_b.py):
each test drives a real playbook and checks the collection is right with PVE's behaviour."""

import pytest

from test_lxc import add_ct, ct_task
from test_passthrough import q35_vm, task
from test_vm import add_vm, vm_task


# ---------------------------------------------------------------------- 1. hostpci romfile

def test_romfile_needs_root_login_and_is_refused_before_any_write(lab, play):
    vm = q35_vm(lab)
    gpu = task('pve_hostpci', 'gpu', name='gpu-vm', host=['0000:01:00'], romfile='vbios.bin')
    run = play([gpu])
    result = run.task('gpu')
    assert result['failed'] and result['option'] == 'romfile'
    assert "romfile: 'vbios.bin' is invalid" in result['msg'] and 'only root@pam logged in with a password' in \
        result['msg']
    assert run.writes == [] and 'hostpci0' not in vm.config
    play([gpu], auth='password').assert_ok()
    assert vm.config['hostpci0'] == '0000:01:00,romfile=vbios.bin'
    assert play([gpu], auth='password').writes == []


# ---------------------------------------------------------------------- 2. guest agent of a VM that stopped

def test_guest_info_of_a_vm_that_stopped_meanwhile_has_no_addresses(lab, play):
    vm = add_vm(lab, 600, 'flicker', status='running', agent='1')
    vm.started_at = 1.0  # booted long ago: the agent answers

    def stop():
        vm.status = vm.qmpstatus = 'stopped'
    lab.pve.before_next('GET', '/qemu/600/agent/network-get-interfaces', stop)
    run = play([{'name': 'info', 'iac.proxmox.pve_guest_info': {'name': 'flicker', 'addresses': True}}]).assert_ok()
    [guest] = run.task('info')['guests']
    assert guest['vmid'] == 600 and guest['ip_addresses'] == [] and 'error' not in guest
    assert ('GET', '/nodes/pve1/qemu/600/agent/network-get-interfaces') in [(m, p) for m, p, _b in run.requests]


# ---------------------------------------------------------------------- 3. shutdown of a VM that stopped

def test_destroy_of_a_vm_that_stops_before_the_shutdown_arrives(lab, play):
    vm = add_vm(lab, 610, 'racing', status='running')

    def stop():
        vm.status = vm.qmpstatus = 'stopped'
    lab.pve.before_next('POST', '/qemu/610/status/shutdown', stop)
    run = play([vm_task(name='racing', state='absent')]).assert_ok()
    assert run.task('vm')['stopped'] == 'graceful' and lab.pve.vm(610) is None
    assert [p.rsplit('/', 1)[-1] for m, p in run.write_calls] == ['shutdown', '610']


def test_a_stopped_vm_is_never_sent_a_shutdown(lab, play):
    add_vm(lab, 611, 'idle')
    stopped = play([vm_task(name='idle', state='stopped')]).assert_ok()
    assert stopped.changed == 0 and stopped.writes == []
    gone = play([vm_task(name='idle', state='absent')]).assert_ok()
    assert [p.rsplit('/', 1)[-1] for m, p in gone.write_calls] == ['611']


# ---------------------------------------------------------------------- 4. vzdump to a storage losing backup content

def test_backup_storage_that_stops_taking_backups_fails_with_pves_words(lab, play):
    vm = add_vm(lab, 620, 'dumped')

    def no_backups():
        lab.pve.storages['nfs.01']['content'] = 'images,rootdir'
    lab.pve.before_next('POST', '/nodes/pve1/vzdump', no_backups)
    run = play([{'name': 'backup', 'iac.proxmox.pve_backup': {'name': 'dumped', 'storage': 'nfs.01'}}])
    msg = run.task('backup')['msg']
    assert "can't use storage 'nfs.01' for backups - wrong content type" in msg
    assert vm.lock is None and 'lock' not in vm.config
    # Checked before any write when the storage already is so.
    again = play([{'name': 'backup', 'iac.proxmox.pve_backup': {'name': 'dumped', 'storage': 'nfs.01'}}])
    assert again.task('backup')['msg'].startswith("storage: 'nfs.01' is invalid: does not take backups")
    assert again.writes == []


# ---------------------------------------------------------------------- 5. config updates

def test_a_nic_gets_pves_mac_and_the_rerun_sends_nothing(lab, play):
    vm = add_vm(lab, 630, 'nics')
    nets = [{'slot': 'net1', 'bridge': 'vmbr1', 'tag': 30}]
    run = play([vm_task(name='nics', nets=nets)]).assert_ok()
    assert run.task('vm')['changed_keys'] == ['net1']
    net1 = vm.config['net1']
    assert net1.startswith('virtio=BC:24:11:') and 'bridge=vmbr1' in net1 and 'tag=30' in net1
    again = play([vm_task(name='nics', nets=nets)]).assert_ok()
    assert again.changed == 0 and again.writes == []
    retag = play([vm_task(name='nics', nets=[{'slot': 'net1', 'tag': 31}])]).assert_ok()
    assert retag.changed == 1 and vm.config['net1'].split(',')[0] == net1.split(',')[0]  # the MAC is kept
    assert all(body for _m, _p, body in run.writes + retag.writes)  # never an empty update


def test_balloon_above_the_vms_memory_is_refused_before_any_write(lab, play):
    add_vm(lab, 631, 'mem')  # memory 2048
    run = play([vm_task(name='mem', balloon=4096)])
    result = run.task('vm')
    assert result['option'] == 'balloon' and 'must not be more than the memory of the VM (2048 MiB)' in result['msg']
    assert run.writes == []
    play([vm_task(name='mem', balloon=1024)]).assert_ok()
    assert play([vm_task(name='mem', balloon=1024)]).writes == []


# ---------------------------------------------------------------------- 6. containers: what only root@pam may do

def test_root_only_container_options_are_refused_to_a_token_before_any_write(lab, play):
    ct = add_ct(lab, 640, 'tok', features='nesting=1')
    flags = play([ct_task(name='tok', features={'nesting': True, 'keyctl': True})])
    result = flags.task('ct')
    assert result['option'] == 'features' and 'change feature flags other than nesting (keyctl)' in result['msg']
    assert 'only root@pam logged in with a password' in result['msg'] and flags.writes == []
    bind = play([ct_task(name='tok', mounts=[{'slot': 'mp0', 'host_path': '/srv/shared-data', 'path': '/mnt/s'}])])
    assert bind.task('ct')['option'] == 'mounts[0].host_path' and bind.writes == []
    assert 'use bind or device mount points' in bind.task('ct')['msg']
    nesting = play([ct_task(name='tok', features={'nesting': False})]).assert_ok()  # nesting alone: a token may
    assert nesting.changed == 1 and 'features' not in ct.config
    root = play([ct_task(name='tok', features={'keyctl': True})], auth='password').assert_ok()
    assert root.changed == 1 and ct.config['features'] == 'keyctl=1'


# ---------------------------------------------------------------------- 7. container cpuunits

def test_container_cpuunits_above_what_pve_stores_is_refused(lab, play):
    ct = add_ct(lab, 650, 'weights')
    run = play([ct_task(name='weights', cpuunits=20000)])
    assert run.task('ct')['option'] == 'cpuunits' and 'must be 0-10000' in run.task('ct')['msg']
    assert run.writes == []
    play([ct_task(name='weights', cpuunits=10000)]).assert_ok()
    assert str(ct.config['cpuunits']) == '10000'
    again = play([ct_task(name='weights', cpuunits=10000)]).assert_ok()
    assert again.changed == 0 and again.writes == []


# ---------------------------------------------------------------------- 8. container resize, answer lost

def resize_after_a_lost_answer(lab, play):
    ct = add_ct(lab, 660, 'grower', mp0='local-lvm:vm-660-disk-1,mp=/data,size=2G')
    lab.pve.lose_answers('PUT', '/lxc/660/resize')
    run = play([ct_task(name='grower', mounts=[{'slot': 'mp0', 'size': '3G'}])]).assert_ok()
    assert run.changed == 1 and 'size=3G' in ct.config['mp0']
    assert run.write_calls.count(('PUT', '/nodes/pve1/lxc/660/resize')) == 2  # the repeat was refused, then read
    again = play([ct_task(name='grower', mounts=[{'slot': 'mp0', 'size': '3G'}])]).assert_ok()
    assert again.changed == 0 and again.writes == []


def test_container_resize_whose_answer_was_lost_settles(lab, play):
    resize_after_a_lost_answer(lab, play)


@pytest.mark.lab(time_scale=0.01)
def test_container_resize_whose_answer_was_lost_settles_while_the_task_runs(lab, play):
    resize_after_a_lost_answer(lab, play)


# ---------------------------------------------------------------------- 9. where VM checks run

def test_another_writer_before_an_async_config_write_is_ridden_out(lab, play):
    vm = add_vm(lab, 670, 'busy')

    def other_writer():
        vm.config['description'] = 'someone else'
    lab.pve.before_next('POST', '/qemu/670/config', other_writer)
    disks = [{'slot': 'scsi1', 'storage': 'local-lvm', 'size': '2G'}]
    run = play([vm_task(name='busy', disks=disks)]).assert_ok()
    assert vm.config['scsi1'].startswith('local-lvm:vm-670-disk-') and vm.config['description'] == 'someone else'
    posts = [p for m, p in run.write_calls if p.endswith('/config')]
    assert posts == ['/nodes/pve1/qemu/670/config'] * 2  # refused for the digest, then sent again
    assert play([vm_task(name='busy', disks=disks)]).writes == []


def test_vm_disk_resize_whose_answer_was_lost_settles(lab, play):
    vm = add_vm(lab, 680, 'vmgrow')
    lab.pve.lose_answers('PUT', '/qemu/680/resize')
    run = play([vm_task(name='vmgrow', disks=[{'slot': 'scsi0', 'size': '10G'}])]).assert_ok()
    assert run.changed == 1 and 'size=10G' in vm.config['scsi0']
    assert play([vm_task(name='vmgrow', disks=[{'slot': 'scsi0', 'size': '10G'}])]).writes == []
