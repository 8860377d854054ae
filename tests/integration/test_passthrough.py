"""pve_virtiofs, pve_hostpci and pve_pci_mapping end to end against the lab's node hardware."""

from labtools import four_gpus
from test_vm import add_vm


def task(module, label='t', **args):
    return {'name': label, 'iac.proxmox.' + module: args}


def q35_vm(lab, vmid=300, name='gpu-vm', node='pve1', **config):
    config.setdefault('machine', 'q35')
    return add_vm(lab, vmid, name, node=node, **config)


def share_data(lab):
    lab.pve.add_mapping('dir', 'shared-data', ['node=pve1,path=/srv/shared-data', 'node=pve2,path=/srv/shared-data'])


# ---------------------------------------------------------------------- hostpci

def test_all_functions_by_host_address_and_the_vm_starts(lab, play):
    vm = q35_vm(lab)
    gpu = task('pve_hostpci', 'gpu', name='gpu-vm', host=['0000:01:00'], pcie=True, x_vga=True)
    run = play([gpu, task('pve_vm', 'start', name='gpu-vm', state='started')], auth='password', diff=True).assert_ok()
    assert vm.config['hostpci0'] == '0000:01:00,pcie=1,x-vga=1'
    assert vm.status == 'running'
    assert run.task('gpu')['slot'] == 'hostpci0' and run.task('gpu')['diff']['after'] == {
        'hostpci0': '0000:01:00,pcie=1,x-vga=1'}
    again = play([gpu], auth='password').assert_ok()
    assert again.changed == 0 and again.writes == []
    check = play([task('pve_hostpci', 'nic', name='gpu-vm', host=['0000:03:00.0'])], auth='password',
                 check=True).assert_ok()
    assert check.writes == [] and check.task('nic')['plan'] == ['set hostpci1 of VM 300 (gpu-vm): 0000:03:00.0']


def test_short_host_form_is_the_same_device(lab, play):
    vm = q35_vm(lab, hostpci0='01:00,pcie=1')
    run = play([task('pve_hostpci', name='gpu-vm', host=['0000:01:00'], pcie=True)], auth='password').assert_ok()
    assert run.changed == 0 and run.writes == [] and vm.config['hostpci0'] == '01:00,pcie=1'


def test_mapping_passthrough_end_to_end_with_a_token(lab, play):
    vm = q35_vm(lab)
    tasks = [task('pve_pci_mapping', 'map', id='gpu', description='RTX 3090', map=[{'node': 'pve1', 'path': '0000:01:00'}]),
             task('pve_hostpci', 'gpu', name='gpu-vm', mapping='gpu', pcie=True, x_vga=True),
             task('pve_vm', 'start', name='gpu-vm', state='started')]
    run = play(tasks).assert_ok()
    assert lab.pve.mappings['pci']['gpu']['map'] == [
        'id=10de:2204,node=pve1,path=0000:01:00,iommugroup=14,subsystem-id=1043:87b3']
    assert run.task('map')['mapping']['map'] == [{'node': 'pve1', 'path': '0000:01:00', 'id': '10de:2204',
                                                  'iommugroup': '14', 'subsystem_id': '1043:87b3'}]
    assert vm.config['hostpci0'] == 'mapping=gpu,pcie=1,x-vga=1' and vm.status == 'running'
    again = play(tasks).assert_ok()
    assert again.changed == 0 and again.writes == []
    check = play([task('pve_hostpci', 'gpu', name='gpu-vm', mapping='gpu', state='absent')], check=True).assert_ok()
    assert check.writes == [] and check.task('gpu')['plan'] == ['remove PCI device hostpci0 from VM 300 (gpu-vm)']


def test_raw_host_with_a_token_is_explained(lab, play):
    q35_vm(lab)
    run = play([task('pve_hostpci', name='gpu-vm', host=['0000:01:00'])])
    msg = run.task('t')['msg']
    assert "only root can set 'hostpci0' config for non-mapped devices" in msg
    assert 'Use a cluster PCI mapping instead' in msg and 'iac.proxmox.pve_pci_mapping' in msg
    assert 'hostpci0' not in lab.pve.vm(300).config


def test_pending_on_a_running_vm(lab, play):
    q35_vm(lab, status='running')
    run = play([task('pve_hostpci', name='gpu-vm', host=['0000:03:00.0'])], auth='password').assert_ok()
    assert run.task('t')['pending'] == ['hostpci0'] and run.task('t')['reboot_required'] is True
    again = play([task('pve_hostpci', name='gpu-vm', host=['0000:03:00.0'])], auth='password').assert_ok()
    assert again.changed == 0 and again.writes == []


def test_mdev_type_checked_against_the_device(lab, play):
    vm = q35_vm(lab, machine='pc')
    ok = play([task('pve_hostpci', name='gpu-vm', host=['0000:00:02.0'], mdev='i915-GVTg_V5_4')],
              auth='password').assert_ok()
    assert vm.config['hostpci0'] == '0000:00:02.0,mdev=i915-GVTg_V5_4' and ok.changed == 1
    bad = play([task('pve_hostpci', name='gpu-vm', host=['0000:01:00.0'], mdev='i915-GVTg_V5_4')], auth='password')
    assert bad.task('t')['msg'].startswith("mdev: 'i915-GVTg_V5_4' is invalid: is not a mediated device type "
                                           '0000:01:00.0 offers on node pve1 (types: none)')
    assert bad.writes == []


BAD_HOSTPCI = [
    ({'host': ['0000:05:00']}, 'host[0]', 'no such PCI device on node pve1'),
    ({'host': ['0000:01:00'], 'pcie': True, 'vmid': 301}, 'pcie', 'needs the q35 machine type'),
    ({'host': ['01:00.9']}, 'host[0]', 'is not a PCI address'),
    ({'host': ['0000:01:00'], 'vendor_id': '10de'}, 'vendor_id', '0x followed by four hex digits'),
    ({'host': ['0000:00:02.0'], 'legacy_igd': True}, 'legacy_igd', 'needs an i440fx machine'),
    ({'host': ['0000:00:02.0'], 'legacy_igd': True, 'vmid': 301}, 'legacy_igd', 'needs vga: none'),
    ({'host': ['0000:01:00'], 'mdev': 'i915-GVTg_V5_4'}, 'mdev', 'needs a single function'),
    ({'mapping': 'no-such-gpu'}, 'mapping', 'no PCI mapping with this ID exists'),
    ({'mapping': 'nic2'}, 'mapping', 'has no entry for node pve1'),
    ({'host': ['0000:01:00'], 'slot': 'hostpci1'}, 'slot', 'holds another PCI device'),
    ({'host': ['0000:01:00'], 'slot': 'hostpci16'}, 'slot', 'is not a PCI device slot'),
    ({'host': ['0000:01:00'], 'romfile': '../../etc/passwd'}, 'romfile', 'must be a file name'),
]


def test_bad_hostpci_input_fails_before_any_write(lab, play):
    q35_vm(lab, hostpci1='0000:03:00.0')
    add_vm(lab, 301, 'old-vm', machine='pc-i440fx-9.2')
    lab.pve.add_mapping('pci', 'nic2', ['id=8086:1572,node=pve2,path=0000:02:00.0,iommugroup=20'])
    tasks = []
    for index, (args, _option, _words) in enumerate(BAD_HOSTPCI):
        args = dict(args)
        if 'vmid' not in args:
            args['name'] = 'gpu-vm'
        item = task('pve_hostpci', 'bad{0}'.format(index), **args)
        item['ignore_errors'] = True
        tasks.append(item)
    run = play(tasks, auth='password')
    assert run.writes == []
    for index, (_args, option, words) in enumerate(BAD_HOSTPCI):
        msg = run.task('bad{0}'.format(index))['msg']
        assert msg.startswith(option + ':') and words in msg, (index, msg)


def test_one_mapping_backs_several_slots(lab, play):
    """Four identical GPUs as one mapping with four entries on the node, in hostpci0-3: each slot its own task,
    idempotent, and the VM starts (PVE gives each slot a free device of the mapping)."""
    four_gpus(lab)
    vm = q35_vm(lab)
    gpus = [task('pve_hostpci', 'gpu{0}'.format(n), name='gpu-vm', mapping='gpu', slot='hostpci{0}'.format(n),
                 pcie=True) for n in range(4)]
    mapping = task('pve_pci_mapping', 'map', id='gpu', map=[{'node': 'pve1', 'path': bus} for bus in (
        '0000:01:00', '0000:05:00', '0000:06:00', '0000:07:00')])
    play([mapping]).assert_ok()
    check = play(gpus, check=True).assert_ok()
    assert check.writes == [] and not any(k.startswith('hostpci') for k in vm.config)
    assert [check.task('gpu{0}'.format(n))['plan'] for n in range(2)] == [
        ['set hostpci0 of VM 300 (gpu-vm): mapping=gpu,pcie=1'], ['set hostpci1 of VM 300 (gpu-vm): mapping=gpu,pcie=1']]
    run = play([mapping] + gpus + [task('pve_vm', 'start', name='gpu-vm', state='started')]).assert_ok()
    assert [vm.config.get('hostpci{0}'.format(n)) for n in range(4)] == ['mapping=gpu,pcie=1'] * 4
    assert [run.task('gpu{0}'.format(n))['slot'] for n in range(4)] == ['hostpci0', 'hostpci1', 'hostpci2',
                                                                        'hostpci3']
    assert vm.status == 'running'
    again = play([mapping] + gpus).assert_ok()
    assert again.changed == 0 and again.writes == []

    # A fifth slot would find no free device at start: refused before the write. Then absent with a slot
    # removes that slot; without one, every slot holding the mapping.
    fifth = task('pve_hostpci', 'gpu4', name='gpu-vm', mapping='gpu', slot='hostpci4')
    fifth['ignore_errors'] = True
    run = play([fifth, task('pve_vm', 'stop', name='gpu-vm', state='stopped'),
                task('pve_hostpci', 'rm', name='gpu-vm', mapping='gpu', slot='hostpci3', state='absent')])
    assert run.task('rm')['changed'] is True and run.task('rm')['slot'] == 'hostpci3'
    msg = run.task('gpu4')['msg']
    assert msg.startswith("slot: 'hostpci4' is invalid: the PCI mapping gpu has 4 devices on node pve1 and would back "
                          '5 slots of VM 300 (gpu-vm) (hostpci0, hostpci1, hostpci2, hostpci3, hostpci4)'), msg
    assert [p for _m, p in run.write_calls] == ['/nodes/pve1/qemu/300/status/shutdown', '/nodes/pve1/qemu/300/config']
    assert sorted(k for k in vm.config if k.startswith('hostpci')) == ['hostpci0', 'hostpci1', 'hostpci2']
    rest = play([task('pve_hostpci', 'rm', name='gpu-vm', mapping='gpu', state='absent')], diff=True).assert_ok()
    assert sorted(rest.task('rm')['diff']['before']) == ['hostpci0', 'hostpci1', 'hostpci2']
    assert not any(k.startswith('hostpci') for k in vm.config)
    gone = play([task('pve_hostpci', 'rm', name='gpu-vm', mapping='gpu', state='absent')]).assert_ok()
    assert gone.changed == 0 and gone.writes == []


# ---------------------------------------------------------------------- virtiofs

def test_virtiofs_share_lifecycle(lab, play):
    share_data(lab)
    lab.pve.add_mapping('dir', 'datasets', ['node=pve1,path=/srv/datasets'])
    vm = add_vm(lab, 310, 'fs-vm', virtiofs0='media')
    lab.pve.add_mapping('dir', 'media', ['node=pve1,path=/mnt/media'])
    share = task('pve_virtiofs', 'share', name='fs-vm', mapping='shared-data', cache='always', expose_acl=True)
    run = play([share, task('pve_virtiofs', 'data', name='fs-vm', mapping='datasets', direct_io=True)],
               diff=True).assert_ok()
    assert vm.config['virtiofs1'] == 'shared-data,cache=always,expose-acl=1'
    assert vm.config['virtiofs2'] == 'datasets,direct-io=1' and vm.config['virtiofs0'] == 'media'
    assert run.task('share')['slot'] == 'virtiofs1' and run.task('share')['device'] == {
        'dirid': 'shared-data', 'cache': 'always', 'expose_acl': '1'}
    assert play([share]).writes == []
    changed = play([task('pve_virtiofs', 'share', name='fs-vm', mapping='shared-data', cache='never')]).assert_ok()
    assert vm.config['virtiofs1'] == 'shared-data,cache=never,expose-acl=1' and changed.changed == 1
    check = play([task('pve_virtiofs', 'share', name='fs-vm', mapping='shared-data', state='absent')],
                 check=True).assert_ok()
    assert check.writes == [] and 'virtiofs1' in vm.config
    gone = play([task('pve_virtiofs', 'share', name='fs-vm', mapping='shared-data', state='absent')]).assert_ok()
    assert 'virtiofs1' not in vm.config and gone.changed == 1
    assert play([task('pve_virtiofs', 'share', name='fs-vm', mapping='shared-data', state='absent')]).writes == []
    start = play([task('pve_vm', 'start', name='fs-vm', state='started')]).assert_ok()
    assert start.task('start')['status'] == 'running'


BAD_VIRTIOFS = [
    ({'mapping': 'no-such-dir'}, 'mapping', 'no directory mapping with this ID exists'),
    ({'mapping': 'only-pve1'}, 'mapping', 'has no entry for node pve2'),
    ({'mapping': 'shared-data', 'expose_acl': True, 'expose_xattr': False}, 'expose_xattr', 'implies extended'),
    ({'mapping': 'x'}, 'mapping', 'at least two characters'),
    ({'mapping': 'shared-data', 'slot': 'virtiofs10'}, 'slot', 'is not a virtiofs share slot'),
]


def test_bad_virtiofs_input_fails_before_any_write(lab, play):
    share_data(lab)
    lab.pve.add_mapping('dir', 'only-pve1', ['node=pve1,path=/srv/datasets'])
    add_vm(lab, 311, 'fs-vm2', node='pve2')
    tasks = []
    for index, (args, _option, _words) in enumerate(BAD_VIRTIOFS):
        item = task('pve_virtiofs', 'bad{0}'.format(index), name='fs-vm2', **args)
        item['ignore_errors'] = True
        tasks.append(item)
    run = play(tasks)
    assert run.writes == []
    for index, (_args, option, words) in enumerate(BAD_VIRTIOFS):
        msg = run.task('bad{0}'.format(index))['msg']
        assert msg.startswith(option + ':') and words in msg, (index, msg)


# ---------------------------------------------------------------------- PCI mappings

def test_pci_mapping_fills_from_hardware_and_checks_it(lab, play):
    mapping = task('pve_pci_mapping', 'nic', id='nics', mdev=False, map=[
        {'node': 'pve1', 'path': '0000:03:00.0', 'description': 'onboard'},
        {'node': 'pve2', 'path': '0000:02:00.0'}])
    run = play([mapping], diff=True).assert_ok()
    stored = sorted(lab.pve.mappings['pci']['nics']['map'])
    assert stored == ['id=8086:1533,node=pve1,path=0000:03:00.0,description=onboard,iommugroup=16,subsystem-id=8086:0001',
                      'id=8086:1572,node=pve2,path=0000:02:00.0,iommugroup=20']
    assert run.task('nic')['changed'] is True
    hardware_reads = [p for m, p in run.calls if p.endswith('/hardware/pci')]
    assert sorted(hardware_reads) == ['/nodes/pve1/hardware/pci', '/nodes/pve2/hardware/pci']
    # The node list is read once, before the first hardware read, and shared with the check before the write.
    assert run.calls.count(('GET', '/nodes')) == 1
    assert run.calls.index(('GET', '/nodes')) < run.calls.index(('GET', '/nodes/pve1/hardware/pci'))
    again = play([mapping]).assert_ok()
    assert again.changed == 0 and again.writes == [] and again.calls == [('GET', '/cluster/mapping/pci')]
    wrong = play([task('pve_pci_mapping', 'nic', id='nics', map=[{'node': 'pve1', 'path': '0000:03:00.0',
                                                                  'id': '10de:2204'}])])
    assert wrong.task('nic')['msg'] == ("map[0].id: '10de:2204' is invalid: the device at 0000:03:00.0 on node pve1 "
                                        'is 8086:1533')
    assert wrong.writes == []
    missing = play([task('pve_pci_mapping', 'nic', id='other', map=[{'node': 'pve2', 'path': '0000:09:00.0'}])])
    assert missing.task('nic')['msg'].startswith("map[0].path: '0000:09:00.0' is invalid: no such PCI device on "
                                                 'node pve2')
    assert missing.writes == []
    # An unknown node is named as such before its hardware is read (PVE would fail its hostname lookup).
    unknown = play([task('pve_pci_mapping', 'nic', id='other', map=[{'node': 'pve9', 'path': '0000:03:00.0'}])])
    assert unknown.task('nic')['msg'] == ("map[0].node: 'pve9' is invalid: no such node in the cluster (nodes: pve1, "
                                          'pve2)')
    assert unknown.calls == [('GET', '/cluster/mapping/pci'), ('GET', '/nodes')]
    gone = play([task('pve_pci_mapping', 'nic', id='nics', state='absent')]).assert_ok()
    assert gone.write_calls == [('DELETE', '/cluster/mapping/pci/nics')] and 'nics' not in lab.pve.mappings['pci']


def test_vm_start_refused_as_pve_refuses(lab, play):
    """The lab's start-time checks surface through pve_vm with PVE's words and the task log."""
    add_vm(lab, 320, 'bad-start', hostpci0='0000:05:00,pcie=1', machine='q35')
    run = play([task('pve_vm', 'start', name='bad-start', state='started')])
    msg = run.task('start')['msg']
    assert "task UPID:pve1:" in msg and "no PCI device found for '0000:05:00'" in msg
    assert "TASK ERROR: no PCI device found for '0000:05:00'" in msg
    assert lab.pve.vm(320).status == 'stopped'
