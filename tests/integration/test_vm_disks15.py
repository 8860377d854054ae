"""pve_vm `disks` of issue 15 end to end: disks imported from an image (import_from), CD/DVD drives (media:
cdrom, iso) and the drive options (aio, throttles, serial, wwn, ro, replicate, snapshot), through real
playbooks against the lab, asserting on results, the lab's state and its request log."""

from urllib.parse import parse_qsl

IMAGE = 'local:import/debian-12-genericcloud.qcow2'
ISO = 'local:iso/debian-12-netinst.iso'


def vm_task(task='vm', **args):
    return {'name': task, 'iac.proxmox.pve_vm': args}


def add_vm(lab, vmid, name, status='stopped', **config):
    base = {'name': name, 'scsihw': 'virtio-scsi-single', 'scsi0': 'local-lvm:vm-{0}-disk-0,size=8G'.format(vmid)}
    base.update(config)
    lab.pve.storages['local-lvm'].setdefault('volumes', {})['vm-{0}-disk-0'.format(vmid)] = {
        'content': 'images', 'format': 'raw', 'size': 8 * 1024 ** 3, 'vmid': vmid, 'ctime': 0}
    return lab.pve.add_vm(vmid, name, node='pve1', status=status, config=base)


def form(body):
    return dict(parse_qsl(body.decode()))


def by_name(lab, name):
    found = [vm for vm in lab.pve.vms if vm.name == name]
    return found[0] if found else None


# ---------------------------------------------------------------------- import_from

def test_import_from_on_create_grows_to_size_and_reruns_unchanged(lab, play):
    disks = [{'slot': 'scsi0', 'import_from': IMAGE, 'storage': 'local-lvm', 'size': '20G'}]
    task = vm_task(name='cloud-01', node='pve1', vmid=700, scsihw='virtio-scsi-single', disks=disks)
    check = play([task], check=True).assert_ok()
    assert check.writes == []
    assert check.task('vm')['plan'] == ['create VM cloud-01 on pve1: scsi0, scsihw',
                                        'resize scsi0 of VM 700 (cloud-01) from 2G to 20G']
    run = play([task]).assert_ok()
    config = lab.pve.vm(700).config
    assert config['scsi0'].startswith('local-lvm:vm-700-disk-0,') and 'size=20G' in config['scsi0']
    posts = [r for r in run.writes if r[1].endswith('/nodes/pve1/qemu')]
    assert posts and form(posts[0][2])['scsi0'] == 'local-lvm:0,import-from=' + IMAGE
    assert ('PUT', '/nodes/pve1/qemu/700/resize') in run.write_calls
    again = play([task]).assert_ok()
    assert again.changed == 0 and again.writes == []


def test_import_from_without_size_keeps_the_images_size(lab, play):
    disks = [{'slot': 'scsi0', 'import_from': IMAGE, 'storage': 'local-lvm', 'discard': True}]
    task = vm_task(name='cloud-02', node='pve1', vmid=701, disks=disks)
    run = play([task]).assert_ok()
    assert 'size=2G' in lab.pve.vm(701).config['scsi0'] and 'discard=on' in lab.pve.vm(701).config['scsi0']
    assert not any(p.endswith('/resize') for _m, p in run.write_calls)
    assert play([task]).assert_ok().writes == []


def test_import_from_adds_a_slot_to_an_existing_vm(lab, play):
    add_vm(lab, 702, 'app-02')
    disks = [{'slot': 'scsi1', 'import_from': IMAGE, 'storage': 'local-lvm', 'size': '4G'}]
    task = vm_task(name='app-02', disks=disks)
    check = play([task], check=True).assert_ok()
    assert check.writes == [] and 'scsi1' not in lab.pve.vm(702).config
    run = play([task]).assert_ok()
    assert 'size=4G' in lab.pve.vm(702).config['scsi1']
    config_writes = [r for r in run.writes if r[1].endswith('/702/config')]
    assert form(config_writes[0][2])['scsi1'] == 'local-lvm:0,import-from=' + IMAGE
    assert play([task]).assert_ok().writes == []


def test_import_from_a_vm_image(lab, play):
    task = vm_task(name='cloud-03', node='pve1', vmid=703,
                   disks=[{'slot': 'virtio0', 'import_from': 'local-lvm:base-9000-disk-2', 'storage': 'local-lvm'}])
    play([task]).assert_ok()
    assert 'size=8G' in lab.pve.vm(703).config['virtio0']
    assert play([task]).assert_ok().writes == []


def test_import_from_on_an_existing_slot_imports_nothing(lab, play):
    add_vm(lab, 704, 'app-04')
    run = play([vm_task(name='app-04', disks=[{'slot': 'scsi0', 'import_from': IMAGE,
                                               'storage': 'local-lvm'}])]).assert_ok()
    assert run.changed == 0 and run.writes == []


def test_import_from_bad_values_are_refused_before_any_write(lab, play):
    add_vm(lab, 705, 'app-05')
    cases = [
        ({'slot': 'scsi1', 'import_from': 'local:import/missing.qcow2', 'storage': 'local-lvm'},
         "disks[0].import_from: 'local:import/missing.qcow2' is invalid: is not an image on node pve1"),
        ({'slot': 'scsi1', 'import_from': '/root/disk.qcow2', 'storage': 'local-lvm'},
         "disks[0].import_from: '/root/disk.qcow2' is invalid: is not an image to import"),
        ({'slot': 'scsi1', 'import_from': IMAGE},
         "disks[0]: 'scsi1' is invalid: is a new disk imported from " + IMAGE + ': give its storage'),
        ({'slot': 'scsi1', 'import_from': IMAGE, 'storage': 'local-lvm', 'size': '1G'},
         "disks[0].size: '1G' is invalid: is smaller than the image " + IMAGE + ' it is imported from (2G)'),
        ({'slot': 'scsi1', 'import_from': IMAGE, 'storage': 'local'},
         "disks[0].storage: 'local' is invalid: does not hold VM disks"),
    ]
    for disk, message in cases:
        run = play([vm_task(name='app-05', disks=[disk])])
        assert run.writes == [], disk
        assert run.task('vm')['msg'].startswith(message), run.task('vm')['msg']


# ---------------------------------------------------------------------- CD/DVD drives

def test_an_installer_iso_is_attached_then_ejected(lab, play):
    add_vm(lab, 710, 'inst-10')
    attach = vm_task(name='inst-10', disks=[{'slot': 'ide2', 'media': 'cdrom', 'iso': ISO}])
    check = play([attach], check=True).assert_ok()
    assert check.writes == [] and 'ide2' not in lab.pve.vm(710).config
    run = play([attach]).assert_ok()
    assert lab.pve.vm(710).config['ide2'].startswith(ISO + ',media=cdrom')
    assert [form(r[2])['ide2'] for r in run.writes if r[1].endswith('/config')] == [ISO + ',media=cdrom']
    again = play([attach]).assert_ok()
    assert again.changed == 0 and again.writes == []
    eject = vm_task(name='inst-10', disks=[{'slot': 'ide2', 'media': 'cdrom', 'iso': 'none'}])
    assert play([eject], check=True).assert_ok().writes == []
    play([eject]).assert_ok()
    assert lab.pve.vm(710).config['ide2'] == 'none,media=cdrom'
    assert play([eject]).assert_ok().writes == []


def test_a_new_empty_drive_and_the_iso_of_a_running_vm_changes_at_once(lab, play):
    add_vm(lab, 711, 'inst-11', status='running', sata1='none,media=cdrom')
    run = play([vm_task(name='inst-11', disks=[{'slot': 'sata1', 'media': 'cdrom', 'iso': ISO}])]).assert_ok()
    result = run.task('vm')
    assert result['changed'] is True and result['reboot_required'] is False and result['pending'] == []
    assert lab.pve.vm(711).config['sata1'].startswith(ISO + ',media=cdrom')
    assert lab.pve.vm(711).pending == {} or 'sata1' not in lab.pve.vm(711).pending
    assert play([vm_task(name='inst-11', disks=[{'slot': 'sata1', 'media': 'cdrom', 'iso': ISO}])]).assert_ok(
    ).writes == []
    # A new drive without iso is an empty one.
    add_vm(lab, 712, 'inst-12')
    task = vm_task(name='inst-12', disks=[{'slot': 'ide0', 'media': 'cdrom'}])
    play([task]).assert_ok()
    assert lab.pve.vm(712).config['ide0'] == 'none,media=cdrom'
    assert play([task]).assert_ok().writes == []


def test_a_new_vm_with_an_installer_iso_and_removing_the_drive(lab, play):
    task = vm_task(name='inst-13', node='pve1', vmid=713, disks=[
        {'slot': 'scsi0', 'storage': 'local-lvm', 'size': '8G'}, {'slot': 'ide2', 'media': 'cdrom', 'iso': ISO}])
    run = play([task]).assert_ok()
    post = [form(r[2]) for r in run.writes if r[1].endswith('/nodes/pve1/qemu')][0]
    assert post['ide2'] == ISO + ',media=cdrom'
    assert play([task]).assert_ok().writes == []
    gone = vm_task(name='inst-13', disks=[{'slot': 'ide2', 'media': 'cdrom', 'state': 'absent'}])
    play([gone]).assert_ok()
    assert 'ide2' not in lab.pve.vm(713).config
    assert play([gone]).assert_ok().writes == []


def test_cdrom_bad_values_are_refused_before_any_write(lab, play):
    add_vm(lab, 714, 'inst-14', ide2='local-lvm:vm-714-cloudinit,media=cdrom', sata0='none,media=cdrom')
    cases = [
        ({'slot': 'ide0', 'media': 'cdrom', 'iso': 'local:iso/missing.iso'},
         "disks[0].iso: 'local:iso/missing.iso' is invalid: is not an ISO image on storage local of node pve1 "
         '(ISO images there: ' + ISO + ')'),
        ({'slot': 'ide0', 'media': 'cdrom', 'iso': 'debian.iso'},
         "disks[0].iso: 'debian.iso' is invalid: is not an ISO image (<storage>:iso/<file>.iso)"),
        ({'slot': 'virtio1', 'media': 'cdrom', 'iso': ISO},
         "disks[0].slot: 'virtio1' is invalid: is not a CD/DVD drive slot"),
        ({'slot': 'ide0', 'media': 'cdrom', 'iso': ISO, 'size': '1G'},
         "disks[0].size: '1G' is invalid: is a disk option; a CD/DVD drive (media: cdrom) takes iso and state only"),
        ({'slot': 'scsi0', 'media': 'cdrom', 'iso': ISO},
         "disks[0].slot: 'scsi0' is invalid: holds a disk (local-lvm:vm-714-disk-0,size=8G), not a CD/DVD drive"),
        ({'slot': 'ide2', 'media': 'cdrom', 'iso': ISO},
         "disks[0].slot: 'ide2' is invalid: holds the cloud-init drive"),
        ({'slot': 'sata0', 'size': '8G', 'storage': 'local-lvm'},
         "disks[0].slot: 'sata0' is invalid: holds a CD/DVD drive or the cloud-init drive, not a disk"),
        ({'slot': 'ide0', 'iso': ISO},
         "disks[0].iso: 'local:iso/debian-12-netinst.iso' is invalid: is an option of CD/DVD drives; add media: "
         'cdrom'),
    ]
    for disk, message in cases:
        run = play([vm_task(name='inst-14', disks=[disk])])
        assert run.writes == [], disk
        assert run.task('vm')['msg'].startswith(message), run.task('vm')['msg']
    twice = [{'slot': 'ide0', 'media': 'cdrom'}, {'slot': 'ide0', 'size': '1G', 'storage': 'local-lvm'}]
    both = play([vm_task(name='inst-14', disks=twice)])
    assert both.writes == [] and "disks[1].slot: 'ide0' is invalid: is listed twice" in both.task('vm')['msg']


# ---------------------------------------------------------------------- drive options

OPTIONS = {'aio': 'native', 'iops_rd': 500, 'iops_wr': 300, 'iops_rd_max': 1000, 'iops_wr_max': 600,
           'mbps_rd': 100, 'mbps_wr': 50.5, 'mbps_rd_max': 200, 'mbps_wr_max': 75, 'serial': 'DISK-0001',
           'wwn': '0x5000c500a1b2c3d4', 'ro': True, 'replicate': False, 'snapshot': True}
STORED = ('aio=native', 'iops_rd=500', 'iops_wr=300', 'iops_rd_max=1000', 'iops_wr_max=600', 'mbps_rd=100',
          'mbps_wr=50.5', 'mbps_rd_max=200', 'mbps_wr_max=75', 'serial=DISK-0001', 'wwn=0x5000c500a1b2c3d4', 'ro=1',
          'replicate=0', 'snapshot=1')


def test_drive_options_on_a_new_disk_and_rerun(lab, play):
    task = vm_task(name='opt-20', node='pve1', vmid=720,
                   disks=[dict(OPTIONS, slot='scsi0', storage='local-lvm', size='4G')])
    assert play([task], check=True).assert_ok().writes == []
    play([task]).assert_ok()
    value = lab.pve.vm(720).config['scsi0']
    assert all(item in value.split(',') for item in STORED), value
    again = play([task]).assert_ok()
    assert again.changed == 0 and again.writes == []


def test_drive_options_changed_on_an_existing_disk(lab, play):
    add_vm(lab, 721, 'opt-21')
    groups = [[k for k in OPTIONS if k.startswith(('iops', 'mbps'))], ['aio', 'serial', 'wwn'],
              ['ro', 'replicate', 'snapshot']]
    for names in groups:
        task = vm_task(name='opt-21', disks=[dict([(k, OPTIONS[k]) for k in names], slot='scsi0')])
        check = play([task], check=True).assert_ok()
        assert check.writes == [] and check.task('vm')['changed'] is True, names
        run = play([task]).assert_ok()
        assert run.task('vm')['changed'] is True and len(run.writes) == 1, names
        again = play([task]).assert_ok()
        assert again.changed == 0 and again.writes == [], names
    value = lab.pve.vm(721).config['scsi0']
    assert all(item in value.split(',') for item in STORED), value
    # Back to PVE's defaults: the limits at 0 and the flags off remove their keys; replicate on is PVE's default.
    reset = dict((k, 0) for k in OPTIONS if k.startswith(('iops', 'mbps')))
    reset.update(ro=False, snapshot=False, replicate=True, serial='', wwn='')
    task = vm_task(name='opt-21', disks=[dict(reset, slot='scsi0')])
    play([task]).assert_ok()
    assert lab.pve.vm(721).config['scsi0'] == 'local-lvm:vm-721-disk-0,aio=native,size=8G'
    assert play([task]).assert_ok().writes == []


def test_throttles_apply_to_a_running_vm_at_once_aio_waits_for_a_restart(lab, play):
    add_vm(lab, 722, 'opt-22', status='running')
    run = play([vm_task(name='opt-22', disks=[{'slot': 'scsi0', 'iops_rd': 100, 'mbps_wr': 20}])]).assert_ok()
    assert run.task('vm')['reboot_required'] is False
    assert 'iops_rd=100' in lab.pve.vm(722).config['scsi0']
    run = play([vm_task(name='opt-22', disks=[{'slot': 'scsi0', 'aio': 'threads'}])]).assert_ok()
    assert run.task('vm')['reboot_required'] is True and run.task('vm')['pending'] == ['scsi0']
    again = play([vm_task(name='opt-22', disks=[{'slot': 'scsi0', 'aio': 'threads'}])]).assert_ok()
    assert again.writes == [] and again.changed == 0


def test_drive_option_bad_values_are_refused_before_any_write(lab, play):
    add_vm(lab, 723, 'opt-23', sata1='local-lvm:vm-723-disk-1,size=1G', virtio1='local-lvm:vm-723-disk-2,size=1G')
    cases = [
        ({'slot': 'sata1', 'ro': True}, "disks[0].ro: True is invalid: is not an option of sata drives (PVE takes "
                                        'it on scsi, virtio drives)'),
        ({'slot': 'virtio1', 'wwn': '0x5000c500a1b2c3d4'},
         "disks[0].wwn: '0x5000c500a1b2c3d4' is invalid: is not an option of virtio drives"),
        ({'slot': 'scsi0', 'wwn': '5000c500a1b2c3d4'}, "disks[0].wwn: '5000c500a1b2c3d4' is invalid: is not a "
                                                       'worldwide name'),
        ({'slot': 'scsi0', 'serial': 'a serial with spaces'}, "disks[0].serial: 'a serial with spaces' is invalid: "
                                                              'is not a drive serial'),
        ({'slot': 'scsi0', 'serial': 'X' * 21}, "disks[0].serial: '{0}' is invalid: is not a drive serial".format(
            'X' * 21)),
        ({'slot': 'scsi0', 'iops_rd': -1}, 'disks[0].iops_rd: -1 is invalid: must be 0 (no limit) or more'),
        ({'slot': 'scsi0', 'mbps_wr_max': -2.5}, 'disks[0].mbps_wr_max: -2.5 is invalid: must be 0 (no limit) or '
                                                 'more'),
        ({'slot': 'scsi0', 'aio': 'posix'}, 'value of aio must be one of'),
    ]
    for disk, message in cases:
        run = play([vm_task(name='opt-23', disks=[disk])])
        assert run.writes == [], disk
        assert message in run.task('vm')['msg'], run.task('vm')['msg']


def test_the_host_drive(lab, play):
    add_vm(lab, 715, 'inst-15')
    task = vm_task(name='inst-15', disks=[{'slot': 'ide1', 'media': 'cdrom', 'iso': 'cdrom'}])
    assert play([task], check=True).assert_ok().writes == []
    run = play([task]).assert_ok()
    assert lab.pve.vm(715).config['ide1'] == 'cdrom,media=cdrom'
    assert not any(r[1].endswith('/content') for r in run.requests)  # nothing to look up for the host drive
    assert play([task]).assert_ok().writes == []
