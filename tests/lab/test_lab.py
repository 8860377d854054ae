"""The lab itself: the behaviour it adds to fakepve follows PVE's, wording included."""

import pytest

from labtools import error_of, task_error_of


def test_seeded_topology(api):
    assert [n['node'] for n in api.get('/nodes')] == ['pve1', 'pve2']
    storages = {s['storage']: s for s in api.get('/storage')}
    assert set(storages) == {'local', 'local-lvm', 'nfs.01'}
    assert storages['nfs.01']['shared'] == 1
    config = api.get('/nodes/pve1/qemu/9000/config')
    assert config['name'] == 'debian-12-golden' and config['template'] == 1 and config['bios'] == 'ovmf'
    assert config['efidisk0'] == 'local-lvm:base-9000-disk-0,efitype=4m,pre-enrolled-keys=1,size=528K'
    assert 'version=v2.0' in config['tpmstate0'] and config['agent'] == '1'
    assert config['net0'].startswith('virtio=') and 'bridge=vmbr0' in config['net0']
    templates = api.get('/nodes/pve1/storage/local/content', content='vztmpl')
    assert [t['volid'] for t in templates] == ['local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst']


def test_dir_mapping_lifecycle_and_wording(lab, api):
    api.post('/cluster/mapping/dir', id='data', map=['node=pve1,path=/srv/datasets', 'node=pve2,path=/srv/x'],
             description='d')
    [entry] = api.get('/cluster/mapping/dir')
    assert entry['id'] == 'data' and entry['map'] == ['node=pve1,path=/srv/datasets', 'node=pve2,path=/srv/x']
    assert entry['digest'] == lab.pve.mapping_digest('dir')
    assert error_of(api.post, '/cluster/mapping/dir', id='data', map=['node=pve2,path=/a']).message == \
        "create directory mapping failed: dir ID 'data' already defined"
    assert error_of(api.get, '/cluster/mapping/dir/nope').message == "mapping 'nope' not found"
    assert error_of(api.put, '/cluster/mapping/dir/nope', description='x').message == \
        "update directory mapping failed: dir ID 'nope' does not exist"
    stale = error_of(api.put, '/cluster/mapping/dir/data', description='x', digest='0' * 40)
    assert stale.message == ('update directory mapping failed: detected modified configuration - file changed by '
                             'other user? Try again.')
    api.put('/cluster/mapping/dir/data', delete='description', digest=entry['digest'])
    assert 'description' not in api.get('/cluster/mapping/dir/data')
    checks = api.get('/cluster/mapping/dir', **{'check-node': 'pve2'})[0]['checks']
    assert checks == [{'severity': 'error', 'message': 'Invalid configuration: Path /srv/x does not exist'}]
    api.delete('/cluster/mapping/dir/data')
    api.delete('/cluster/mapping/dir/data')  # PVE does not mind deleting what is gone
    assert api.get('/cluster/mapping/dir') == []


def test_dir_mapping_checks_as_pve_does(api):
    twice = error_of(api.post, '/cluster/mapping/dir', id='data',
                     map=['node=pve1,path=/srv/datasets', 'node=pve1,path=/srv/scratch'])
    assert twice.message == "Node 'pve1' is specified 2 times."
    missing = error_of(api.post, '/cluster/mapping/dir', id='data', map=['node=pve1,path=/srv/nowhere'])
    assert missing.message == 'Path /srv/nowhere does not exist'
    relative = error_of(api.post, '/cluster/mapping/dir', id='data', map=['node=pve1,path=srv'])
    assert relative.status == 400 and 'does not look like a valid absolute path' in relative.errors['map[0]']
    bad_id = error_of(api.post, '/cluster/mapping/dir', id='x', map=['node=pve1,path=/srv/datasets'])
    assert bad_id.errors == {'id': "invalid format - invalid configuration ID 'x'\n"}


def test_pci_and_usb_mappings_are_stored_too(api):
    api.post('/cluster/mapping/pci', id='gpu', map=['id=10de:2204,node=pve1,path=0000:01:00'], mdev=0)
    assert api.get('/cluster/mapping/pci/gpu')['map'] == ['id=10de:2204,node=pve1,path=0000:01:00']
    assert error_of(api.post, '/cluster/mapping/pci', id='gpu', map=['id=10de:2204,node=pve1,path=0000:01:00']
                    ).message == "create hardware mapping failed: pci ID 'gpu' already defined"
    api.post('/cluster/mapping/usb', id='dongle', map=['id=0529:0001,node=pve1'])
    assert [e['id'] for e in api.get('/cluster/mapping/usb')] == ['dongle']


def test_node_pci_hardware_from_the_seeded_table(api):
    ids = [d['id'] for d in api.get('/nodes/pve1/hardware/pci')]
    # The bridge (class 06) is filtered by PVE's default class blacklist.
    assert ids == ['0000:00:02.0', '0000:01:00.0', '0000:01:00.1', '0000:03:00.0']
    everything = api.get('/nodes/pve1/hardware/pci', **{'pci-class-blacklist': ''})
    assert '0000:00:1f.0' in [d['id'] for d in everything]
    gpu = [d for d in api.get('/nodes/pve1/hardware/pci') if d['id'] == '0000:01:00.0'][0]
    assert gpu['iommugroup'] == 14 and gpu['vendor'] == '0x10de' and gpu['device'] == '0x2204'
    audio = [d for d in api.get('/nodes/pve1/hardware/pci') if d['id'] == '0000:01:00.1'][0]
    assert audio['iommugroup'] == 14  # one IOMMU group: a multi-function device
    terse = api.get('/nodes/pve1/hardware/pci', verbose=0)
    assert all('vendor_name' not in d for d in terse)
    assert [d['id'] for d in api.get('/nodes/pve2/hardware/pci')] == ['0000:02:00.0']


def test_mdev_types(api):
    types = api.get('/nodes/pve1/hardware/pci/0000:00:02.0/mdev')
    assert [t['type'] for t in types] == ['i915-GVTg_V5_4', 'i915-GVTg_V5_8']
    assert api.get('/nodes/pve1/hardware/pci/0000:01:00.0/mdev') == []


def test_field_failures_and_request_log(lab, api):
    lab.pve.fail_fields('PUT', '/cluster/mapping/dir/data', {'map': 'bad'}, times=1)
    err = error_of(api.put, '/cluster/mapping/dir/data', description='x')
    assert err.status == 400 and err.errors == {'map': 'bad'}
    assert lab.pve.writes() == [('PUT', '/cluster/mapping/dir/data', b'description=x')]
    # Only once: the next request reaches the handler.
    assert 'does not exist' in error_of(api.put, '/cluster/mapping/dir/data', description='x').message


def clone_golden(api, newid, **extra):
    api.wait_task(api.post('/nodes/pve1/qemu/9000/clone', newid=newid, name='copy{0}'.format(newid), full=1, **extra))
    return api.get('/nodes/pve1/qemu/{0}/config'.format(newid))


def test_clone_gets_its_own_cloudinit_drive(lab, api):
    config = clone_golden(api, 100)
    assert config['ide2'] == 'local-lvm:vm-100-cloudinit,media=cdrom'
    assert 'vm-100-cloudinit' in lab.pve.storages['local-lvm']['volumes']
    assert lab.pve.vm(9000).config['ide2'] == 'local-lvm:vm-9000-cloudinit,media=cdrom'


def test_config_write_allocates_and_detaches_disks(lab, api):
    clone_golden(api, 101)
    api.put('/nodes/pve1/qemu/101/config', scsi1='nfs.01:2,backup=0,format=qcow2')
    config = api.get('/nodes/pve1/qemu/101/config')
    assert config['scsi1'].startswith('nfs.01:101/vm-101-disk-') and config['scsi1'].endswith('.qcow2,backup=0,size=2G')
    volume = config['scsi1'].split(',')[0]
    api.put('/nodes/pve1/qemu/101/config', delete='scsi1')
    config = api.get('/nodes/pve1/qemu/101/config')
    assert 'scsi1' not in config and config['unused0'] == volume
    api.put('/nodes/pve1/qemu/101/config', delete='unused0')
    assert 'unused0' not in api.get('/nodes/pve1/qemu/101/config')
    assert volume.split(':', 1)[1] not in lab.pve.storages['nfs.01'].get('volumes', {})


def test_pending_disk_delete_detaches_on_start(lab, api):
    clone_golden(api, 102)
    # Without disk hotplug the removal waits for the next start (qemu-server vmconfig_hotplug_pending).
    api.put('/nodes/pve1/qemu/102/config', scsi1='local-lvm:1', hotplug='network')
    api.wait_task(api.post('/nodes/pve1/qemu/102/status/start'))
    api.put('/nodes/pve1/qemu/102/config', delete='scsi1')
    assert any(p.get('key') == 'scsi1' and p.get('delete') for p in api.get('/nodes/pve1/qemu/102/pending'))
    api.wait_task(api.post('/nodes/pve1/qemu/102/status/reboot'))
    config = api.get('/nodes/pve1/qemu/102/config')
    assert 'scsi1' not in config and config['unused0'].startswith('local-lvm:vm-102-disk-')


def test_pending_lists_the_config_digest_as_pve_does(lab, api):
    clone_golden(api, 104)
    lab.pve.add_ct(300, 'ct-300', node='pve1', config={'rootfs': 'local-lvm:subvol-300-disk-0,size=8G'})
    for path in ('/nodes/pve1/qemu/104', '/nodes/pve1/lxc/300'):
        digest = api.get(path + '/config')['digest']
        assert {'key': 'digest', 'value': digest} in api.get(path + '/pending')
    api.put('/nodes/pve1/qemu/104/config', cores=3)
    items = dict((p['key'], p.get('value')) for p in api.get('/nodes/pve1/qemu/104/pending'))
    assert items['digest'] == api.get('/nodes/pve1/qemu/104/config')['digest'] != digest


def test_resize_as_pve(lab, api):
    clone_golden(api, 103)
    api.wait_task(api.put('/nodes/pve1/qemu/103/resize', disk='scsi0', size='+2G'))
    assert 'size=10G' in api.get('/nodes/pve1/qemu/103/config')['scsi0']
    api.wait_task(api.put('/nodes/pve1/qemu/103/resize', disk='scsi0', size='12G'))
    assert 'size=12G' in api.get('/nodes/pve1/qemu/103/config')['scsi0']
    # qemu-server API2/Qemu.pm resize_vm checks inside its worker: these fail the task.
    assert task_error_of(api, api.put('/nodes/pve1/qemu/103/resize', disk='scsi0', size='4G')) == \
        'shrinking disks is not supported'
    assert task_error_of(api, api.put('/nodes/pve1/qemu/103/resize', disk='ide2', size='4G')) == \
        "you can't resize a cdrom"
    assert task_error_of(api, api.put('/nodes/pve1/qemu/103/resize', disk='scsi9', size='4G')) == \
        "disk 'scsi9' does not exist"


def test_move_disk(lab, api):
    clone_golden(api, 104)
    api.wait_task(api.post('/nodes/pve1/qemu/104/move_disk', disk='scsi0', storage='nfs.01', delete=1))
    config = api.get('/nodes/pve1/qemu/104/config')
    assert config['scsi0'].startswith('nfs.01:104/') and not any(k.startswith('unused') for k in config)


def test_cloudinit_password_is_hashed_and_masked(lab, api):
    clone_golden(api, 105)
    api.put('/nodes/pve1/qemu/105/config', cipassword='hunter2', ciuser='admin')
    assert api.get('/nodes/pve1/qemu/105/config')['cipassword'] == '**********'
    assert lab.pve.vm(105).config['cipassword'].startswith('$5$')
    api.put('/nodes/pve1/qemu/105/cloudinit')
    assert lab.pve.vm(105).cloudinit_generated == 1
    pending = api.get('/nodes/pve1/qemu/105/cloudinit')
    assert all('pending' not in item for item in pending)


def test_guest_agent_answers_once_booted(lab, api):
    clone_golden(api, 106)
    assert error_of(api.post, '/nodes/pve1/qemu/106/agent/ping').message == 'VM 106 is not running'
    api.wait_task(api.post('/nodes/pve1/qemu/106/status/start'))
    assert api.post('/nodes/pve1/qemu/106/agent/ping') is not None


def test_nodes_report_their_cpu_threads(api):
    assert [n['maxcpu'] for n in api.get('/nodes')] == [32, 32]


def start_error(api, lab, vmid):
    with pytest.raises(Exception) as err:
        api.wait_task(api.post('/nodes/{0}/qemu/{1}/status/start'.format(lab.pve.vm(vmid).node, vmid)))
    return err.value.exitstatus


@pytest.mark.parametrize('config,node,expected', [
    ({'virtiofs0': 'nothere'}, 'pve1', 'Directory ID nothere does not exist.'),
    ({'virtiofs0': 'only1'}, 'pve2', 'No directory mapping for node pve2.'),
    ({'virtiofs0': 'gone'}, 'pve1', 'directory mapping invalid: Path /srv/removed does not exist'),
    ({'hostpci0': '0000:05:00'}, 'pve1', "no PCI device found for '0000:05:00'"),
    ({'hostpci0': '0000:01:00,pcie=1', 'machine': 'pc'}, 'pve1', 'q35 machine model is not enabled'),
    ({'hostpci0': 'mapping=gpu'}, 'pve2', "PCI device mapping not found for 'gpu'"),
    ({'hostpci0': 'mapping=stale'}, 'pve1',
     "PCI device mapping invalid (hardware probably changed): 'id' does not match for 'stale' (10de:2204 != 10de:9999)"),
    ({'hostpci0': '0000:00:02.0,legacy-igd=1', 'machine': 'pc', 'vga': 'std'}, 'pve1',
     "legacy IGD assignment requires VGA mode to be 'none'"),
    ({'hostpci0': '0000:01:00,mdev=x'}, 'pve1', 'cannot use mediated device with multifunction device'),
])
def test_vm_start_refuses_what_pve_refuses(lab, api, config, node, expected):
    lab.pve.add_mapping('dir', 'only1', ['node=pve1,path=/srv/datasets'])
    lab.pve.add_mapping('dir', 'gone', ['node=pve1,path=/srv/removed'])
    lab.pve.add_mapping('pci', 'gpu', ['id=10de:2204,node=pve1,path=0000:01:00,iommugroup=14,subsystem-id=1043:87b3'])
    lab.pve.add_mapping('pci', 'stale', ['id=10de:9999,node=pve1,path=0000:01:00,iommugroup=14,subsystem-id=1043:87b3'])
    lab.pve.add_vm(400, 'checked', node=node, config=dict({'machine': 'q35'}, **config))
    assert start_error(api, lab, 400) == expected
    assert lab.pve.vm(400).status == 'stopped'


def test_vm_with_valid_devices_starts(lab, api):
    lab.pve.add_mapping('dir', 'data', ['node=pve1,path=/srv/datasets'])
    lab.pve.add_mapping('pci', 'gpu', ['id=10de:2204,node=pve1,path=0000:01:00,iommugroup=14,subsystem-id=1043:87b3'])
    lab.pve.add_vm(401, 'fine', node='pve1', config={'machine': 'q35', 'virtiofs0': 'data,cache=always',
                                                     'hostpci0': 'mapping=gpu,pcie=1,x-vga=1',
                                                     'hostpci1': '0000:03:00.0'})
    api.wait_task(api.post('/nodes/pve1/qemu/401/status/start'))
    assert lab.pve.vm(401).status == 'running'


def test_raw_hostpci_is_root_only(lab, api):
    lab.pve.add_vm(402, 'pci', node='pve1')
    # The token belongs to root@pam, but PVE compares the authenticated ID: root@pam!lab is not root@pam.
    err = error_of(api.put, '/nodes/pve1/qemu/402/config', hostpci0='0000:01:00')
    assert err.status == 500 and err.message == "only root can set 'hostpci0' config for non-mapped devices"
    api.put('/nodes/pve1/qemu/402/config', hostpci0='mapping=gpu')
    assert lab.pve.vm(402).config['hostpci0'] == 'mapping=gpu'


def test_pci_mapping_check_node(lab, api):
    lab.pve.add_mapping('pci', 'stale', ['id=10de:9999,node=pve1,path=0000:01:00,iommugroup=14,subsystem-id=1043:87b3'])
    [entry] = api.get('/cluster/mapping/pci', **{'check-node': 'pve1'})
    assert entry['checks'] == [{'severity': 'error', 'message': "Invalid configuration: 'id' does not match for "
                                                                "'stale' (10de:2204 != 10de:9999)"}]
    [entry] = api.get('/cluster/mapping/pci', **{'check-node': 'pve2'})
    assert entry['checks'] == [{'severity': 'warning', 'message': 'No mapping for node pve2.'}]


# ---------------------------------------------------------------------- faults the lab adds

def test_a_lost_answer_is_processed_but_never_arrives(lab, api):
    from ansible_collections.iac.proxmox.plugins.module_utils._errors import PveConnectionError
    lab.pve.lose_answers('PUT', '/qemu/9000/config')
    with pytest.raises(PveConnectionError) as err:
        api.put('/nodes/pve1/qemu/9000/config', description='changed')
    assert err.value.sent is None  # sent, answer lost: the client cannot know
    assert lab.pve.vm(9000).config['description'] == 'changed'
    api.put('/nodes/pve1/qemu/9000/config', description='again')  # only the next one was lost
    assert lab.pve.vm(9000).config['description'] == 'again'


def test_before_next_runs_between_a_read_and_a_write(lab, api):
    digest = api.get('/nodes/pve1/qemu/9000/config')['digest']
    lab.pve.before_next('PUT', '/qemu/9000/config', lambda: lab.pve.vm(9000).config.update(cores='3'))
    err = error_of(api.put, '/nodes/pve1/qemu/9000/config', memory='4096', digest=digest)
    assert err.message == 'checksum mismatch (file change by other user?)'
    assert lab.pve.vm(9000).config['cores'] == '3' and lab.pve.vm(9000).config['memory'] != '4096'


def test_pci_mapping_mdev_flag_checked_against_the_device(lab, api):
    """pve-guest-common src/PVE/Mapping/PCI.pm assert_valid, given the mapping's config (as qemu-server
    src/PVE/QemuServer/PCI.pm parse_hostpci and pve-manager PVE/API2/Cluster/Mapping/PCI.pm index with
    check-node pass it), compares the mapping's mdev flag with the device's mdev capability."""
    igpu = 'id=8086:3e92,node=pve1,path=0000:00:02.0,iommugroup=1'
    lab.pve.add_mapping('pci', 'igpu', [igpu])
    lab.pve.add_mapping('pci', 'vgpu', [igpu], mdev=1)
    lab.pve.add_mapping('pci', 'nic', ['id=8086:1533,node=pve1,path=0000:03:00.0,iommugroup=16,'
                                       'subsystem-id=8086:0001'], mdev=1)
    checks = dict((e['id'], e['checks']) for e in api.get('/cluster/mapping/pci', **{'check-node': 'pve1'}))
    assert checks == {
        'igpu': [{'severity': 'error', 'message': "Invalid configuration: 'mdev' does not match for 'igpu' (1 != 0)"}],
        'nic': [{'severity': 'error', 'message': "Invalid configuration: 'mdev' does not match for 'nic' (0 != 1)"}],
        'vgpu': []}
    lab.pve.add_vm(403, 'igpu', node='pve1', config={'machine': 'q35', 'hostpci0': 'mapping=igpu'})
    assert start_error(api, lab, 403) == ("PCI device mapping invalid (hardware probably changed): 'mdev' does not "
                                          "match for 'igpu' (1 != 0)")
    lab.pve.add_vm(404, 'vgpu', node='pve1', config={'machine': 'q35', 'hostpci0': 'mapping=vgpu,mdev=i915-GVTg_V5_4'})
    api.wait_task(api.post('/nodes/pve1/qemu/404/status/start'))
    assert lab.pve.vm(404).status == 'running'


@pytest.mark.parametrize('kind, mapping', [
    ('dir', 'node=pve1,path=/srv/datasets'),
    ('pci', 'id=8086:1533,node=pve1,path=0000:03:00.0,iommugroup=16,subsystem-id=8086:0001'),
    ('usb', 'id=1050:0407,node=pve1'),
])
def test_mapping_description_with_a_line_feed_is_refused(lab, api, kind, mapping):
    """pve-common src/PVE/SectionConfig.pm check_value (`property contains a line feed`), run by check_config in
    pve-manager PVE/API2/Cluster/Mapping/{Dir,PCI,USB}.pm create (before the lock: the bare message) and update
    (inside lock_*_config: prefixed with the handler's words)."""
    err = error_of(api.post, '/cluster/mapping/' + kind, id='lf', map=[mapping], description='one\ntwo')
    assert err.message == 'property contains a line feed' and 'lf' not in lab.pve.mappings[kind]
    api.post('/cluster/mapping/' + kind, id='lf', map=[mapping], description='one')
    err = error_of(api.put, '/cluster/mapping/{0}/lf'.format(kind), description='one\rtwo', map=[mapping])
    words = 'update directory mapping failed' if kind == 'dir' else 'update hardware mapping failed'
    assert err.message == words + ': property contains a line feed'
    assert lab.pve.mappings[kind]['lf']['description'] == 'one'


def test_dir_mapping_path_with_a_trailing_slash_is_the_directory(lab, api):
    """pve-guest-common src/PVE/Mapping/Dir.pm assert_valid tests the path with Perl's -e and -d, which the file
    system resolves: /srv/datasets/ and /srv//datasets are the directory /srv/datasets (create, check-node and a
    VM's start); a missing directory is still refused."""
    api.post('/cluster/mapping/dir', id='slash', map=['node=pve1,path=/srv/datasets/', 'node=pve2,path=/srv//datasets'])
    for node in ('pve1', 'pve2'):
        [entry] = api.get('/cluster/mapping/dir', **{'check-node': node})
        assert entry['checks'] == []
    lab.pve.add_vm(405, 'slash', node='pve2', config={'virtiofs0': 'slash'})
    api.wait_task(api.post('/nodes/pve2/qemu/405/status/start'))
    assert lab.pve.vm(405).status == 'running'
    err = error_of(api.post, '/cluster/mapping/dir', id='nope', map=['node=pve1,path=/srv/nope/'])
    assert err.message == 'Path /srv/nope/ does not exist'
