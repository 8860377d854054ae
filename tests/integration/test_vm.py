"""iac.proxmox.pve_vm end to end: real playbooks against the lab, asserting on results, on the lab's state and
on its request log."""

import sys

import pytest

GOLDEN = 'debian-12-golden'
GOLDEN_SHARED = 'debian-12-golden-shared'
SSH_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHVtZXN0IGtleSBmb3IgdGVzdHM= admin@ci'


def vm_task(task='vm', **args):
    return {'name': task, 'iac.proxmox.pve_vm': args}


def guests_named(lab, name):
    return [vm for vm in lab.pve.vms if vm.name == name]


def add_vm(lab, vmid, name, status='stopped', node='pve1', **config):
    base = {'name': name, 'cores': 2, 'memory': '2048', 'scsihw': 'virtio-scsi-single', 'bios': 'ovmf',
            'scsi0': 'local-lvm:vm-{0}-disk-0,size=8G'.format(vmid), 'net0': 'virtio=BC:24:11:00:00:{0:02X},bridge=vmbr0'
            .format(vmid % 256), 'ide2': 'local-lvm:vm-{0}-cloudinit,media=cdrom'.format(vmid)}
    base.update(config)
    lab.pve.storages['local-lvm'].setdefault('volumes', {})['vm-{0}-disk-0'.format(vmid)] = {
        'content': 'images', 'format': 'raw', 'size': 8 * 1024 ** 3, 'vmid': vmid, 'ctime': 0}
    return lab.pve.add_vm(vmid, name, node=node, status=status, config=base)


# ---------------------------------------------------------------------- identity and creation

def test_clone_by_name_twice_gives_one_vm_and_rerun_writes_nothing(lab, play):
    task = vm_task(name='web-01', clone=GOLDEN, cores=4, memory='4G', tags=['Web', 'prod'], state='started')
    first = play([task]).assert_ok()
    result = first.task('vm')
    assert result['changed'] is True and result['status'] == 'running'
    assert result['plan'][0] == 'clone VM 9000 (debian-12-golden) to new VM web-01 on pve1'
    [vm] = guests_named(lab, 'web-01')
    assert vm.vmid == result['vmid'] and vm.status == 'running'
    assert vm.config['cores'] in ('4', 4) and vm.config['memory'] == '4096' and vm.config['tags'] == 'prod;web'
    assert sum(1 for m, p in first.write_calls if p.endswith('/clone')) == 1
    # One config write after the clone converges the rest of the spec.
    assert sum(1 for m, p in first.write_calls if p.endswith('/config')) == 1

    second = play([task]).assert_ok()
    assert second.changed == 0 and second.writes == []
    assert len(guests_named(lab, 'web-01')) == 1
    # 'Web' is stored as the datacenter's tag-style says (case-sensitive or not): one GET /cluster/options more.
    assert len(second.requests) <= 4, second.calls


def test_check_mode_writes_nothing_and_shows_the_plan(lab, play):
    task = vm_task(name='web-02', clone=GOLDEN, memory=4096, disks=[{'slot': 'scsi0', 'size': '20G'}],
                   state='started')
    run = play([task], check=True, diff=True).assert_ok()
    result = run.task('vm')
    assert run.writes == []
    assert guests_named(lab, 'web-02') == []
    assert result['changed'] is True and result['vmid'] is None
    assert result['plan'] == [
        'clone VM 9000 (debian-12-golden) to new VM web-02 on pve1',
        'set config of VM web-02: memory',
        'resize scsi0 of VM web-02 from 8G to 20G',
        'start VM web-02',
    ]
    assert result['diff']['after']['memory'] == 4096


def test_check_mode_on_existing_vm_plans_power_and_config(lab, play):
    add_vm(lab, 120, 'app-01')
    run = play([vm_task(name='app-01', cores=8, state='started')], check=True).assert_ok()
    assert run.writes == []
    assert run.task('vm')['plan'] == ['set config of VM 120 (app-01): cores', 'start VM 120 (app-01)']
    assert lab.pve.vm(120).config['cores'] == 2 and lab.pve.vm(120).status == 'stopped'


def test_clone_keeps_efi_attributes_and_puts_disks_on_dotted_storage(lab, play):
    # To another node: from the template whose volumes are on the shared nfs.01 (PVE refuses local ones).
    run = play([vm_task(name='efi-01', clone=GOLDEN_SHARED, storage='nfs.01', node='pve2',
                        disks=[{'slot': 'scsi1', 'storage': 'nfs.01', 'size': '4G', 'format': 'qcow2'}])]).assert_ok()
    vm = guests_named(lab, 'efi-01')[0]
    assert vm.node == 'pve2' and run.task('vm')['node'] == 'pve2'
    assert vm.config['efidisk0'].startswith('nfs.01:') and 'efitype=4m' in vm.config['efidisk0']
    assert 'pre-enrolled-keys=1' in vm.config['efidisk0']
    assert vm.config['tpmstate0'].startswith('nfs.01:') and 'version=v2.0' in vm.config['tpmstate0']
    assert vm.config['scsi1'].startswith('nfs.01:{0}/vm-{0}-disk-'.format(vm.vmid)) and '.qcow2' in vm.config['scsi1']
    # Changing the EFI type of an existing EFI disk is refused, nothing written.
    bad = play([vm_task(name='efi-01', efidisk={'efitype': '2m'})])
    assert 'efidisk.efitype can only be set when the EFI disk is created' in bad.task('vm')['msg']
    assert bad.writes == []


def test_clone_to_another_node_from_local_storage_is_refused_before_any_write(lab, play):
    """PVE's clone_vm refuses a target node when a source volume is on local storage; the module says so first,
    naming the volumes and the ways out, in check mode too."""
    for check in (True, False):
        run = play([vm_task(name='far-01', clone=GOLDEN, storage='nfs.01', node='pve2')], check=check)
        msg = run.task('vm')['msg']
        assert run.writes == [] and guests_named(lab, 'far-01') == []
        assert msg.startswith("node: 'pve2' is invalid: PVE clones to another node only from shared storage, and "
                              'VM 9000 (debian-12-golden) on pve1 has volumes on local storage: efidisk0 '
                              '(local-lvm:base-9000-disk-0), ide2 (local-lvm:vm-9000-cloudinit), scsi0 '
                              '(local-lvm:base-9000-disk-2), tpmstate0 (local-lvm:base-9000-disk-1). Nothing was '
                              'cloned.'), msg
        assert 'a template whose volumes are on shared storage (shared storages for VM disks: nfs.01)' in msg
        assert 'one template per node' in msg
    # A local target storage cannot be on another node either.
    run = play([vm_task(name='far-02', clone=GOLDEN_SHARED, storage='local-lvm', node='pve2')])
    assert run.writes == [] and "can't clone to non-shared storage 'local-lvm'" in run.task('vm')['msg']
    # From shared storage: a linked clone onto pve2 works, and the rerun writes nothing.
    task = vm_task(name='far-03', clone=GOLDEN_SHARED, full=False, node='pve2', cores=3)
    first = play([task]).assert_ok()
    [vm] = guests_named(lab, 'far-03')
    assert vm.node == 'pve2' and first.task('vm')['node'] == 'pve2'
    again = play([task]).assert_ok()
    assert again.changed == 0 and again.writes == []


def test_create_from_scratch_with_devices(lab, play):
    task = vm_task(name='scratch-01', node='pve1', cores=2, memory=1024, bios='ovmf', machine='q35', ostype='l26',
                   scsihw='virtio-scsi-single', agent=True, onboot=True, description='built by a test',
                   disks=[{'slot': 'scsi0', 'storage': 'local-lvm', 'size': '16G', 'discard': True, 'ssd': True}],
                   efidisk={'storage': 'local-lvm', 'efitype': '4m', 'pre_enrolled_keys': True},
                   tpm={'storage': 'local-lvm', 'version': 'v2.0'},
                   nets=[{'slot': 'net0', 'bridge': 'vmbr0', 'firewall': True}], boot=['scsi0', 'net0'])
    run = play([task]).assert_ok()
    [vm] = guests_named(lab, 'scratch-01')
    assert run.write_calls == [('POST', '/nodes/pve1/qemu')]
    assert vm.config['scsi0'].startswith('local-lvm:vm-{0}-disk-'.format(vm.vmid)) and 'size=16G' in vm.config['scsi0']
    assert 'discard=on' in vm.config['scsi0'] and 'ssd=1' in vm.config['scsi0']
    assert vm.config['boot'] == 'order=scsi0;net0' and vm.config['onboot'] in (1, '1')
    assert vm.config['net0'].startswith('virtio=') and 'firewall=1' in vm.config['net0']
    again = play([task]).assert_ok()
    assert again.changed == 0 and again.writes == []


def test_parallel_forks_create_distinct_vms(lab, play):
    hosts = ['par-{0:02d}'.format(n) for n in range(1, 11)]
    inventory = '[guests]\n' + ''.join('{0} ansible_connection=local ansible_python_interpreter={1}\n'.format(
        h, sys.executable) for h in hosts)
    task = vm_task(name='{{ inventory_hostname }}', clone=GOLDEN, cores=1)
    run = play([task], hosts='guests', inventory=inventory, args=('--forks', '10')).assert_ok()
    assert run.changed == 10
    made = [vm for vm in lab.pve.vms if vm.name.startswith('par-')]
    assert sorted(vm.name for vm in made) == hosts
    assert len(set(vm.vmid for vm in made)) == 10
    results = [r['result'] for r in run.results if r['task'] == 'vm']
    assert sorted(r['vmid'] for r in results) == sorted(vm.vmid for vm in made)


def test_vmid_of_the_clone_source_is_not_renamed(lab, play):
    run = play([vm_task(name='web-09', vmid=9000, clone=GOLDEN)])
    assert run.task('vm')['msg'].startswith("vmid: 9000 is invalid: is VM 9000 (debian-12-golden) already; with "
                                            'clone, vmid is the ID for the new VM web-09')
    assert run.writes == [] and lab.pve.vm(9000).name == GOLDEN


def test_a_clone_named_like_its_source_does_not_change_the_source(lab, play):
    """`name` is how a rerun finds the clone, so a play cloning X into a guest named X found X itself and converged
    the template with the play's settings (cores, disks, cloud-init). Refused, naming the source."""
    before = dict(lab.pve.vm(9000).config)
    for task in (vm_task(name=GOLDEN, clone=GOLDEN, cores=4, memory='8G'),
                 vm_task(name=GOLDEN, vmid=9000, clone=9000, cores=4)):
        for check in (True, False):
            run = play([task], check=check)
            msg = run.task('vm')['msg']
            assert 'is the clone source VM 9000 (debian-12-golden) itself' in msg, msg
            assert run.writes == []
    assert lab.pve.vm(9000).config == before


def test_ambiguous_name_lists_the_vmids(lab, play):
    add_vm(lab, 130, 'twin')
    add_vm(lab, 131, 'twin', node='pve2')
    run = play([vm_task(name='twin', cores=4)])
    msg = run.task('vm')['msg']
    assert msg.startswith("name: 'twin' is invalid: names must be unique")
    assert '130 (qemu on pve1), 131 (qemu on pve2)' in msg
    assert run.writes == []


# ---------------------------------------------------------------------- settings and devices

def test_backup_flag_and_link_down_toggle_idempotently(lab, play):
    add_vm(lab, 140, 'toggle')
    off = vm_task(name='toggle', disks=[{'slot': 'scsi0', 'backup': False}], nets=[{'slot': 'net0', 'link_down': True}])
    first = play([off], diff=True).assert_ok()
    vm = lab.pve.vm(140)
    assert 'backup=0' in vm.config['scsi0'] and 'link_down=1' in vm.config['net0']
    assert vm.config['net0'].startswith('virtio=BC:24:11:00:00:8C')  # the MAC is kept
    assert sorted(first.task('vm')['changed_keys']) == ['net0', 'scsi0']
    assert play([off]).writes == []
    on = vm_task(name='toggle', disks=[{'slot': 'scsi0', 'backup': True}], nets=[{'slot': 'net0', 'link_down': False}])
    play([on]).assert_ok()
    assert 'backup' not in vm.config['scsi0'] and 'link_down' not in vm.config['net0']
    assert play([on]).writes == []


def test_slots_not_listed_are_left_alone_and_removal_keeps_the_volume(lab, play):
    add_vm(lab, 150, 'keep', scsi1='local-lvm:vm-150-disk-1,size=4G', net1='virtio=BC:24:11:00:01:50,bridge=vmbr1')
    lab.pve.storages['local-lvm']['volumes']['vm-150-disk-1'] = {'content': 'images', 'format': 'raw',
                                                                 'size': 4 * 1024 ** 3, 'vmid': 150, 'ctime': 0}
    run = play([vm_task(name='keep', memory=1024, nets=[{'slot': 'net0', 'tag': 5}])]).assert_ok()
    vm = lab.pve.vm(150)
    assert vm.config['scsi1'] == 'local-lvm:vm-150-disk-1,size=4G' and vm.config['net1'].endswith('bridge=vmbr1')
    assert 'delete' not in str(run.writes)
    play([vm_task(name='keep', disks=[{'slot': 'scsi1', 'state': 'absent'}])]).assert_ok()
    assert 'scsi1' not in vm.config and vm.config['unused0'] == 'local-lvm:vm-150-disk-1'
    assert 'vm-150-disk-1' in lab.pve.storages['local-lvm']['volumes']
    purge = play([vm_task(name='keep', disks=[{'slot': 'scsi1', 'state': 'absent'}], purge_volumes=True)]).assert_ok()
    # The disk was already detached: purging its leftover volume needs the unused entry, which this play does
    # not name, so nothing is deleted behind the user's back.
    assert purge.changed == 0 and vm.config.get('unused0') == 'local-lvm:vm-150-disk-1'


def test_purge_volumes_deletes_a_removed_disk(lab, play):
    add_vm(lab, 151, 'purge', scsi1='local-lvm:vm-151-disk-1,size=4G')
    lab.pve.storages['local-lvm']['volumes']['vm-151-disk-1'] = {'content': 'images', 'format': 'raw',
                                                                 'size': 4 * 1024 ** 3, 'vmid': 151, 'ctime': 0}
    run = play([vm_task(name='purge', disks=[{'slot': 'scsi1', 'state': 'absent'}], purge_volumes=True)]).assert_ok()
    vm = lab.pve.vm(151)
    assert 'scsi1' not in vm.config and not any(k.startswith('unused') for k in vm.config)
    assert 'vm-151-disk-1' not in lab.pve.storages['local-lvm']['volumes']
    assert run.task('vm')['plan'][-1] == 'delete the volumes local-lvm:vm-151-disk-1 (purge_volumes)'


def test_disk_grows_and_never_shrinks(lab, play):
    add_vm(lab, 160, 'grow')
    grow = play([vm_task(name='grow', disks=[{'slot': 'scsi0', 'size': '12G'}])]).assert_ok()
    assert grow.write_calls == [('PUT', '/nodes/pve1/qemu/160/resize')]
    assert 'size=12G' in lab.pve.vm(160).config['scsi0']
    assert play([vm_task(name='grow', disks=[{'slot': 'scsi0', 'size': '12G'}])]).writes == []
    shrink = play([vm_task(name='grow', disks=[{'slot': 'scsi0', 'size': '10G'}])])
    assert shrink.task('vm')['msg'] == 'disks[0]: disks can only grow: scsi0 is 12G, the play asks for 10G'
    assert shrink.writes == []


def test_tpm_false_removes_it(lab, play):
    add_vm(lab, 170, 'tpm', tpmstate0='local-lvm:vm-170-disk-5,size=4M,version=v2.0')
    play([vm_task(name='tpm', tpm=False)]).assert_ok()
    vm = lab.pve.vm(170)
    assert 'tpmstate0' not in vm.config and vm.config['unused0'] == 'local-lvm:vm-170-disk-5'
    assert play([vm_task(name='tpm', tpm=False)]).writes == []


def test_cloudinit_regenerated_only_when_changed_and_password_never_shown(lab, play):
    add_vm(lab, 180, 'ci')
    ci = {'user': 'admin', 'password': 'Sup3rSecret!', 'ssh_keys': [SSH_KEY], 'nameserver': ['192.0.2.53'],
          'ipconfig': [{'ip': '10.0.0.5/24', 'gw': '10.0.0.1'}]}
    first = play([vm_task(name='ci', cloudinit=ci)], diff=True, args=('-vvv',)).assert_ok()
    vm = lab.pve.vm(180)
    assert vm.cloudinit_generated == 1
    assert vm.config['cipassword'].startswith('$5$') and vm.config['ciuser'] == 'admin'
    assert vm.config['ipconfig0'] == 'gw=10.0.0.1,ip=10.0.0.5/24'
    assert 'Sup3rSecret!' not in first.stdout + first.stderr
    assert first.task('vm')['config']['cipassword'] == '********'
    again = play([vm_task(name='ci', cloudinit=ci)]).assert_ok()
    assert again.changed == 0 and again.writes == [] and vm.cloudinit_generated == 1
    changed = play([vm_task(name='ci', cloudinit=dict(ci, ipconfig=[{'ip': 'dhcp'}]))]).assert_ok()
    assert vm.config['ipconfig0'] == 'ip=dhcp' and vm.cloudinit_generated == 2
    assert changed.task('vm')['changed_keys'] == ['ipconfig0']


# ---------------------------------------------------------------------- power and pending

def test_pending_change_reported_then_applied_by_reboot(lab, play):
    add_vm(lab, 190, 'pend', status='running', agent='1')
    run = play([vm_task(name='pend', memory=4096)]).assert_ok()
    result = run.task('vm')
    assert result['pending'] == ['memory'] and result['reboot_required'] is True
    vm = lab.pve.vm(190)
    assert vm.config['memory'] == '2048' and str(vm.pending['memory']) == '4096'
    again = play([vm_task(name='pend', memory=4096)]).assert_ok()
    assert again.changed == 0 and again.writes == [] and again.task('vm')['reboot_required'] is True
    applied = play([vm_task(name='pend', memory=4096, apply_pending='reboot', wait_for_agent=True)]).assert_ok()
    result = applied.task('vm')
    assert result['reboot_required'] is False and result['pending'] == []
    assert vm.config['memory'] in ('4096', 4096) and vm.status == 'running'
    assert ('POST', '/nodes/pve1/qemu/190/status/reboot') in applied.write_calls
    assert ('POST', '/nodes/pve1/qemu/190/agent/ping') in applied.calls


@pytest.mark.lab(time_scale=0.01)
def test_restarted_twice_in_a_row(lab, play):
    vm = add_vm(lab, 200, 'bounce')
    vm.start_secs = 20
    vm.shutdown_secs = 10
    run = play([vm_task('start', name='bounce', state='started'), vm_task('one', name='bounce', state='restarted'),
                vm_task('two', name='bounce', state='restarted')]).assert_ok()
    assert [run.task(t)['status'] for t in ('start', 'one', 'two')] == ['running'] * 3
    assert vm.status == 'running'
    assert sum(1 for m, p in run.write_calls if p.endswith('/status/reboot')) == 2


@pytest.mark.lab(time_scale=0.01)
def test_lock_held_by_backup_is_waited_out(lab, play):
    add_vm(lab, 210, 'locked')
    lab.call(lab.pve.backup(210, secs=150))  # 1.5 real seconds
    play([vm_task(name='locked', cores=3, lock_timeout=30)]).assert_ok()
    vm = lab.pve.vm(210)
    assert vm.config['cores'] in (3, '3') and vm.lock is None


@pytest.mark.lab(time_scale=0.01)
def test_lock_held_past_lock_timeout_fails_naming_the_lock(lab, play):
    add_vm(lab, 211, 'stuck')
    lab.call(lab.pve.backup(211, secs=3000))
    run = play([vm_task(name='stuck', cores=3, lock_timeout=1)])
    msg = run.task('vm')['msg']
    assert 'VM 211 (stuck) is locked (backup)' in msg and 'lock_timeout' in msg
    assert run.writes == []
    assert lab.pve.vm(211).config['cores'] == 2


@pytest.mark.lab(time_scale=0.01)
def test_clone_of_a_locked_source_names_its_lock_timeout(lab, play):
    """PVE refuses to clone a source whose config is locked (`VM is locked (backup)`, qemu-server check_lock); the
    module waits it out up to lock_timeout and then names that option's value, not what was left of it."""
    add_vm(lab, 212, 'busy-src')
    lab.call(lab.pve.backup(212, secs=3000))
    run = play([vm_task(name='copy-of-busy', clone=212, lock_timeout=1)])
    assert run.task('vm')['msg'] == ('VM 212 (busy-src) is locked (backup) and was still locked after 1s '
                                     '(lock_timeout); nothing was changed. Wait for the backup to finish, or raise '
                                     'lock_timeout.')
    assert guests_named(lab, 'copy-of-busy') == []


def test_template_of_a_vm_with_snapshots_is_refused_before_any_write(lab, play):
    """PVE refuses to make a template of a guest with snapshots (qemu-server API2/Qemu.pm template: `unable to
    create template, because VM contains snapshots`). The module used to write the config and shut the running
    VM down first, then fail, leaving it stopped and no template; now it refuses before any write."""
    vm = add_vm(lab, 230, 'snapped', status='running')
    snap = {'name': 'snap', 'iac.proxmox.pve_snapshot': {'vmid': 230, 'snapname': 'pre-template'}}
    play([snap]).assert_ok()
    for check in (True, False):
        run = play([vm_task(vmid=230, cores=4, state='template')], check=check)
        assert run.task('vm')['msg'] == (
            "state: 'template' is invalid: VM 230 (snapped) has snapshots (pre-template), and PVE makes a template "
            'only of a guest without any (unable to create template, because VM contains snapshots). Nothing was '
            'changed; delete the snapshots first (iac.proxmox.pve_snapshot with state: absent)')
        assert run.writes == []
    assert vm.status == 'running' and vm.config['cores'] == 2 and not vm.template
    play([dict(snap, **{'iac.proxmox.pve_snapshot': {'vmid': 230, 'snapname': 'pre-template', 'state': 'absent'}})])
    play([vm_task(vmid=230, state='template')]).assert_ok()
    assert vm.template and vm.status == 'stopped'
    again = play([vm_task(vmid=230, state='template')]).assert_ok()
    assert again.changed == 0 and again.writes == []


def test_started_on_a_template_is_refused_before_any_write(lab, play):
    run = play([vm_task(name=GOLDEN, state='started', cores=3)])  # the config change is not made either
    assert 'is a template; templates cannot run' in run.task('vm')['msg']
    assert run.writes == []


# ---------------------------------------------------------------------- destroy

@pytest.mark.lab(time_scale=0.01)
def test_destroy_running_vm_that_ignores_acpi(lab, play):
    vm = add_vm(lab, 220, 'deaf', status='running')
    vm.acpi = False
    run = play([vm_task(name='deaf', state='absent', shutdown_timeout=60)]).assert_ok()
    result = run.task('vm')
    assert result['changed'] is True and result['status'] == 'absent' and result['stopped'] == 'forced'
    assert lab.pve.vm(220) is None
    calls = [p.rsplit('/', 1)[-1] for m, p in run.write_calls]
    assert calls == ['shutdown', 'stop', '220']
    stop = [body for m, p, body in run.writes if p.endswith('/status/stop')][0]
    assert b'overrule-shutdown=1' in stop
    delete = [p for m, p, body in run.requests if m == 'DELETE'][0]
    assert delete == '/nodes/pve1/qemu/220'
    again = play([vm_task(name='deaf', state='absent')]).assert_ok()
    assert again.changed == 0 and again.writes == []


@pytest.mark.lab(time_scale=0.01)
def test_stopped_without_force_stop_fails_clearly(lab, play):
    vm = add_vm(lab, 222, 'stubborn', status='running')
    vm.acpi = False
    run = play([vm_task(name='stubborn', state='stopped', shutdown_timeout=5, force_stop=False)])
    assert run.task('vm')['msg'].startswith('VM 222 (stubborn) did not shut down within 5s (shutdown_timeout) and '
                                            'force_stop is false')
    assert vm.status == 'running'
    assert [p.rsplit('/', 1)[-1] for m, p in run.write_calls] == ['shutdown']
    forced = play([vm_task(name='stubborn', state='stopped', shutdown_timeout=5)]).assert_ok()
    assert vm.status == 'stopped' and forced.task('vm')['status'] == 'stopped'


def test_destroy_graceful_purges_disks(lab, play):
    add_vm(lab, 221, 'bye', status='running')
    run = play([vm_task(name='bye', state='absent')]).assert_ok()
    assert run.task('vm')['stopped'] == 'graceful'
    assert lab.pve.vm(221) is None
    assert 'vm-221-disk-0' not in lab.pve.storages['local-lvm']['volumes']
    delete = [r for r in run.requests if r[0] == 'DELETE'][0]
    assert delete[1] == '/nodes/pve1/qemu/221'


def test_destroy_protected_vm_fails_and_keeps_it(lab, play):
    add_vm(lab, 230, 'precious', status='running', protection='1')
    run = play([vm_task(name='precious', state='absent')])
    assert 'VM 230 (precious) is protected' in run.task('vm')['msg']
    assert run.writes == []
    assert lab.pve.vm(230).status == 'running'


def test_destroying_a_template_a_linked_clone_uses_is_refused_before_any_write(lab, play):
    """PVE does not destroy a template whose base volume a linked clone still uses (qemu-server destroy_vm; the
    lab follows it on file-based storage such as nfs.01). The module refuses it first, naming the clone, in
    check mode too; once the clone is gone the template is destroyed. A template on LVM-thin, whose clones
    keep no base in their volume names, is destroyed as PVE does."""
    play([vm_task(name='linked-from-shared', clone=GOLDEN_SHARED, full=False)]).assert_ok()
    clone = guests_named(lab, 'linked-from-shared')[0].vmid
    for check in (True, False):
        run = play([vm_task(name=GOLDEN_SHARED, state='absent')], check=check)
        msg = run.task('vm')['msg']
        assert run.task('vm').get('failed') and 'is a template that linked clones still use (VMIDs {0}'.format(
            clone) in msg and 'nfs.01:9001/base-9001-disk-2.qcow2' in msg and 'Nothing was destroyed' in msg, msg
        assert run.writes == []
        assert [r[1] for r in run.requests if '/storage/' in r[1]] == ['/nodes/pve1/storage/nfs.01/content']
    assert lab.pve.vm(9001) is not None and lab.pve.vm(9001).config['template'] in (1, '1')

    play([vm_task(name='linked-from-shared', state='absent')]).assert_ok()
    play([vm_task(name=GOLDEN_SHARED, state='absent')]).assert_ok()
    assert lab.pve.vm(9001) is None

    play([vm_task(name='linked-from-lvm', clone=GOLDEN, full=False)]).assert_ok()
    play([vm_task(name=GOLDEN, state='absent')]).assert_ok()
    assert lab.pve.vm(9000) is None and guests_named(lab, 'linked-from-lvm')


# ---------------------------------------------------------------------- validation

BAD = [
    ({'name': 'v1', 'clone': GOLDEN, 'storage': 'nfs.02'}, 'storage', 'is not a storage of node pve1'),
    ({'name': 'v2', 'clone': GOLDEN, 'disks': [{'slot': 'scsi1', 'storage': 'local', 'size': '4G'}]},
     'disks[0].storage', 'does not hold VM disks'),
    ({'name': 'v3', 'clone': GOLDEN, 'cores': 24, 'sockets': 2}, 'cores', 'more than node pve1 has CPU threads (32)'),
    ({'name': 'v4', 'clone': GOLDEN, 'cores': 300, 'sockets': 2}, 'cores', 'more than the 512 vCPUs'),
    ({'name': 'v5', 'clone': GOLDEN, 'nets': [{'slot': 'net1', 'bridge': 'vmbr0;rm -rf'}]}, 'nets[0].bridge',
     'is not a bridge name'),
    ({'name': 'v6', 'node': 'pve1', 'bios': 'seabios', 'efidisk': {'storage': 'local-lvm'}}, 'efidisk',
     'needs bios: ovmf'),
    ({'name': 'v7', 'clone': GOLDEN,
      'disks': [{'slot': 'scsi0', 'storage': 'local-lvm', 'size': '32G', 'format': 'qcow2'}]},
     'disks[0]', 'comes from the clone source'),
    ({'name': 'v8', 'cores': 2}, 'node', 'needs the node'),
    ({'name': 'bad name!', 'clone': GOLDEN}, 'name', 'valid DNS name'),
    ({'name': 'v9', 'clone': 'no-such-template'}, 'clone', 'no VM or template'),
    ({'name': 'v10', 'clone': GOLDEN, 'disks': [{'slot': 'scsi1', 'storage': 'local-lvm'}]}, 'disks[0]',
     'give its storage and size'),
    ({'name': 'v11', 'clone': GOLDEN, 'disks': [{'slot': 'sdb', 'size': '1G'}]}, 'disks[0].slot', 'not a disk slot'),
    ({'name': 'v12', 'clone': GOLDEN, 'memory': 'lots'}, 'memory', 'not a memory size'),
    ({'name': 'v13', 'clone': GOLDEN, 'tags': ['ok', 'no;pe']}, 'tags', 'a tag has letters'),
    ({'name': 'v14', 'clone': GOLDEN, 'cloudinit': {'ipconfig': [{'ip': '10.0.0.300/24'}]}},
     'cloudinit.ipconfig[0].ip', 'IPv4 address'),
    ({'name': 'v15', 'clone': GOLDEN, 'node': 'pve9'}, 'node', 'is not a node of the cluster'),
    ({'name': 'v16', 'clone': GOLDEN, 'nets': [{'slot': 'net0', 'macaddr': '01:00:5E:00:00:01'}]}, 'nets[0].macaddr',
     'unicast'),
]


def test_bad_input_fails_before_any_write(lab, play):
    tasks = []
    for index, (args, _option, _words) in enumerate(BAD):
        task = vm_task('bad{0}'.format(index), **args)
        task['ignore_errors'] = True
        tasks.append(task)
    run = play(tasks)
    assert run.writes == []
    for index, (_args, option, words) in enumerate(BAD):
        result = run.task('bad{0}'.format(index))
        assert result.get('failed') is True, (index, result)
        assert result['msg'].startswith(option + ':'), (index, result['msg'])
        assert words in result['msg'], (index, result['msg'])
    assert [vm.name for vm in lab.pve.vms] == [GOLDEN, GOLDEN_SHARED]
