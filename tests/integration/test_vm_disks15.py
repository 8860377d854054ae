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
