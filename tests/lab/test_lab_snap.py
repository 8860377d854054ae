"""The lab's snapshot capability and cluster backup jobs behave as PVE's sources say (issue 17, part snapshots,
backup jobs, pools)."""

from labtools import error_of, task_error_of


def vm(lab, vmid, disk):
    return lab.pve.add_vm(vmid, 'snap-{0}'.format(vmid), node='pve1', config={'scsi0': disk, 'memory': '1024'})


def test_feature_snapshot_follows_the_storage(lab, api):
    """qemu-server src/PVE/API2/Qemu.pm vm_feature answers has_feature (src/PVE/QemuConfig.pm, pve-guest-common
    AbstractConfig.pm): pve-storage volume_has_feature lets lvmthin/zfs/rbd snapshot, file storages (dir, nfs)
    only qcow2, so raw on nfs has no snapshot feature; snapshot_create then dies with "snapshot feature is not
    available"."""
    vm(lab, 300, 'local-lvm:vm-300-disk-0,size=4G')
    vm(lab, 301, 'nfs.01:301/vm-301-disk-0.raw,size=4G')
    vm(lab, 302, 'nfs.01:302/vm-302-disk-0.qcow2,size=4G')
    answers = [api.get('/nodes/pve1/qemu/{0}/feature'.format(i), feature='snapshot')['hasFeature']
               for i in (300, 301, 302)]
    assert answers == [1, 0, 1]
    upid = api.post('/nodes/pve1/qemu/301/snapshot', snapname='s1')
    assert task_error_of(api, upid) == 'snapshot feature is not available'


def test_feature_snapshot_of_a_container(lab, api):
    """pve-container src/PVE/API2/LXC.pm vm_feature and src/PVE/LXC/Config.pm has_feature: a rootfs on a dir
    storage (raw image or subvol) cannot snapshot, on lvmthin it can."""
    lab.pve.add_ct(310, 'ct-lvm', node='pve1', config={'rootfs': 'local-lvm:vm-310-disk-0,size=8G',
                                                       'ostype': 'debian'})
    lab.pve.add_ct(311, 'ct-dir', node='pve1', config={'rootfs': 'local:311/vm-311-disk-0.raw,size=8G',
                                                       'ostype': 'debian'})
    assert api.get('/nodes/pve1/lxc/310/feature', feature='snapshot')['hasFeature'] == 1
    assert api.get('/nodes/pve1/lxc/311/feature', feature='snapshot')['hasFeature'] == 0


def test_rollback_to_a_snapshot_with_ram_resumes_the_vm(lab, api):
    """pve-guest-common src/PVE/AbstractConfig.pm snapshot_rollback: after restoring the config and disks, a
    snapshot with RAM (`vmstate`) is resumed from it (__snapshot_rollback_vm_start, qemu-server
    src/PVE/QemuConfig.pm: vm_start with the state file) without `start`; a snapshot without RAM leaves the VM
    stopped (qemu-server src/PVE/API2/Qemu.pm rollback starts it only with `start`)."""
    vm(lab, 320, 'local-lvm:vm-320-disk-0,size=4G')
    api.wait_task(api.post('/nodes/pve1/qemu/320/status/start'))
    api.wait_task(api.post('/nodes/pve1/qemu/320/snapshot', snapname='ram', vmstate=1))
    api.wait_task(api.post('/nodes/pve1/qemu/320/snapshot', snapname='disk'))
    api.wait_task(api.post('/nodes/pve1/qemu/320/snapshot/disk/rollback'))
    assert api.get('/nodes/pve1/qemu/320/status/current')['status'] == 'stopped'
    api.wait_task(api.post('/nodes/pve1/qemu/320/snapshot/ram/rollback'))
    assert api.get('/nodes/pve1/qemu/320/status/current')['status'] == 'running'
    assert api.get('/nodes/pve1/qemu/320/config')['parent'] == 'ram'


def test_backup_job_create_read_as_stored(lab, api):
    """pve-manager PVE/API2/Backup.pm create_job stores the job in jobs.cfg (enabled defaults to 1); read_job and
    index answer `prune-backups` as an object ($backup_job_return_schema), `enabled` as 0/1, `vmid` as sent."""
    api.post('/cluster/backup', id='nightly', schedule='mon..fri 02:30', vmid='100,101', storage='local',
             mode='snapshot', compress='zstd', **{'prune-backups': 'keep-last=3,keep-daily=7'})
    job = api.get('/cluster/backup/nightly')
    assert job['enabled'] == 1 and job['vmid'] == '100,101' and job['type'] == 'vzdump'
    assert job['prune-backups'] == {'keep-last': 3, 'keep-daily': 7}
    assert [j['id'] for j in api.get('/cluster/backup')] == ['nightly']
    assert error_of(api.post, '/cluster/backup', id='nightly', schedule='daily', all=1).message == \
        "Job 'nightly' already exists"


def test_backup_job_refuses_what_pve_refuses(lab, api):
    """pve-manager PVE/API2/Backup.pm create_job: schedule is a pve-calendar-event (pve-common
    PVE/CalendarEvent.pm pve_verify_calendar_event: "invalid calendar event '<text>' - <reason>", see
    test_lab_calendar.py), required
    ("neither 'starttime' nor 'schedule' were set"); PVE/VZDump.pm verify_vzdump_parameters: vmid conflicts
    with all/pool/exclude, and a job needs a selection ("property is missing"); a pool must exist."""
    err = error_of(api.post, '/cluster/backup', id='bad', schedule='mon 23:60', all=1)
    assert err.errors['schedule'].startswith("invalid format - invalid calendar event 'mon 23:60' - ")
    err = error_of(api.post, '/cluster/backup', id='bad', all=1)
    assert err.errors == {'schedule': "neither 'starttime' nor 'schedule' were set"}
    err = error_of(api.post, '/cluster/backup', id='bad', schedule='daily', all=1, vmid='100')
    assert err.errors == {'all': "option conflicts with option 'vmid'"}
    err = error_of(api.post, '/cluster/backup', id='bad', schedule='daily')
    assert err.errors == {'vmid': 'property is missing'}
    assert error_of(api.post, '/cluster/backup', id='bad', schedule='daily', pool='nope').message == \
        "pool 'nope' does not exist"
    assert lab.pve.backup_jobs == {}


def test_backup_job_update_switches_selection_and_deletes(lab, api):
    """pve-manager PVE/API2/Backup.pm update_job: a new vmid drops all/exclude/pool, `all` drops vmid/pool;
    `delete` removes options (unknown ones: "unknown option"); nothing to change: "no options specified";
    a missing job: "no such vzdump job". delete_job of a missing job: "No such job"."""
    api.post('/cluster/backup', id='nightly', schedule='daily', all=1, exclude='100', comment='old')
    api.put('/cluster/backup/nightly', vmid='101')
    job = api.get('/cluster/backup/nightly')
    assert job['vmid'] == '101' and 'all' not in job and 'exclude' not in job
    api.put('/cluster/backup/nightly', all=1, delete='comment')
    job = api.get('/cluster/backup/nightly')
    assert job['all'] == 1 and 'vmid' not in job and 'comment' not in job
    assert error_of(api.put, '/cluster/backup/nightly').message == 'no options specified'
    assert error_of(api.put, '/cluster/backup/nightly', delete='bogus').errors == {'delete': "unknown option 'bogus'"}
    assert error_of(api.put, '/cluster/backup/other', enabled=0).message == 'no such vzdump job'
    api.delete('/cluster/backup/nightly')
    assert error_of(api.delete, '/cluster/backup/nightly').errors == {'id': "No such job 'nightly'"}
