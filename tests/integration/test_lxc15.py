"""iac.proxmox.pve_lxc's settings of issue 15 end to end against the lab: device passthrough (`devices`), the
console (`cmode`, `console`, `tty`), `timezone`, and `arch`/`ostype` at creation. Each option: create or
change, rerun unchanged with zero writes, check mode with zero writes, a bad value refused before any write."""

TEMPLATE = 'local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst'


def ct_task(task='ct', **args):
    return {'name': task, 'iac.proxmox.pve_lxc': args}


def add_ct(lab, vmid, name, status='stopped', **config):
    base = {'hostname': name, 'memory': 512, 'swap': 512, 'unprivileged': 1, 'ostype': 'debian', 'arch': 'amd64',
            'rootfs': 'local-lvm:vm-{0}-disk-0,size=8G'.format(vmid)}
    base.update(config)
    return lab.pve.add_ct(vmid, name, node='pve1', status=status, config=base)


def containers(lab, name):
    return [ct for ct in lab.pve.cts if ct.name == name]


# ---------------------------------------------------------------------- console and time zone

CONSOLE = dict(cmode='shell', console=False, tty=1, timezone='Europe/Berlin')


def test_console_and_timezone_change_then_unchanged_rerun(lab, play):
    ct = add_ct(lab, 600, 'console-ct')
    check = play([ct_task(name='console-ct', **CONSOLE)], check=True, diff=True).assert_ok()
    assert check.writes == [] and check.changed == 1 and 'cmode' not in ct.config
    assert check.task('ct')['plan'] == ['set config of CT 600 (console-ct): cmode, console, timezone, tty']
    run = play([ct_task(name='console-ct', **CONSOLE)], diff=True).assert_ok()
    assert (ct.config['cmode'], str(ct.config['console']), str(ct.config['tty']), ct.config['timezone']) == (
        'shell', '0', '1', 'Europe/Berlin')
    assert sorted(run.task('ct')['changed_keys']) == ['cmode', 'console', 'timezone', 'tty']
    diff = run.task('ct')['diff']
    assert diff['before']['tty'] is None and diff['after']['tty'] == 1
    again = play([ct_task(name='console-ct', **CONSOLE)]).assert_ok()
    assert again.changed == 0 and again.writes == []
    host = play([ct_task(name='console-ct', timezone='host', cmode='console')]).assert_ok()
    assert ct.config['timezone'] == 'host' and ct.config['cmode'] == 'console' and host.changed == 1


def test_console_defaults_equal_no_key(lab, play):
    """PVE's defaults (cmode tty, console 1, tty 2) are what a container without the keys has: nothing to write."""
    add_ct(lab, 601, 'defaults-ct')
    run = play([ct_task(name='defaults-ct', cmode='tty', console=True, tty=2)]).assert_ok()
    assert run.changed == 0 and run.writes == []


def test_console_settings_of_a_running_container_wait_for_a_restart(lab, play):
    """pve-container LXC/Config.pm vmconfig_hotplug_pending: cmode, console, tty and timezone are not hot-pluggable."""
    ct = add_ct(lab, 602, 'running-ct', status='running')
    run = play([ct_task(name='running-ct', tty=4, timezone='UTC')]).assert_ok()
    assert run.task('ct')['pending'] == ['timezone', 'tty'] and run.task('ct')['reboot_required'] is True
    assert 'tty' not in ct.config
    assert play([ct_task(name='running-ct', tty=4, timezone='UTC')]).writes == []


def test_bad_console_values_are_refused_before_any_write(lab, play):
    add_ct(lab, 603, 'bad-ct')
    cases = [(dict(tty=7), 'tty'), (dict(tty=-1), 'tty'), (dict(timezone='CET'), 'timezone'),
             (dict(timezone='Europe Berlin'), 'timezone'), (dict(cmode='serial'), 'cmode')]
    for args, option in cases:
        run = play([ct_task(name='bad-ct', **args)])
        assert run.failed and run.writes == [], (args, run.output)
        assert option in run.task('ct')['msg'], run.task('ct')['msg']
    assert 'zone.tab' in play([ct_task(name='bad-ct', timezone='CET')]).task('ct')['msg']


def test_a_zone_pve_does_not_know_shows_pves_error(lab, play):
    """A name of the right form that is not in the node's zone.tab: the module cannot read the node's list, so
    PVE's refusal (a 400 on timezone, nothing changed) is shown with its field message."""
    ct = add_ct(lab, 604, 'tz-ct')
    run = play([ct_task(name='tz-ct', timezone='Europe/Atlantis')])
    assert run.failed and "invalid time zone 'Europe/Atlantis'" in run.task('ct')['msg'], run.output
    assert 'timezone' not in ct.config and ct.pending == {}


# ---------------------------------------------------------------------- arch and ostype

def test_arch_and_ostype_at_creation_then_unchanged_rerun(lab, play):
    task = ct_task(name='arm-ct', node='pve1', ostemplate=TEMPLATE, rootfs={'storage': 'local-lvm', 'size': '4G'},
                   arch='arm64', ostype='unmanaged')
    check = play([task], check=True).assert_ok()
    assert check.writes == [] and containers(lab, 'arm-ct') == []
    assert 'arch' in check.task('ct')['plan'][0] and 'ostype' in check.task('ct')['plan'][0]
    first = play([task]).assert_ok()
    [ct] = containers(lab, 'arm-ct')
    assert ct.config['arch'] == 'arm64' and ct.config['ostype'] == 'unmanaged'
    creates = [body for m, p, body in first.writes if p == '/nodes/pve1/lxc']
    assert len(creates) == 1 and b'arch=arm64' in creates[0] and b'ostype=unmanaged' in creates[0]
    again = play([task]).assert_ok()
    assert again.changed == 0 and again.writes == []


def test_arch_and_ostype_of_an_existing_container_are_refused_before_any_write(lab, play):
    add_ct(lab, 610, 'made-ct')
    assert play([ct_task(name='made-ct', arch='amd64', ostype='debian')]).writes == []
    for args, option in ((dict(arch='arm64', cores=2), 'arch'), (dict(ostype='alpine', cores=2), 'ostype')):
        run = play([ct_task(name='made-ct', **args)])
        assert run.failed and run.writes == []
        assert run.task('ct')['msg'].startswith(option + ' can only be set when the resource is created'), \
            run.task('ct')['msg']


def test_an_ostype_pve_does_not_keep_is_named_on_the_next_run(lab, play):
    """PVE stores the OS it detects in the template (debian here), not a different type the create asked for: the
    next run says so, before any write, instead of rewriting it."""
    task = ct_task(name='os-ct', node='pve1', ostemplate=TEMPLATE, rootfs={'storage': 'local-lvm', 'size': '4G'},
                   ostype='ubuntu')
    play([task]).assert_ok()
    [ct] = containers(lab, 'os-ct')
    assert ct.config['ostype'] == 'debian'
    again = play([task])
    assert again.failed and again.writes == []
    assert again.task('ct')['msg'].startswith('ostype can only be set when the resource is created (current: debian, '
                                              'desired: ubuntu)'), again.task('ct')['msg']


def test_a_bad_arch_is_refused_before_any_write(lab, play):
    run = play([ct_task(name='new-ct', node='pve1', ostemplate=TEMPLATE, rootfs={'storage': 'local-lvm', 'size': '4G'},
                        arch='x86_64')])
    assert run.failed and run.writes == [] and 'arch' in run.task('ct')['msg']


# ---------------------------------------------------------------------- devices

DEV0 = {'slot': 'dev0', 'path': '/dev/ttyUSB0', 'mode': '0660', 'gid': 20}


def test_device_added_changed_removed_then_unchanged_rerun(lab, play):
    ct = add_ct(lab, 620, 'dev-ct')
    check = play([ct_task(name='dev-ct', devices=[DEV0])], auth='password', check=True).assert_ok()
    assert check.writes == [] and 'dev0' not in ct.config and check.changed == 1
    run = play([ct_task(name='dev-ct', devices=[DEV0])], auth='password', diff=True).assert_ok()
    assert ct.config['dev0'] == '/dev/ttyUSB0,gid=20,mode=0660'
    assert run.task('ct')['changed_keys'] == ['dev0']
    assert run.task('ct')['diff']['after']['dev0'] == '/dev/ttyUSB0,gid=20,mode=0660'
    again = play([ct_task(name='dev-ct', devices=[DEV0])], auth='password').assert_ok()
    assert again.changed == 0 and again.writes == []
    # Options left out keep their values; deny_write false is PVE's default (no key).
    change = play([ct_task(name='dev-ct', devices=[{'slot': 'dev0', 'uid': 100, 'deny_write': True}])],
                  auth='password').assert_ok()
    assert ct.config['dev0'] == '/dev/ttyUSB0,deny-write=1,gid=20,mode=0660,uid=100' and change.changed == 1
    off = play([ct_task(name='dev-ct', devices=[{'slot': 'dev0', 'deny_write': False}])], auth='password')
    assert ct.config['dev0'] == '/dev/ttyUSB0,gid=20,mode=0660,uid=100' and off.assert_ok().changed == 1
    gone = play([ct_task(name='dev-ct', devices=[{'slot': 'dev0', 'state': 'absent'}])], auth='password').assert_ok()
    assert 'dev0' not in ct.config
    [(_method, _path, body)] = gone.writes
    assert b'delete=dev0' in body
    assert play([ct_task(name='dev-ct', devices=[{'slot': 'dev0', 'state': 'absent'}])], auth='password').writes == []


def test_devices_of_a_running_container_new_at_once_changed_pending(lab, play):
    """pve-container LXC/Config.pm vmconfig_hotplug_pending: a new devN is hot-plugged, over an existing one it
    is skipped (pending until the restart)."""
    ct = add_ct(lab, 621, 'run-dev', status='running')
    run = play([ct_task(name='run-dev', devices=[DEV0])], auth='password').assert_ok()
    assert ct.config['dev0'] == '/dev/ttyUSB0,gid=20,mode=0660' and run.task('ct')['pending'] == []
    change = play([ct_task(name='run-dev', devices=[dict(DEV0, path='/dev/ttyS0')])], auth='password').assert_ok()
    assert change.task('ct')['pending'] == ['dev0'] and ct.config['dev0'].startswith('/dev/ttyUSB0')
    again = play([ct_task(name='run-dev', devices=[dict(DEV0, path='/dev/ttyS0')])], auth='password').assert_ok()
    assert again.writes == [] and again.task('ct')['reboot_required'] is True


def test_devices_need_root_with_a_password_before_any_write(lab, play):
    add_ct(lab, 622, 'tok-ct')
    run = play([ct_task(name='tok-ct', devices=[DEV0], cores=2)])
    assert run.failed and run.writes == []
    msg = run.task('ct')['msg']
    assert msg.startswith('devices[0]') and 'root@pam' in msg and 'device passthrough' in msg, msg


def test_bad_devices_are_refused_before_any_write(lab, play):
    add_ct(lab, 623, 'bad-dev', dev1='/dev/sdb')
    cases = [({'slot': 'dev0', 'path': '/tmp/x'}, 'devices[0].path'),
             ({'slot': 'dev0', 'path': '/dev/../etc/shadow'}, 'devices[0].path'),
             ({'slot': 'dev0', 'path': '/dev/ttyUSB0', 'mode': '660'}, 'devices[0].mode'),
             ({'slot': 'dev0', 'path': '/dev/ttyUSB0', 'uid': -1}, 'devices[0].uid'),
             ({'slot': 'dev256', 'path': '/dev/ttyUSB0'}, 'devices[0].slot'),
             ({'slot': 'dev0', 'mode': '0600'}, 'devices[0].path')]
    for entry, option in cases:
        run = play([ct_task(name='bad-dev', devices=[entry])], auth='password')
        assert run.failed and run.writes == [], (entry, run.output)
        assert run.task('ct')['msg'].startswith(option), run.task('ct')['msg']


def test_a_path_that_is_no_device_on_the_node_shows_pves_error(lab, play):
    """PVE checks the device node on the node (pve-container LXC/Tools.pm get_device_mode_and_rdev); the module
    cannot see the node's /dev, so PVE's refusal is shown and nothing changes."""
    ct = add_ct(lab, 624, 'nodev')
    run = play([ct_task(name='nodev', devices=[{'slot': 'dev0', 'path': '/dev/ttyACM7'}])], auth='password')
    assert run.failed and 'Device /dev/ttyACM7 does not exist' in run.task('ct')['msg']
    assert 'dev0' not in ct.config and ct.pending == {}


def test_create_with_devices_console_and_timezone_then_unchanged_rerun(lab, play):
    task = ct_task(name='full-ct', node='pve1', ostemplate=TEMPLATE, rootfs={'storage': 'local-lvm', 'size': '4G'},
                   devices=[DEV0], cmode='console', console=True, tty=3, timezone='Europe/Berlin', state='started')
    check = play([task], auth='password', check=True).assert_ok()
    assert check.writes == [] and containers(lab, 'full-ct') == []
    first = play([task], auth='password').assert_ok()
    [ct] = containers(lab, 'full-ct')
    assert ct.config['dev0'] == '/dev/ttyUSB0,gid=20,mode=0660' and ct.config['timezone'] == 'Europe/Berlin'
    assert ct.config['cmode'] == 'console' and str(ct.config['tty']) == '3' and ct.status == 'running'
    creates = [body for m, p, body in first.writes if p == '/nodes/pve1/lxc']
    assert len(creates) == 1 and b'dev0=' in creates[0] and b'console=' not in creates[0]  # the default is not sent
    again = play([task], auth='password').assert_ok()
    assert again.changed == 0 and again.writes == []
    # With an API token, the same container with a device is refused before anything is created.
    token = play([dict(task, **{'iac.proxmox.pve_lxc': dict(task['iac.proxmox.pve_lxc'], name='tok-new')})])
    assert token.failed and token.writes == [] and containers(lab, 'tok-new') == []
