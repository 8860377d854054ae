"""pve_vm cloud-init settings of issue 15 (cloudinit.custom, type, upgrade; an ipconfig per NIC in nets) end to
end: real playbooks against the lab, asserting on results, on the lab's state and on its request log."""

from urllib.parse import parse_qs


def vm_task(task='vm', **args):
    return {'name': task, 'iac.proxmox.pve_vm': args}


def add_vm(lab, vmid=160, status='stopped', **config):
    base = {'name': 'ci', 'memory': '2048', 'ostype': 'l26', 'net0': 'virtio=BC:24:11:00:00:A0,bridge=vmbr0',
            'ide2': 'local-lvm:vm-{0}-cloudinit,media=cdrom'.format(vmid)}
    base.update(config)
    return lab.pve.add_vm(vmid, 'ci', node='pve1', status=status, config=base)


def failing(play, task, **kwargs):
    task = dict(task, ignore_errors=True)
    run = play([task], **kwargs)
    result = run.task(task['name'])
    assert result.get('failed') is True, result
    return run, result['msg']


CI = {'custom': {'user': 'local:snippets/user.yaml', 'network': 'local:snippets/network.yaml'},
      'type': 'nocloud', 'upgrade': False}


def test_custom_type_and_upgrade_then_rerun_and_check_mode_write_nothing(lab, play):
    vm = add_vm(lab)
    first = play([vm_task(vmid=160, cloudinit=CI)], diff=True).assert_ok()
    result = first.task('vm')
    assert result['changed'] is True
    assert vm.config['cicustom'] == 'network=local:snippets/network.yaml,user=local:snippets/user.yaml'
    assert vm.config['citype'] == 'nocloud' and str(vm.config['ciupgrade']) == '0'
    # The drive of a stopped VM is regenerated once (PVE reads the snippets then).
    assert first.write_calls == [('PUT', '/nodes/pve1/qemu/160/config'), ('PUT', '/nodes/pve1/qemu/160/cloudinit')]
    # The snippets were checked on the node before the write.
    assert ('GET', '/nodes/pve1/storage/local/content') in first.calls

    again = play([vm_task(vmid=160, cloudinit=CI)]).assert_ok()
    assert again.changed == 0 and again.writes == []
    assert ('GET', '/nodes/pve1/storage/local/content') not in again.calls

    check = play([vm_task(vmid=160, cloudinit={'custom': {'meta': 'local:snippets/user.yaml'}, 'upgrade': True,
                                               'type': 'configdrive2'})], check=True, diff=True).assert_ok()
    assert check.writes == [] and check.task('vm')['changed'] is True
    after = check.task('vm')['diff']['after']
    assert after['citype'] == 'configdrive2' and str(after['ciupgrade']) == '1'
    assert after['cicustom'] == ('meta=local:snippets/user.yaml,network=local:snippets/network.yaml,'
                                 'user=local:snippets/user.yaml')


def test_custom_merges_and_an_empty_value_removes_one_file(lab, play):
    vm = add_vm(lab, cicustom='user=local:snippets/user.yaml', ciupgrade='1')
    run = play([vm_task(vmid=160, cloudinit={'custom': {'network': 'local:snippets/network.yaml'},
                                             'upgrade': True})]).assert_ok()
    assert vm.config['cicustom'] == 'network=local:snippets/network.yaml,user=local:snippets/user.yaml'
    assert [p for m, p in run.write_calls if p.endswith('/config')] == ['/nodes/pve1/qemu/160/config']
    assert 'ciupgrade' not in parse_qs(run.writes[0][2].decode())  # PVE's default 1 is what it has
    dropped = play([vm_task(vmid=160, cloudinit={'custom': {'user': '', 'network': ''}})]).assert_ok()
    assert dropped.task('vm')['changed'] is True and 'cicustom' not in vm.config


def test_snippets_are_checked_before_any_write(lab, play):
    add_vm(lab)
    cases = [
        ({'user': 'local:snippets/missing.yaml'}, 'cloudinit.custom.user', 'no such snippet on node pve1'),
        ({'network': 'local-lvm:snippets/network.yaml'}, 'cloudinit.custom.network', 'does not hold snippets'),
        ({'meta': 'nosuch:snippets/meta.yaml'}, 'cloudinit.custom.meta', 'is not a storage of node pve1'),
        ({'vendor': 'local:iso/debian-12-netinst.iso'}, 'cloudinit.custom.vendor', 'is not a snippet volume'),
    ]
    tasks = [dict(vm_task('bad{0}'.format(i), vmid=160, cloudinit={'custom': custom}), ignore_errors=True)
             for i, (custom, _o, _w) in enumerate(cases)]
    tasks.append(dict(vm_task('badtype', vmid=160, cloudinit={'type': 'cloudbase'}), ignore_errors=True))
    run = play(tasks)
    assert run.writes == []
    for index, (_custom, option, why) in enumerate(cases):
        result = run.task('bad{0}'.format(index))
        assert result.get('failed') is True and option in result['msg'] and why in result['msg'], result
    assert 'cloudbase' in run.task('badtype')['msg']


def test_an_ipconfig_per_nic_merges_like_the_nic(lab, play):
    vm = add_vm(lab, ipconfig0='ip=10.0.0.5/24,gw=10.0.0.1')
    nets = [{'slot': 'net0', 'ipconfig': {'ip6': 'auto'}},
            {'slot': 'net1', 'bridge': 'vmbr0', 'ipconfig': {'ip': 'dhcp'}}]
    run = play([vm_task(vmid=160, nets=nets)], diff=True).assert_ok()
    assert run.task('vm')['changed'] is True
    assert vm.config['ipconfig0'] == 'gw=10.0.0.1,ip=10.0.0.5/24,ip6=auto'
    assert vm.config['ipconfig1'] == 'ip=dhcp' and 'bridge=vmbr0' in vm.config['net1']
    assert ('PUT', '/nodes/pve1/qemu/160/cloudinit') in run.write_calls
    again = play([vm_task(vmid=160, nets=nets)]).assert_ok()
    assert again.changed == 0 and again.writes == []
    check = play([vm_task(vmid=160, nets=[{'slot': 'net0', 'ipconfig': {'ip': 'dhcp'}}])], check=True,
                 diff=True).assert_ok()
    assert check.writes == [] and check.task('vm')['diff']['after']['ipconfig0'] == 'ip6=auto,ip=dhcp' or \
        check.task('vm')['diff']['after']['ipconfig0'] == 'ip=dhcp,ip6=auto'
    gone = play([vm_task(vmid=160, nets=[{'slot': 'net1', 'ipconfig': {'state': 'absent'}}])]).assert_ok()
    assert gone.task('vm')['changed'] is True and 'ipconfig1' not in vm.config and 'net1' in vm.config


def test_an_ipconfig_given_twice_or_bad_is_refused_before_any_write(lab, play):
    add_vm(lab)
    cases = [
        ({'nets': [{'slot': 'net0', 'ipconfig': {'ip': 'dhcp'}}], 'cloudinit': {'ipconfig': [{'ip': 'dhcp'}]}},
         'nets[0].ipconfig', 'is also given as cloudinit.ipconfig[0]'),
        ({'nets': [{'slot': 'net0', 'ipconfig': {'ip': '10.0.0.300/24'}}]}, 'nets[0].ipconfig.ip', 'IPv4'),
        ({'nets': [{'slot': 'net0', 'ipconfig': {'gw': '10.0.0.1'}}]}, 'nets[0].ipconfig.gw', 'static ip'),
        ({'nets': [{'slot': 'net0', 'state': 'absent', 'ipconfig': {'ip': 'dhcp'}}]}, 'nets[0].ipconfig',
         'takes no ipconfig'),
    ]
    tasks = [dict(vm_task('bad{0}'.format(i), vmid=160, **args), ignore_errors=True)
             for i, (args, _o, _w) in enumerate(cases)]
    run = play(tasks)
    assert run.writes == []
    for index, (_args, option, why) in enumerate(cases):
        result = run.task('bad{0}'.format(index))
        assert result.get('failed') is True and option in result['msg'] and why in result['msg'], result


def test_a_vm_without_a_drive_needs_the_storage_for_a_nic_ipconfig(lab, play):
    vm = add_vm(lab, ide2=None)
    vm.config.pop('ide2', None)
    _run, msg = failing(play, vm_task(vmid=160, nets=[{'slot': 'net0', 'ipconfig': {'ip': 'dhcp'}}]))
    assert 'cloudinit.storage' in msg and _run.writes == []
    run = play([vm_task(vmid=160, nets=[{'slot': 'net0', 'ipconfig': {'ip': 'dhcp'}}],
                        cloudinit={'storage': 'local-lvm'})]).assert_ok()
    assert vm.config['ipconfig0'] == 'ip=dhcp' and 'cloudinit' in vm.config['ide2']
    assert run.task('vm')['changed'] is True
