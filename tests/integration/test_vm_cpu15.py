"""pve_vm's CPU, NUMA, hotplug, memory-sharing, start and machine-detail settings (issue 15) end to end: create or
change, rerun with zero writes, check mode with zero writes, bad values refused before any write."""

import re


def vm_task(task='vm', **args):
    return {'name': task, 'iac.proxmox.pve_vm': args}


def add_vm(lab, vmid, name, **config):
    base = {'name': name, 'cores': 2, 'sockets': 2, 'memory': '4096', 'scsihw': 'virtio-scsi-single',
            'scsi0': 'local-lvm:vm-{0}-disk-0,size=8G'.format(vmid)}
    base.update(config)
    lab.pve.storages['local-lvm'].setdefault('volumes', {})['vm-{0}-disk-0'.format(vmid)] = {
        'content': 'images', 'format': 'raw', 'size': 8 * 1024 ** 3, 'vmid': vmid, 'ctime': 0}
    return lab.pve.add_vm(vmid, name, node='pve1', status='stopped', config=base)


def config_puts(run):
    return [(m, p) for m, p in run.write_calls if p.endswith('/config')]


SETTINGS = dict(cpu={'type': 'host', 'flags': ['+aes', '-pcid'], 'hidden': True, 'phys_bits': 'host'},
                vcpus=3, cpuunits=200, cpulimit=1.5, numa=True, hotplug=['disk', 'network', 'usb', 'cpu'], shares=500,
                tablet=False, kvm=True, acpi=False, localtime=True, keyboard='de',
                startup={'order': 2, 'up': 30, 'down': 60})


def test_cpu_and_machine_settings_change_then_rerun_writes_nothing(lab, play):
    add_vm(lab, 120, 'app-01')
    task = vm_task(name='app-01', **SETTINGS)
    check = play([task], check=True, diff=True).assert_ok()
    assert check.writes == [] and check.task('vm')['changed'] is True
    assert check.task('vm')['plan'] == ['set config of VM 120 (app-01): acpi, cpu, cpulimit, cpuunits, hotplug, '
                                        'keyboard, localtime, numa, shares, startup, tablet, vcpus']
    assert 'cpu' not in lab.pve.vm(120).config

    first = play([task], diff=True).assert_ok()
    assert first.task('vm')['changed'] is True and len(config_puts(first)) == 1
    config = lab.pve.vm(120).config
    cpu = dict(part.split('=', 1) if '=' in part else ('cputype', part) for part in config['cpu'].split(','))
    assert cpu == {'cputype': 'host', 'flags': '+aes;-pcid', 'hidden': '1', 'phys-bits': 'host'}
    assert str(config['vcpus']) == '3' and str(config['cpuunits']) == '200' and str(config['cpulimit']) == '1.5'
    assert str(config['numa']) == '1' and str(config['tablet']) == '0' and str(config['acpi']) == '0'
    assert str(config['localtime']) == '1' and config['keyboard'] == 'de' and str(config['shares']) == '500'
    assert set(config['hotplug'].split(',')) == {'disk', 'network', 'usb', 'cpu'}
    assert 'kvm' not in config  # true is PVE's default: nothing written
    assert dict(p.split('=') for p in config['startup'].split(',')) == {'order': '2', 'up': '30', 'down': '60'}

    second = play([task]).assert_ok()
    assert second.changed == 0 and second.writes == []
    # The same settings in PVE's own spelling also match.
    again = play([vm_task(name='app-01', cpu='host,flags=-pcid;+aes,hidden=1,phys-bits=host',
                          startup='order=2,up=30,down=60', hotplug=['usb', 'cpu', 'network', 'disk'])]).assert_ok()
    assert again.changed == 0 and again.writes == []


def test_cpu_flags_compare_as_a_set_in_pves_order(lab, play):
    add_vm(lab, 121, 'flags-01', cpu='x86-64-v2-AES,flags=-pcid;+aes')
    same = play([vm_task(name='flags-01', cpu={'flags': ['+aes', '-pcid']})]).assert_ok()
    assert same.changed == 0 and same.writes == []
    fewer = play([vm_task(name='flags-01', cpu={'flags': ['+aes']})], diff=True).assert_ok()
    assert lab.pve.vm(121).config['cpu'] == 'x86-64-v2-AES,flags=+aes'
    assert fewer.task('vm')['diff']['before']['cpu'] == 'x86-64-v2-AES,flags=-pcid;+aes'
    none = play([vm_task(name='flags-01', cpu={'flags': [], 'type': 'host'})]).assert_ok()
    assert none.changed == 1 and lab.pve.vm(121).config['cpu'] == 'host'
    rerun = play([vm_task(name='flags-01', cpu='host')]).assert_ok()
    assert rerun.changed == 0 and rerun.writes == []


def test_hotplug_is_a_set_and_pves_1_is_its_default(lab, play):
    add_vm(lab, 122, 'hp-01', hotplug='1')
    same = play([vm_task(name='hp-01', hotplug=['usb', 'disk', 'network'])]).assert_ok()
    assert same.changed == 0 and same.writes == []
    off = play([vm_task(name='hp-01', hotplug=[])]).assert_ok()
    assert off.changed == 1 and str(lab.pve.vm(122).config['hotplug']) == '0'
    rerun = play([vm_task(name='hp-01', hotplug=[])]).assert_ok()
    assert rerun.changed == 0 and rerun.writes == []


def test_numa_nodes_create_change_remove(lab, play):
    add_vm(lab, 123, 'numa-01')
    nodes = [{'slot': 'numa0', 'cpus': '0-1', 'memory': 2048, 'hostnodes': '0', 'policy': 'bind'},
             {'slot': 'numa1', 'cpus': [2, 3], 'memory': 2048}]
    task = vm_task(name='numa-01', numa=True, numa_nodes=nodes)
    check = play([task], check=True).assert_ok()
    assert check.writes == [] and check.task('vm')['plan'] == ['set config of VM 123 (numa-01): numa, numa0, numa1']
    play([task]).assert_ok()
    config = lab.pve.vm(123).config
    assert config['numa0'] == 'cpus=0-1,hostnodes=0,memory=2048,policy=bind'
    assert config['numa1'] == 'cpus=2;3,memory=2048'
    rerun = play([task]).assert_ok()
    assert rerun.changed == 0 and rerun.writes == []
    # Keys an entry leaves out keep their values.
    nodes = [{'slot': 'numa1', 'cpus': '2-3', 'hostnodes': '0', 'policy': 'interleave'}]
    play([vm_task(name='numa-01', numa_nodes=nodes)]).assert_ok()
    assert lab.pve.vm(123).config['numa1'] == 'cpus=2-3,hostnodes=0,memory=2048,policy=interleave'
    # Removing a node while the other keeps the whole memory.
    play([vm_task(name='numa-01', numa_nodes=[{'slot': 'numa0', 'cpus': '0-3', 'memory': 4096},
                                              {'slot': 'numa1', 'state': 'absent'}])]).assert_ok()
    config = lab.pve.vm(123).config
    assert 'numa1' not in config and config['numa0'] == 'cpus=0-3,hostnodes=0,memory=4096,policy=bind'


def test_create_a_vm_with_the_settings_then_rerun(lab, play):
    task = vm_task(name='new-01', node='pve1', cores=2, sockets=2, memory=4096, numa=True,
                   numa_nodes=[{'slot': 'numa0', 'cpus': '0-3', 'memory': 4096}],
                   cpu={'type': 'host', 'flags': ['+aes']}, startup={'order': 1}, tablet=False)
    play([task]).assert_ok()
    [vm] = [v for v in lab.pve.vms if v.name == 'new-01']
    assert vm.config['cpu'] == 'host,flags=+aes' and vm.config['startup'] == 'order=1'
    assert vm.config['numa0'] == 'cpus=0-3,memory=4096'
    rerun = play([task]).assert_ok()
    assert rerun.changed == 0 and rerun.writes == []


def test_bad_values_are_refused_before_any_write(lab, play):
    add_vm(lab, 124, 'bad-01')
    bad = [
        (dict(cpu={'type': 'host', 'flags': ['+avx512f']}), 'cpu.flags',
         'VM-specific CPU flags must be a subset of'),
        (dict(cpu='host,flags=+aes;+sse4.2'), 'cpu', 'VM-specific CPU flags must be a subset of'),
        (dict(cpu={'flags': ['aes']}), 'cpu.flags', "give '+flag' to enable"),
        (dict(cpu={'phys_bits': 99}), 'cpu.phys_bits', "between 8 and 64 or 'host'"),
        (dict(cpu={'model': 'host'}), 'cpu', 'unknown cpu options model'),
        (dict(vcpus=5), 'vcpus', "PVE: you can't add more vcpus than maxcpus"),
        (dict(cpuunits=0), 'cpuunits', 'must be 1-262144'),
        (dict(cpulimit=200), 'cpulimit', 'must be 0 (no limit) to 128'),
        (dict(shares=60000), 'shares', 'must be 0'),
        (dict(keyboard='xx'), 'keyboard', 'is not a keyboard layout PVE knows'),
        (dict(hotplug=['memory']), 'hotplug', 'NUMA needs to be enabled for memory hotplug'),
        (dict(startup={'order': -1}), 'startup.order', 'must be a whole number'),
        (dict(startup='first'), 'startup', 'is not a startup order'),
        (dict(hookscript='local:iso/hook.pl'), 'hookscript', 'is not a snippet volume'),
        (dict(affinity='0-x'), 'affinity', 'is not a list of host CPUs'),
        (dict(numa=True, numa_nodes=[{'slot': 'numa0', 'cpus': '0-3', 'memory': 2048}]), 'numa_nodes',
         'total memory for NUMA nodes must be equal to vm static memory'),
        (dict(numa=True, numa_nodes=[{'slot': 'numa0', 'cpus': '0-7', 'memory': 4096}]), 'numa_nodes',
         "beyond the VM's 4 vCPUs"),
        (dict(numa=True, numa_nodes=[{'slot': 'numa0', 'cpus': '0-3', 'memory': 4096, 'hostnodes': '0'}]),
         'numa_nodes', 'you need to define a policy for hostnode 0'),
        (dict(numa_nodes=[{'slot': 'numa0', 'cpus': '0-3', 'memory': 4096}]), 'numa_nodes',
         'PVE uses NUMA nodes only with numa: true'),
        (dict(numa=True, numa_nodes=[{'slot': 'numa0', 'memory': 4096}]), 'numa_nodes[0].cpus',
         'is required for a new NUMA node'),
        (dict(numa_nodes=[{'slot': 'numa8', 'cpus': '0'}]), 'numa_nodes[0].slot', 'numa0-numa7'),
        (dict(numa_nodes=[{'slot': 'numa0', 'cpus': '3-1'}]), 'numa_nodes[0].cpus', 'runs backwards'),
    ]
    tasks = []
    for index, (args, _option, _reason) in enumerate(bad):
        task = vm_task('bad{0}'.format(index), name='bad-01', **args)
        task['ignore_errors'] = True
        tasks.append(task)
    run = play(tasks, auth='password')
    assert run.writes == [], run.write_calls
    for index, (_args, option, reason) in enumerate(bad):
        result = run.task('bad{0}'.format(index))
        assert result.get('failed'), (index, result)
        assert result['msg'].startswith(option + ':') or '{0}:'.format(option) in result['msg'], (index, result['msg'])
        assert reason in result['msg'], (index, result['msg'])


def test_hugepages_needs_numa_then_is_set_by_root(lab, play):
    add_vm(lab, 125, 'huge-01')
    refused = play([vm_task(name='huge-01', hugepages='2')], auth='password')
    assert refused.writes == [] and 'numa needs to be enabled to use hugepages' in refused.failed[0]['result']['msg']
    task = vm_task(name='huge-01', numa=True, hugepages='2')
    play([task], auth='password').assert_ok()
    assert lab.pve.vm(125).config['hugepages'] == '2'
    rerun = play([task], auth='password').assert_ok()
    assert rerun.changed == 0 and rerun.writes == []
    play([vm_task(name='huge-01', hugepages='none')], auth='password').assert_ok()
    assert 'hugepages' not in lab.pve.vm(125).config


def test_root_only_options_are_refused_to_a_token_before_any_write(lab, play):
    add_vm(lab, 126, 'root-01')
    for args, key in ((dict(args='-no-reboot'), 'args'), (dict(affinity='0-1'), 'affinity'),
                      (dict(numa=True, hugepages='any'), 'hugepages'),
                      (dict(hookscript='local:snippets/hook.pl'), 'hookscript')):
        run = play([vm_task(name='root-01', **args)])
        assert run.writes == [], run.write_calls
        [failed] = run.failed
        msg = failed['result']['msg']
        assert msg.startswith(key + ':') and "only root can set '{0}' config".format(key) in msg, msg
        assert 'API tokens (even root@pam!...)' in msg


def test_root_only_options_as_root(lab, play):
    add_vm(lab, 127, 'root-02')
    task = vm_task(name='root-02', args='-no-reboot', affinity='0-1,3', hookscript='local:snippets/hook.pl')
    check = play([task], auth='password', check=True).assert_ok()
    assert check.writes == [] and check.task('vm')['plan'] == ['set config of VM 127 (root-02): affinity, args, '
                                                               'hookscript']
    play([task], auth='password').assert_ok()
    config = lab.pve.vm(127).config
    assert config['args'] == '-no-reboot' and config['affinity'] == '0-1,3'
    assert config['hookscript'] == 'local:snippets/hook.pl'
    rerun = play([vm_task(name='root-02', args='-no-reboot', affinity='0,1,3', hookscript='local:snippets/hook.pl')],
                 auth='password').assert_ok()
    assert rerun.changed == 0 and rerun.writes == []
    removed = play([vm_task(name='root-02', args='', affinity='', hookscript='')], auth='password').assert_ok()
    assert removed.changed == 1
    assert not {'args', 'affinity', 'hookscript'} & set(lab.pve.vm(127).config)


def test_hookscript_must_exist_in_a_snippets_storage(lab, play):
    add_vm(lab, 128, 'hook-01')
    missing = play([vm_task(name='hook-01', hookscript='local:snippets/missing.pl')], auth='password')
    assert missing.writes == []
    assert "script 'local:snippets/missing.pl' does not exist" in missing.failed[0]['result']['msg']
    storage = play([vm_task(name='hook-01', hookscript='local-lvm:snippets/hook.pl')], auth='password')
    assert storage.writes == []
    assert re.search(r'storage local-lvm does not hold snippets', storage.failed[0]['result']['msg'])
