"""Break-it pass on PCI mappings, passthrough, virtiofs and storage content: what PVE would refuse only when a
VM starts is refused before the write."""

import json

from test_vm import add_vm


def task(module, label='t', **args):
    return {'name': label, 'iac.proxmox.' + module: args}


def test_pci_mapping_checks_every_address_of_a_multi_device_path(lab, play):
    """PVE::Mapping::PCI::assert_valid checks id and subsystem-id on every address of `a;b` (iommugroup only on
    the first): an entry whose second address is missing, or another device, would map but never start."""
    lab.pve.add_pci_device('pve1', '0000:08:00.0', '0x030000', '0x10de', '0x2204', 40,
                           subsystem_vendor='0x1043', subsystem_device='0x87b3')
    missing = play([task('pve_pci_mapping', 'm', id='pair', map=[{'node': 'pve1', 'path': '0000:01:00;0000:09:00'}])])
    assert missing.task('m')['msg'].startswith("map[0].path: '0000:09:00.0' is invalid: no such PCI device on node "
                                               'pve1'), missing.task('m')['msg']
    other = play([task('pve_pci_mapping', 'm', id='pair', map=[{'node': 'pve1', 'path': '0000:01:00;0000:03:00.0'}])])
    assert other.task('m')['msg'] == ("map[0].id: '10de:2204' is invalid: the device at 0000:03:00.0 on node pve1 "
                                      'is 8086:1533'), other.task('m')['msg']
    assert missing.writes == [] and other.writes == [] and 'pair' not in lab.pve.mappings['pci']
    same = task('pve_pci_mapping', 'm', id='pair', map=[{'node': 'pve1', 'path': '0000:01:00;0000:08:00.0'}])
    play([same]).assert_ok()
    assert lab.pve.mappings['pci']['pair']['map'] == [
        'id=10de:2204,node=pve1,path=0000:01:00;0000:08:00.0,iommugroup=14,subsystem-id=1043:87b3']
    again = play([same]).assert_ok()
    assert again.changed == 0 and again.writes == []


def test_pci_mapping_mdev_flag_must_match_the_device(lab, play):
    """PVE::Mapping::PCI::assert_valid (called with the mapping's config by qemu-server PCI.pm parse_hostpci)
    compares the mapping's mdev flag with whether the device can provide mediated devices: a mismatch makes
    every VM start on the mapping fail, so it is refused before the write."""
    igpu = [{'node': 'pve1', 'path': '0000:00:02.0'}]
    bad = play([task('pve_pci_mapping', 'm', id='igpu', map=igpu)])
    assert bad.task('m')['msg'] == ("mdev: False is invalid: the device at 0000:00:02.0 on node pve1 can provide "
                                    'mediated devices, and PVE refuses to start a VM on a mapping whose mdev flag '
                                    'differs (set mdev: true)'), bad.task('m')['msg']
    nic = play([task('pve_pci_mapping', 'm', id='nic', mdev=True, map=[{'node': 'pve1', 'path': '0000:03:00.0'}])])
    assert 'cannot provide mediated devices' in nic.task('m')['msg'] and 'set mdev: false' in nic.task('m')['msg']
    assert bad.writes == [] and nic.writes == []
    good = task('pve_pci_mapping', 'm', id='igpu', mdev=True, map=igpu)
    play([good]).assert_ok()
    assert play([good]).writes == []
    # Turning the flag off alone (map left out) is checked against the stored entries too.
    off = play([task('pve_pci_mapping', 'm', id='igpu', mdev=False)])
    assert off.task('m')['msg'].startswith('mdev: False is invalid: the device at 0000:00:02.0 on node pve1 can '
                                           'provide'), off.task('m')['msg']
    assert off.writes == [] and lab.pve.mappings['pci']['igpu'].get('mdev') in (1, '1', True)
    add_vm(lab, 330, 'vgpu', machine='q35')
    run = play([task('pve_hostpci', 'vgpu', name='vgpu', mapping='igpu', mdev='i915-GVTg_V5_4'),
                task('pve_vm', 'start', name='vgpu', state='started')]).assert_ok()
    assert lab.pve.vm(330).config['hostpci0'] == 'mapping=igpu,mdev=i915-GVTg_V5_4' and run.changed == 2


def test_a_mapping_pve_finds_invalid_on_the_vms_node_is_refused(lab, play):
    """A mapping can name a path or device that is not (or no longer) on a node: PVE checks a node's entries
    only when a VM starts there (qemu-server Virtiofs.pm assert_virtiofs_config, PCI.pm parse_hostpci), and
    reports the same checks through GET /cluster/mapping/<kind>?check-node (pve-manager
    PVE/API2/Cluster/Mapping/Dir.pm and PCI.pm index). The share or device is refused before the write."""
    lab.pve.add_mapping('dir', 'typo', ['node=pve1,path=/srv/shared-data', 'node=pve2,path=/srv/sahred-data'])
    lab.pve.add_mapping('pci', 'stale', ['id=10de:9999,node=pve1,path=0000:01:00,iommugroup=14,'
                                         'subsystem-id=1043:87b3'])
    vm = add_vm(lab, 340, 'on-pve2', node='pve2')
    add_vm(lab, 341, 'gpu', machine='q35')
    share = task('pve_virtiofs', 'share', name='on-pve2', mapping='typo')
    gpu = task('pve_hostpci', 'gpu', name='gpu', mapping='stale')
    for item in (share, gpu):
        item['ignore_errors'] = True
    run = play([share, gpu])
    assert run.task('share')['msg'] == (
        "mapping: 'typo' is invalid: PVE finds the directory mapping invalid on node pve2, where VM 340 (on-pve2) "
        'runs, so the VM could not start: Invalid configuration: Path /srv/sahred-data does not exist')
    assert run.task('gpu')['msg'] == (
        "mapping: 'stale' is invalid: PVE finds the PCI mapping invalid on node pve1, where VM 341 (gpu) runs, so "
        "the VM could not start: Invalid configuration: 'id' does not match for 'stale' (10de:2204 != 10de:9999)")
    assert run.writes == [] and 'virtiofs0' not in vm.config
    # The same share on a node where the path exists is fine (one listing, checked on the VM's node).
    add_vm(lab, 342, 'on-pve1', node='pve1')
    ok = play([task('pve_virtiofs', 'share', name='on-pve1', mapping='typo')]).assert_ok()
    assert lab.pve.vm(342).config['virtiofs0'] == 'typo' and ok.changed == 1
    assert ('GET', '/cluster/mapping/dir') in ok.calls


def test_a_password_in_a_download_url_is_masked_everywhere(lab, play):
    """PVE's download task logs the URL as given (pve-storage src/PVE/API2/Storage/Status.pm download_url, through
    pve-common Tools.pm download_file_from_url: "downloading <url> to <dest>"); a failed download showed that
    log, and the module's arguments, with the URL's password in clear."""
    secret = 'Wh4tEver-pw'
    url = 'http://bob:{0}@127.0.0.1:9/img/debian.qcow2'.format(secret)
    item = {'name': 'content', 'iac.proxmox.pve_storage_content': {
        'node': 'pve1', 'storage': 'local', 'content': 'import', 'filename': 'debian.qcow2', 'url': url}}
    run = play([item], diff=True)
    result = run.task('content')
    assert run.rc != 0 and 'downloading http://bob:********@127.0.0.1:9/img/debian.qcow2' in result['msg']
    assert secret not in run.stdout + run.stderr and secret not in json.dumps(run.results)
    check = play([item], diff=True, check=True).assert_ok()
    assert secret not in check.stdout + check.stderr and secret not in json.dumps(check.results)


def test_a_host_function_already_in_another_slot_is_refused(lab, play):
    """qemu-server src/PVE/QemuServer/PCI.pm choose_hostpci_devices: a host function in two slots makes the VM's
    start fail with `device '<id>' assigned more than once`. `0000:01:00` (every function) and `0000:01:00.1`
    are different identities to the module, so the second went into a new slot."""
    vm = add_vm(lab, 350, 'twice', machine='q35', hostpci0='0000:01:00.0;0000:01:00.1,pcie=1',
                hostpci1='0000:00:02.0,mdev=i915-GVTg_V5_4')
    again = task('pve_hostpci', 'all', name='twice', host=['0000:01:00'])
    audio = task('pve_hostpci', 'audio', name='twice', host=['0000:03:00.0', '01:00.1'])
    for item in (again, audio):
        item['ignore_errors'] = True
    run = play([again, audio], auth='password')
    assert run.task('all')['msg'] == (
        "host[0]: '0000:01:00' is invalid: function 0000:01:00.0 is already passed through in hostpci0 of VM 350 "
        "(twice) (0000:01:00.0;0000:01:00.1,pcie=1); PVE refuses to start a VM with a device assigned more than once")
    assert run.task('audio')['msg'].startswith("host[1]: '0000:01:00.1' is invalid: function 0000:01:00.1 is "
                                               'already passed through in hostpci0'), run.task('audio')['msg']
    assert run.writes == [] and sorted(k for k in vm.config if k.startswith('hostpci')) == ['hostpci0', 'hostpci1']
    # A function no other slot has is fine, and the VM starts.
    ok = play([task('pve_hostpci', 'nic', name='twice', host=['0000:03:00.0']),
               task('pve_vm', 'start', name='twice', state='started')], auth='password').assert_ok()
    assert vm.config['hostpci2'] == '0000:03:00.0' and vm.status == 'running' and ok.changed == 2


def test_backup_to_a_storage_the_node_lacks_names_the_option(lab, play):
    """With max_age (default one day) the module first lists the storage's backups, and PVE's answer for a
    storage the node does not have (pve-storage src/PVE/Storage.pm storage_config, through
    src/PVE/API2/Storage/Content.pm index: `storage 'nope' does not exist`) came back as a bare API error
    instead of the option, the value and the node's backup storages that max_age=0 gives."""
    add_vm(lab, 720, 'backed')
    for max_age in (0, 86400):
        args = {'vmid': 720, 'storage': 'nope', 'max_age': max_age}
        run = play([{'name': 'backup', 'iac.proxmox.pve_backup': args}])
        msg = run.task('backup')['msg']
        assert msg.startswith("storage: 'nope' is invalid: is not a storage of node pve1 (backup storages: "), msg
        assert run.writes == []


def test_virtiofs_xattr_off_on_a_share_that_keeps_acls_is_refused(lab, play):
    """qemu-server src/PVE/QemuServer/Virtiofs.pm: expose-acl passes --posix-acl to virtiofsd, and "enabled ACL
    implies xattr". expose_xattr: false on a share that keeps expose-acl=1 reported ok while the guest still saw
    extended attributes; the module already refused both in one play."""
    lab.pve.add_mapping('dir', 'shared-data', ['node=pve1,path=/srv/shared-data'])
    vm = add_vm(lab, 360, 'acl', virtiofs0='shared-data,expose-acl=1')
    run = play([task('pve_virtiofs', 's', name='acl', mapping='shared-data', expose_xattr=False)])
    assert run.task('s')['msg'] == ("expose_xattr: False is invalid: the share keeps expose-acl=1, and ACLs imply "
                                    'extended attributes (virtiofsd --posix-acl); set expose_acl: false too')
    assert run.writes == [] and vm.config['virtiofs0'] == 'shared-data,expose-acl=1'
    both = task('pve_virtiofs', 's', name='acl', mapping='shared-data', expose_xattr=False, expose_acl=False)
    play([both]).assert_ok()
    assert vm.config['virtiofs0'] == 'shared-data'
    assert play([both]).writes == []


def test_a_mapping_description_with_a_line_break_is_refused_before_any_write(lab, play):
    """pve-common src/PVE/SectionConfig.pm check_value refuses a line feed in any mapping option (`property contains
    a line feed`), and the schema 4096 characters: the modules sent them and showed PVE's refusal (the pci kind
    also for the length), now they refuse before any request that writes."""
    tasks = [
        ('pve_dir_mapping', {'map': [{'node': 'pve1', 'path': '/srv/datasets'}], 'description': 'one\ntwo'}),
        ('pve_pci_mapping', {'map': [{'node': 'pve1', 'path': '0000:03:00.0'}], 'description': 'one\r\ntwo'}),
        ('pve_usb_mapping', {'map': [{'node': 'pve1', 'id': '1050:0407'}], 'description': 'one\ntwo'}),
        ('pve_pci_mapping', {'map': [{'node': 'pve1', 'path': '0000:03:00.0'}], 'description': 'x' * 4097}),
    ]
    items = []
    for index, (module, args) in enumerate(tasks):
        item = task(module, 'm{0}'.format(index), id='m{0}'.format(index), **args)
        item['ignore_errors'] = True
        items.append(item)
    run = play(items)
    for index in range(len(tasks)):
        msg = run.task('m{0}'.format(index))['msg']
        assert msg.startswith('description: ') and msg.endswith('is invalid: must be one line of at most 4096 '
                                                                'characters (PVE keeps it on one line of the '
                                                                'mapping config file)'), msg
    assert run.writes == []
