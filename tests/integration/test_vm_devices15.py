"""pve_vm devices of issue 15 (usb, serial, rng, watchdog, audio, smbios) end to end: real playbooks against
the lab, asserting on results, on the lab's state and on its request log."""

import base64
from urllib.parse import parse_qs

UUID = '6d1f2f8e-3a57-4c7e-9d59-90a2b1c0f0aa'


def vm_task(task='vm', **args):
    return {'name': task, 'iac.proxmox.pve_vm': args}


def add_vm(lab, vmid=150, name='dev', status='stopped', **config):
    base = {'name': name, 'cores': 1, 'memory': '2048', 'ostype': 'l26', 'smbios1': 'uuid=' + UUID}
    base.update(config)
    return lab.pve.add_vm(vmid, name, node='pve1', status=status, config=base)


def failing(play, task, **kwargs):
    """Run one task expected to fail: (the run, its message)."""
    task = dict(task, ignore_errors=True)
    run = play([task], **kwargs)
    result = run.task(task['name'])
    assert result.get('failed') is True, result
    return run, result['msg']


def b64(text):
    return base64.b64encode(text.encode()).decode()


DEVICES = {
    'serial': [{'slot': 'serial0', 'type': 'socket'}],
    'rng': {'source': '/dev/urandom'},
    'watchdog': {'action': 'reset'},
    'audio': {'device': 'ich9-intel-hda'},
    'usb': [{'slot': 'usb1', 'spice': True}],
}


def test_devices_are_added_then_rerun_and_check_mode_write_nothing(lab, play):
    vm = add_vm(lab)
    first = play([vm_task(vmid=150, **DEVICES)], diff=True).assert_ok()
    result = first.task('vm')
    assert result['changed'] is True
    assert first.write_calls == [('PUT', '/nodes/pve1/qemu/150/config')]
    assert vm.config['serial0'] == 'socket' and vm.config['rng0'] == '/dev/urandom'
    assert vm.config['watchdog'] == 'i6300esb,action=reset' and vm.config['audio0'] == 'device=ich9-intel-hda'
    assert vm.config['usb1'] == 'spice'
    assert result['diff']['after']['rng0'] == '/dev/urandom' and result['diff']['before'].get('rng0') is None

    again = play([vm_task(vmid=150, **DEVICES)]).assert_ok()
    assert again.changed == 0 and again.writes == []
    # PVE's defaults and other spellings compare equal: no perpetual diff.
    vm.config.update(rng0='source=/dev/urandom,max_bytes=1024,period=1000', watchdog='model=i6300esb,action=reset',
                     audio0='device=ich9-intel-hda,driver=spice', usb1='host=Spice,usb3=0')
    spelled = dict(DEVICES)
    spelled.update(audio={'device': 'ich9-intel-hda', 'driver': 'spice'},
                   rng={'source': '/dev/urandom', 'max_bytes': 1024})
    same = play([vm_task(vmid=150, **spelled)]).assert_ok()
    assert same.changed == 0 and same.writes == []

    changed = dict(DEVICES)
    changed.update(rng={'max_bytes': 2048}, watchdog={'model': 'ib700'}, audio={'driver': 'none'},
                   serial=[{'slot': 'serial1', 'type': 'socket'}], usb=[{'slot': 'usb1', 'usb3': True}])
    check = play([vm_task(vmid=150, **changed)], check=True, diff=True).assert_ok()
    assert check.writes == [] and check.task('vm')['changed'] is True
    assert sorted(check.task('vm')['diff']['after']) == ['audio0', 'rng0', 'serial1', 'usb1', 'watchdog']
    assert check.task('vm')['diff']['after']['watchdog'] == 'ib700,action=reset'


def test_a_change_merges_into_the_current_value(lab, play):
    vm = add_vm(lab, rng0='/dev/random,max_bytes=512', watchdog='ib700,action=pause', audio0='device=AC97,driver=none')
    run = play([vm_task(vmid=150, rng={'period': 2000}, watchdog={'action': 'poweroff'},
                        audio={'device': 'intel-hda'})]).assert_ok()
    assert run.task('vm')['changed'] is True and len(run.writes) == 1
    assert vm.config['rng0'] == '/dev/random,max_bytes=512,period=2000'
    assert vm.config['watchdog'] == 'ib700,action=poweroff'
    assert vm.config['audio0'] == 'device=intel-hda,driver=none'
    gone = play([vm_task(vmid=150, rng={'state': 'absent'}, serial=[{'slot': 'serial3', 'state': 'absent'}])]
                ).assert_ok()
    assert 'rng0' not in vm.config and parse_qs(gone.writes[0][2].decode())['delete'] == ['rng0']
    again = play([vm_task(vmid=150, rng={'state': 'absent'})]).assert_ok()
    assert again.changed == 0 and again.writes == []


def test_smbios_is_encoded_as_pve_does_and_keeps_the_uuid(lab, play):
    vm = add_vm(lab)
    smbios = {'manufacturer': 'ACME Corp.', 'product': 'Appliance 3000', 'serial': 'SN-0042'}
    run = play([vm_task(vmid=150, smbios=smbios)], diff=True).assert_ok()
    assert run.task('vm')['changed'] is True and len(run.writes) == 1
    stored = dict(part.split('=', 1) for part in vm.config['smbios1'].split(','))
    assert stored == {'base64': '1', 'manufacturer': b64('ACME Corp.'), 'product': b64('Appliance 3000'),
                      'serial': b64('SN-0042'), 'uuid': UUID}
    again = play([vm_task(vmid=150, smbios=smbios)]).assert_ok()
    assert again.changed == 0 and again.writes == []
    # A value stored plain (the CLI's way, no base64=1) compares decoded the same.
    vm.config['smbios1'] = 'manufacturer=Dell,uuid=' + UUID
    plain = play([vm_task(vmid=150, smbios={'manufacturer': 'Dell'})]).assert_ok()
    assert plain.changed == 0 and plain.writes == []
    # One more key: the others and the uuid are kept, all re-encoded.
    more = play([vm_task(vmid=150, smbios={'family': 'Servers'})]).assert_ok()
    assert more.task('vm')['changed'] is True
    stored = dict(part.split('=', 1) for part in vm.config['smbios1'].split(','))
    assert stored == {'base64': '1', 'manufacturer': b64('Dell'), 'family': b64('Servers'), 'uuid': UUID}
    check = play([vm_task(vmid=150, smbios={'uuid': '6D1F2F8E-3A57-4C7E-9D59-90A2B1C0F0BB'})], check=True).assert_ok()
    assert check.writes == [] and check.task('vm')['changed'] is True


def test_usb_mapping_is_checked_before_any_write(lab, play):
    vm = add_vm(lab)
    lab.pve.add_mapping('usb', 'tokens', ['id=1050:0407,node=pve1'])
    lab.pve.add_mapping('usb', 'far', ['id=1050:0407,node=pve2'])
    run = play([vm_task(vmid=150, usb=[{'slot': 'usb0', 'mapping': 'tokens', 'usb3': True}])]).assert_ok()
    assert run.task('vm')['changed'] is True and vm.config['usb0'] == 'mapping=tokens,usb3=1'
    again = play([vm_task(vmid=150, usb=[{'slot': 'usb0', 'mapping': 'tokens'}])]).assert_ok()
    assert again.changed == 0 and again.writes == []
    missing, msg = failing(play, vm_task(vmid=150, usb=[{'slot': 'usb2', 'mapping': 'nosuch'}]))
    assert missing.writes == [] and 'usb[0].mapping' in msg and 'no such USB mapping' in msg
    other, msg = failing(play, vm_task(vmid=150, usb=[{'slot': 'usb2', 'mapping': 'far'}]))
    assert other.writes == [] and 'maps no device on node pve1' in msg
    flag = play([vm_task(vmid=150, usb=[{'slot': 'usb0', 'usb3': False}])]).assert_ok()
    assert vm.config['usb0'] == 'mapping=tokens'
    assert flag.task('vm')['changed'] is True


def test_host_usb_and_serial_devices_need_root(lab, play):
    vm = add_vm(lab)
    task = vm_task(vmid=150, usb=[{'slot': 'usb0', 'host': '0x1050:0x0407'}],
                   serial=[{'slot': 'serial0', 'type': '/dev/ttyS0'}])
    _run, msg = failing(play, task)
    # PVE's own refusal, as it comes (the lab checks the serial port first, as update_vm_api does).
    assert "only root can modify 'serial0' config for real devices" in msg
    _run, msg = failing(play, vm_task(vmid=150, usb=[{'slot': 'usb0', 'host': '1-4.1'}]))
    assert "only root can set 'usb0' config for real devices" in msg
    assert 'usb0' not in vm.config and 'serial0' not in vm.config
    root = play([task], auth='password').assert_ok()
    assert root.task('vm')['changed'] is True
    assert vm.config['usb0'] == '0x1050:0x0407' and vm.config['serial0'] == '/dev/ttyS0'
    same = play([vm_task(vmid=150, usb=[{'slot': 'usb0', 'host': '1050:0407'}])]).assert_ok()
    assert same.changed == 0 and same.writes == []


def test_a_running_vm_keeps_them_pending(lab, play):
    vm = add_vm(lab, status='running')
    run = play([vm_task(vmid=150, rng={'source': '/dev/urandom'}, serial=[{'slot': 'serial0', 'type': 'socket'}],
                        usb=[{'slot': 'usb0', 'spice': True}])]).assert_ok()
    result = run.task('vm')
    assert result['changed'] is True and result['reboot_required'] is True
    assert sorted(result['pending']) == ['rng0', 'serial0']
    assert vm.config.get('usb0') == 'spice'  # hot-plugged (usb hotplug, ostype l26)
    again = play([vm_task(vmid=150, rng={'source': '/dev/urandom'}, serial=[{'slot': 'serial0', 'type': 'socket'}],
                          usb=[{'slot': 'usb0', 'spice': True}])]).assert_ok()
    assert again.changed == 0 and again.writes == []


def test_usb_waits_for_the_next_start_without_the_usb_hotplug_feature(lab, play):
    vm = add_vm(lab, status='running', hotplug='network,disk')
    run = play([vm_task(vmid=150, usb=[{'slot': 'usb0', 'spice': True}])]).assert_ok()
    result = run.task('vm')
    assert result['changed'] is True and result['pending'] == ['usb0'] and result['reboot_required'] is True
    again = play([vm_task(vmid=150, usb=[{'slot': 'usb0', 'spice': True}])]).assert_ok()
    assert again.changed == 0 and again.writes == []
    assert vm.config.get('usb0') is None


BAD = [
    ({'usb': [{'slot': 'usb0', 'host': 'abc'}]}, 'usb[0].host', 'is not a USB device'),
    ({'usb': [{'slot': 'usb0', 'host': '1-2', 'mapping': 'tokens'}]}, 'usb[0]', 'give one of host, mapping or spice'),
    ({'usb': [{'slot': 'usb14', 'spice': True}]}, 'usb[0].slot', 'is not a USB slot'),
    ({'usb': [{'slot': 'usb3', 'usb3': True}]}, 'usb[0]', 'a new USB device needs host, mapping or spice'),
    ({'serial': [{'slot': 'serial0', 'type': 'ttyS0'}]}, 'serial[0].type', 'must be socket or a host device'),
    ({'serial': [{'slot': 'serial4', 'type': 'socket'}]}, 'serial[0].slot', 'is not a serial port slot'),
    ({'rng': {'max_bytes': 10}}, 'rng.source', 'is required for a new rng'),
    ({'rng': {'source': '/dev/urandom', 'period': -1}}, 'rng.period', 'must be a whole number'),
    ({'audio': {'driver': 'none'}}, 'audio.device', 'is required for a new audio'),
    ({'smbios': {'uuid': 'not-a-uuid'}}, 'smbios.uuid', 'is not a UUID'),
    ({'smbios': {'manufacturer': ''}}, 'smbios.manufacturer', 'must not be empty'),
]


def test_bad_values_are_refused_before_any_write(lab, play):
    add_vm(lab)
    tasks = [dict(vm_task('bad{0}'.format(i), vmid=150, memory=4096, **args), ignore_errors=True)
             for i, (args, _o, _w) in enumerate(BAD)]
    run = play(tasks)
    assert run.writes == []
    for index, (_args, option, why) in enumerate(BAD):
        result = run.task('bad{0}'.format(index))
        assert result.get('failed') is True and option in result['msg'] and why in result['msg'], (index, result)
