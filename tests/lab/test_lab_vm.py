"""The lab's QEMU rules of tests/lab/pvelab/vmrules.py (and the hostpci device choice at start), each as
qemu-server has it; wording included."""

import pytest

from labtools import error_of, four_gpus


# ---------------------------------------------------------------------- clone to another node

def test_seeded_shared_template_9001_is_on_nfs(api):
    config = api.get('/nodes/pve1/qemu/9001/config')
    assert config['name'] == 'debian-12-golden-shared' and config['template'] == 1
    for key in ('efidisk0', 'tpmstate0', 'scsi0', 'ide2'):
        assert config[key].startswith('nfs.01:9001/'), key
    assert 'efitype=4m' in config['efidisk0'] and 'media=cdrom' in config['ide2']
    volumes = sorted(v['volid'] for v in api.get('/nodes/pve1/storage/nfs.01/content', content='images'))
    assert volumes == ['nfs.01:9001/base-9001-disk-0.qcow2', 'nfs.01:9001/base-9001-disk-1.raw',
                       'nfs.01:9001/base-9001-disk-2.qcow2', 'nfs.01:9001/vm-9001-cloudinit.qcow2']


def test_clone_to_another_node_needs_shared_storage(lab, api):
    """qemu-server src/PVE/API2/Qemu.pm clone_vm: `die "can't clone VM to node '$target' (VM uses local
    storage)"` when $check_storage_access_clone finds a volume (disk, cloud-init or CD-ROM image) on storage
    that is not shared - also with a shared target `storage`, and before any VM or volume is made."""
    volumes = dict(lab.pve.storages['local-lvm']['volumes'])
    for extra in ({}, {'storage': 'nfs.01'}):
        err = error_of(api.post, '/nodes/pve1/qemu/9000/clone', newid=150, name='far', full=1, target='pve2',
                       **extra)
        assert err.status == 500 and err.message == "can't clone VM to node 'pve2' (VM uses local storage)"
    assert lab.pve.vm(150) is None and lab.pve.storages['local-lvm']['volumes'] == volumes
    # The same target as the source node is no target at all.
    api.wait_task(api.post('/nodes/pve1/qemu/9000/clone', newid=151, name='near', full=1, target='pve1'))
    assert lab.pve.vm(151).node == 'pve1'
    # An ISO on local storage in a CD-ROM drive counts too (the cloud-init drive is on nfs.01 here).
    lab.pve.store_file('local', 'debian.iso', 1024, content='iso')
    lab.pve.vm(9001).config['ide0'] = 'local:iso/debian.iso,media=cdrom'
    err = error_of(api.post, '/nodes/pve1/qemu/9001/clone', newid=152, name='iso', full=1, target='pve2')
    assert err.message == "can't clone VM to node 'pve2' (VM uses local storage)"
    lab.pve.vm(9001).config['ide0'] = 'none,media=cdrom'


def test_clone_from_shared_storage_to_another_node(lab, api):
    """clone_vm with `target`: allowed when every volume is on shared storage, full or linked; a target storage
    has to be shared (`can't clone to non-shared storage`) and enabled on the target node
    (PVE::Storage::storage_check_enabled: `storage 'X' is not available on node 'Y'`)."""
    api.wait_task(api.post('/nodes/pve1/qemu/9001/clone', newid=160, name='full-far', full=1, target='pve2',
                           storage='nfs.01'))
    vm = lab.pve.vm(160)
    assert vm.node == 'pve2' and vm.config['scsi0'].startswith('nfs.01:160/vm-160-disk-')
    api.wait_task(api.post('/nodes/pve1/qemu/9001/clone', newid=161, name='linked-far', full=0, target='pve2'))
    assert lab.pve.vm(161).node == 'pve2'
    assert error_of(api.post, '/nodes/pve1/qemu/9001/clone', newid=162, name='x', full=1, target='pve2',
                    storage='local-lvm').message == "can't clone to non-shared storage 'local-lvm'"
    lab.pve.storages['nfs.01']['nodes'] = 'pve1'
    assert error_of(api.post, '/nodes/pve1/qemu/9001/clone', newid=162, name='x', full=1, target='pve2',
                    storage='nfs.01').message == "storage 'nfs.01' is not available on node 'pve2'"


# ---------------------------------------------------------------------- the Windows machine pin

@pytest.mark.parametrize('machine, ostype, expected', [
    ('q35', 'win11', 'pc-q35-10.0+pve1'),
    (None, 'win10', 'pc-i440fx-10.0+pve1'),
    ('pc', 'w2k8', 'pc-i440fx-10.0+pve1'),
    ('type=q35,viommu=intel', 'win11', 'pc-q35-10.0+pve1,viommu=intel'),
    ('pc-q35-9.2+pve1', 'win11', 'pc-q35-9.2+pve1'),
    ('q35', 'l26', 'q35'),
    ('type=q35,viommu=virtio', 'l26', 'q35,viommu=virtio'),
    (None, 'l26', None),
])
def test_create_pins_the_machine_version_of_windows_vms(lab, api, machine, ostype, expected):
    """qemu-server src/PVE/API2/Qemu.pm create_vm -> src/PVE/QemuServer/Machine.pm check_and_pin_machine_string:
    a Windows ostype (Helpers.pm windows_version) with no version gets the newest machine version of the
    installed QEMU, latest_installed_machine_version (10.0.2 -> 10.0, +pve1 from $PVE_MACHINE_VERSION);
    print_machine writes the type bare, then the other keys. The lab's QEMU is fakepve's QEMU_VERSION."""
    extra = {'machine': machine} if machine else {}
    api.wait_task(api.post('/nodes/pve1/qemu', vmid=170, name='w', ostype=ostype, **extra))
    assert lab.pve.vm(170).config.get('machine') == expected


def test_changing_ostype_to_windows_pins_the_machine_unless_machine_is_written_too(lab, api):
    """qemu-server src/PVE/API2/Qemu.pm update_vm, `$opt eq 'ostype'`: check_and_pin_machine_string runs for the
    new ostype unless `machine` is set or deleted in the same request or already pending."""
    api.wait_task(api.post('/nodes/pve1/qemu', vmid=171, name='to-win', ostype='l26', machine='q35'))
    api.put('/nodes/pve1/qemu/171/config', ostype='win11')
    assert lab.pve.vm(171).config['machine'] == 'pc-q35-10.0+pve1'
    api.wait_task(api.post('/nodes/pve1/qemu', vmid=172, name='to-win-2', ostype='l26', machine='q35'))
    api.put('/nodes/pve1/qemu/172/config', ostype='win11', machine='q35')
    assert lab.pve.vm(172).config['machine'] == 'q35'


# ---------------------------------------------------------------------- hibernation

def test_hibernate_then_start_resumes(lab, api):
    """qemu-server src/PVE/QemuServer/RunState.pm vm_suspend (todisk): the state goes to a volume on the
    vmstate storage (QemuConfig.pm find_vmstate_storage, __snapshot_save_vmstate) and the config keeps
    `lock: suspended`, `vmstate`, `runningmachine`, `runningcpu`. src/PVE/QemuServer.pm vm_start accepts the
    `suspended` lock (check_lock is skipped for it), resumes without applying pending changes, then frees the
    state volume and removes lock, vmstate, runningmachine and runningcpu. Other writes see `VM is locked
    (suspended)`."""
    api.wait_task(api.post('/nodes/pve1/qemu/9000/clone', newid=180, name='sleepy', full=1))
    api.wait_task(api.post('/nodes/pve1/qemu/180/status/start'))
    api.wait_task(api.post('/nodes/pve1/qemu/180/status/suspend', todisk=1))
    vm = lab.pve.vm(180)
    config = api.get('/nodes/pve1/qemu/180/config')
    assert vm.status == 'stopped' and config['lock'] == 'suspended'
    assert config['vmstate'].startswith('local-lvm:vm-180-state-suspend-')
    assert config['runningmachine'] == 'pc-q35-10.0+pve1' and config['runningcpu']
    state = config['vmstate'].split(':', 1)[1]
    assert state in lab.pve.storages['local-lvm']['volumes']
    assert error_of(api.put, '/nodes/pve1/qemu/180/config', cores=4).message == 'VM is locked (suspended)'
    api.wait_task(api.post('/nodes/pve1/qemu/180/status/start'))
    config = api.get('/nodes/pve1/qemu/180/config')
    assert vm.status == 'running'
    assert not set(config) & {'lock', 'vmstate', 'runningmachine', 'runningcpu'}
    assert state not in lab.pve.storages['local-lvm']['volumes']


# ---------------------------------------------------------------------- several hostpci slots on one mapping

def test_hostpci_slots_sharing_a_mapping_get_a_device_each_at_start(lab, api):
    """qemu-server src/PVE/QemuServer/PCI.pm choose_hostpci_devices: a mapping with several entries on the node
    gives each slot, in slot order, the first device no earlier slot took; `could not find a free device for
    'hostpciN'` when there is none left, and with a single alternative `device '<id>' assigned more than once`.
    The config write itself checks none of it (API2/Qemu.pm only checks Mapping.Use)."""
    entries = four_gpus(lab)
    lab.pve.add_mapping('pci', 'gpu', entries)
    config = dict(('hostpci{0}'.format(n), 'mapping=gpu,pcie=1') for n in range(4))
    api.wait_task(api.post('/nodes/pve1/qemu', vmid=190, name='four', machine='q35', **config))
    api.wait_task(api.post('/nodes/pve1/qemu/190/status/start'))
    assert lab.pve.vm(190).status == 'running'
    api.wait_task(api.post('/nodes/pve1/qemu/190/status/stop'))

    api.put('/nodes/pve1/qemu/190/config', hostpci4='mapping=gpu,pcie=1')  # accepted: nothing is counted here
    upid = api.post('/nodes/pve1/qemu/190/status/start')
    task = api.get('/nodes/pve1/tasks/{0}/status'.format(upid))
    assert task['exitstatus'] == "could not find a free device for 'hostpci4'"
    assert lab.pve.vm(190).status == 'stopped'

    lab.pve.add_mapping('pci', 'one-gpu', entries[:1])
    api.wait_task(api.post('/nodes/pve1/qemu', vmid=191, name='twice', machine='q35',
                           hostpci0='mapping=one-gpu', hostpci1='mapping=one-gpu'))
    upid = api.post('/nodes/pve1/qemu/191/status/start')
    assert api.get('/nodes/pve1/tasks/{0}/status'.format(upid))['exitstatus'] == \
        "device '0000:01:00.0' assigned more than once"
