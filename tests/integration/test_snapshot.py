"""iac.proxmox.pve_snapshot end to end: real playbooks against the lab, asserting on results and on the lab's
request log."""


def add_vm(lab, vmid=120, name='snap-vm', disk=None, status='stopped'):
    disk = disk or 'local-lvm:vm-{0}-disk-0,size=8G'.format(vmid)
    config = {'scsi0': disk, 'memory': '1024', 'cores': 1}
    return lab.pve.add_vm(vmid, name, node='pve1', status=status, config=config)


def snap_task(**args):
    if 'name' not in args:
        args.setdefault('vmid', 120)
    return {'name': 'snap', 'iac.proxmox.pve_snapshot': args, 'register': 'out'}


def test_take_then_unchanged_rerun(lab, play):
    vm = add_vm(lab)
    task = snap_task(snapname='before-upgrade', description='Before the upgrade')
    first = play([task]).assert_ok()
    result = first.task('snap')
    assert result['changed'] is True
    assert first.write_calls == [('POST', '/nodes/pve1/qemu/120/snapshot')]
    assert vm.snapshots['before-upgrade']['description'] == 'Before the upgrade'
    assert [s['name'] for s in result['snapshots']] == ['before-upgrade']
    # The capability check and the task wait are reads.
    assert ('GET', '/nodes/pve1/qemu/120/feature') in first.calls

    second = play([task]).assert_ok()
    assert second.changed == 0 and second.writes == []


def test_by_name_for_a_container(lab, play):
    ct = lab.pve.add_ct(130, 'snap-ct', node='pve1', config={'hostname': 'snap-ct', 'rootfs': 'local-lvm:vm-130-disk-0,size=8G',
                                                             'ostype': 'debian'})
    run = play([snap_task(name='snap-ct', snapname='s1')]).assert_ok()
    assert run.write_calls == [('POST', '/nodes/pve1/lxc/130/snapshot')]
    assert 's1' in ct.snapshots
    assert run.task('snap')['vmid'] == 130


def test_description_change_uses_the_snapshot_config(lab, play):
    vm = add_vm(lab)
    play([snap_task(snapname='s1', description='old')]).assert_ok()
    run = play([snap_task(snapname='s1', description='new')], diff=True).assert_ok()
    assert run.write_calls == [('PUT', '/nodes/pve1/qemu/120/snapshot/s1/config')]
    assert vm.snapshots['s1']['description'] == 'new'
    diff = run.task('snap')['diff']
    assert diff['before']['snapshots'][0]['description'] == 'old'
    assert diff['after']['snapshots'][0]['description'] == 'new'


def test_check_mode_writes_nothing_and_shows_the_plan(lab, play):
    vm = add_vm(lab)
    run = play([snap_task(snapname='s1')], check=True, diff=True).assert_ok()
    result = run.task('snap')
    assert result['changed'] is True
    assert result['plan'] == ['take snapshot s1 of VM 120 (snap-vm)']
    assert run.writes == []
    assert vm.snapshots == {}
    assert [s['name'] for s in result['diff']['after']['snapshots']] == ['s1']


def test_retention_keeps_the_newest_three(lab, play):
    vm = add_vm(lab)
    # Five older snapshots with the prefix and one without, taken over five days.
    for day in range(1, 6):
        vm.snapshots['daily-0{0}'.format(day)] = {'snaptime': 1764000000 + day * 86400, 'scsi0': vm.config['scsi0']}
    vm.snapshots['manual'] = {'snaptime': 1764000000, 'scsi0': vm.config['scsi0']}
    task = snap_task(snapname='daily-06', snapname_prefix='daily-', retention=3)
    check = play([task], check=True).assert_ok()
    assert check.writes == []
    assert check.task('snap')['removed'] == ['daily-03', 'daily-02', 'daily-01']
    run = play([task]).assert_ok()
    assert run.write_calls == [('POST', '/nodes/pve1/qemu/120/snapshot')] + \
        [('DELETE', '/nodes/pve1/qemu/120/snapshot/daily-0{0}'.format(d)) for d in (3, 2, 1)]
    assert sorted(vm.snapshots) == ['daily-04', 'daily-05', 'daily-06', 'manual']
    again = play([task]).assert_ok()
    assert again.changed == 0 and again.writes == []


def test_retention_of_five_with_three_prunes_without_a_new_snapshot(lab, play):
    vm = add_vm(lab)
    for day in range(1, 6):
        vm.snapshots['daily-0{0}'.format(day)] = {'snaptime': 1764000000 + day * 86400, 'scsi0': vm.config['scsi0']}
    run = play([snap_task(snapname_prefix='daily-', retention=3)]).assert_ok()
    assert run.task('snap')['removed'] == ['daily-02', 'daily-01']
    assert sorted(vm.snapshots) == ['daily-03', 'daily-04', 'daily-05']


def test_storage_that_cannot_snapshot_is_refused_before_any_write(lab, play):
    add_vm(lab, disk='nfs.01:120/vm-120-disk-0.raw,size=8G')
    run = play([snap_task(snapname='s1')])
    assert run.failed
    assert 'snapshot feature is not available' in run.task('snap')['msg']
    assert run.writes == []


def test_rollback_and_start(lab, play):
    vm = add_vm(lab)
    play([snap_task(snapname='s1')]).assert_ok()
    vm.config['memory'] = '4096'
    run = play([snap_task(snapname='s1', state='rollback', start=True)]).assert_ok()
    assert run.write_calls == [('POST', '/nodes/pve1/qemu/120/snapshot/s1/rollback')]
    assert b'start=1' in run.writes[0][2]
    assert vm.config['memory'] == '1024'
    assert vm.status == 'running'


def test_rollback_to_a_snapshot_with_ram_resumes_the_vm(lab, play):
    """PVE resumes a VM rolled back to a snapshot with RAM whatever `start` says (pve-guest-common
    AbstractConfig.pm snapshot_rollback): the plan says so, and the VM runs afterwards."""
    vm = add_vm(lab, status='running')
    play([snap_task(snapname='with-ram', vmstate=True), snap_task(snapname='disk-only')]).assert_ok()
    run = play([snap_task(snapname='disk-only', state='rollback')]).assert_ok()
    assert run.task('snap')['plan'] == ['roll VM 120 (snap-vm) back to snapshot disk-only']
    assert vm.status == 'stopped'
    check = play([snap_task(snapname='with-ram', state='rollback')], check=True).assert_ok()
    assert check.writes == []
    assert check.task('snap')['plan'] == ['roll VM 120 (snap-vm) back to snapshot with-ram and resume it from the '
                                          'saved RAM']
    run = play([snap_task(snapname='with-ram', state='rollback')]).assert_ok()
    assert run.write_calls == [('POST', '/nodes/pve1/qemu/120/snapshot/with-ram/rollback')]
    assert b'start=1' not in run.writes[0][2]
    assert vm.status == 'running'


def test_absent_deletes_and_reruns_unchanged(lab, play):
    vm = add_vm(lab)
    play([snap_task(snapname='s1')]).assert_ok()
    run = play([snap_task(snapname='s1', state='absent')]).assert_ok()
    assert run.write_calls == [('DELETE', '/nodes/pve1/qemu/120/snapshot/s1')]
    assert vm.snapshots == {}
    again = play([snap_task(snapname='s1', state='absent')]).assert_ok()
    assert again.changed == 0 and again.writes == []


def test_bad_inputs_fail_before_any_write(lab, play):
    add_vm(lab)
    lab.pve.add_ct(130, 'snap-ct', node='pve1', config={'hostname': 'snap-ct', 'rootfs': 'local-lvm:vm-130-disk-0,size=8G',
                                                        'ostype': 'debian'})
    cases = [
        (snap_task(snapname='1st'), 'snapname'),
        (snap_task(snapname='current'), 'reserved name'),
        (snap_task(snapname='s1', state='rollback'), 'no such snapshot of VM 120'),
        (snap_task(snapname='weekly-1', snapname_prefix='daily-', retention=3), 'does not start with'),
        (snap_task(snapname='daily-1', retention=3), 'snapname_prefix'),
        (snap_task(vmid=130, snapname='s1', vmstate=True), 'only VMs save their RAM'),
        (snap_task(vmid=999, snapname='s1'), 'no such guest'),
        (snap_task(vmid=9000, snapname='s1'), "you can't take a snapshot if it's a template"),
    ]
    for task, words in cases:
        run = play([task])
        assert run.failed, task
        assert words in run.task('snap')['msg'], (task, run.task('snap')['msg'])
        assert run.writes == []


def test_guest_info_lists_snapshots_when_asked(lab, play):
    add_vm(lab)
    play([snap_task(snapname='s1', description='first')]).assert_ok()
    run = play([{'name': 'info', 'iac.proxmox.pve_guest_info': {'vmid': 120, 'snapshots': True, 'config': False,
                                                                'pending': False}, 'register': 'out'},
                {'name': 'plain', 'iac.proxmox.pve_guest_info': {'vmid': 120, 'config': False, 'pending': False},
                 'register': 'out'}]).assert_ok()
    [guest] = run.task('info')['guests']
    assert [(s['name'], s['description'], s['vmstate']) for s in guest['snapshots']] == [('s1', 'first', False)]
    assert 'snapshots' not in run.task('plain')['guests'][0]
    assert ('GET', '/nodes/pve1/qemu/120/snapshot') in run.calls
