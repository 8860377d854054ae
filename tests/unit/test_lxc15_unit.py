"""Pure checks of the issue 15 container settings: device passthrough entries (_dev_lxcdev), console, time zone,
arch and ostype in the container spec, compared as PVE stores them."""

import pytest

from ansible_collections.iac.proxmox.plugins.module_utils._dev_lxcdev import DEV_FIELD, check_device_path
from ansible_collections.iac.proxmox.plugins.module_utils._diff import DiffError, compare
from ansible_collections.iac.proxmox.plugins.module_utils._errors import ValidationError
from ansible_collections.iac.proxmox.plugins.module_utils._lxcspec import CtSpec

CURRENT = {'hostname': 'ct', 'memory': 512, 'arch': 'amd64', 'ostype': 'debian', 'unprivileged': 1,
           'rootfs': 'local-lvm:vm-100-disk-0,size=8G', 'dev0': '/dev/ttyUSB0,gid=20,mode=0660'}


def delta_for(current=None, **kw):
    current = CURRENT if current is None else current
    plan = CtSpec.from_params(kw).plan(current, creating=False)
    return compare(plan.desired, current, plan.fields())


@pytest.mark.parametrize('path', ['/dev/ttyUSB0', '/dev/dri/renderD128', '/dev/net/tun', '/dev/.hidden'])
def test_device_paths_pve_accepts(path):
    assert check_device_path('devices[0].path', path) == path


@pytest.mark.parametrize('path', ['/tmp/x', 'dev/ttyS0', '/dev/', '/dev/../etc/shadow', '/dev/./ttyS0', '/dev/x/..',
                                  '/dev/a,mode=0777', '/dev/a b', None])
def test_device_paths_pve_refuses(path):
    with pytest.raises(ValidationError) as err:
        check_device_path('devices[0].path', path)
    assert err.value.option == 'devices[0].path'


def test_device_compared_as_pve_stores_it():
    """Key order, uid/gid as numbers and deny-write=0 (PVE's default) do not count."""
    stored = '/dev/ttyUSB0,gid=20,mode=0660'
    assert DEV_FIELD.norm(stored) == DEV_FIELD.norm('path=/dev/ttyUSB0,mode=0660,gid=020,deny-write=0')
    assert DEV_FIELD.norm('/dev/ttyUSB0,mode=0660') != DEV_FIELD.norm('/dev/ttyUSB0,mode=0600')


def test_unchanged_device_and_defaults_are_no_change():
    delta = delta_for(devices=[{'slot': 'dev0', 'path': '/dev/ttyUSB0', 'mode': '0660', 'gid': 20,
                                'deny_write': False}], cmode='tty', console=True, tty=2, arch='amd64', ostype='debian')
    assert not delta.changed


def test_device_options_left_out_keep_their_values():
    delta = delta_for(devices=[{'slot': 'dev0', 'uid': 0, 'deny_write': True}])
    assert delta.set == {'dev0': '/dev/ttyUSB0,deny-write=1,gid=20,mode=0660,uid=0'}


def test_device_removed_and_new_one_needs_a_path():
    assert delta_for(devices=[{'slot': 'dev0', 'state': 'absent'}]).delete == ['dev0']
    with pytest.raises(ValidationError) as err:
        delta_for(devices=[{'slot': 'dev1', 'mode': '0600'}])
    assert err.value.option == 'devices[0].path'


@pytest.mark.parametrize('entry, option', [({'slot': 'dev0', 'mode': '660'}, 'devices[0].mode'),
                                           ({'slot': 'dev0', 'mode': '0860'}, 'devices[0].mode'),
                                           ({'slot': 'dev0', 'gid': -1}, 'devices[0].gid'),
                                           ({'slot': 'dev256'}, 'devices[0].slot'),
                                           ({'slot': 'mp0'}, 'devices[0].slot')])
def test_bad_device_entries(entry, option):
    with pytest.raises(ValidationError) as err:
        CtSpec.from_params({'devices': [entry]})
    assert err.value.option == option


@pytest.mark.parametrize('zone', ['host', 'UTC', 'Europe/Berlin', 'America/Argentina/Buenos_Aires',
                                  'America/Port-au-Prince'])
def test_time_zones_of_the_form_pve_knows(zone):
    assert delta_for(timezone=zone).set == {'timezone': zone}


@pytest.mark.parametrize('args, option', [(dict(timezone='CET'), 'timezone'),
                                          (dict(timezone='europe/berlin'), 'timezone'),
                                          (dict(timezone=''), 'timezone'), (dict(tty=7), 'tty')])
def test_bad_console_and_time_zone_values(args, option):
    with pytest.raises(ValidationError) as err:
        CtSpec.from_params(args)
    assert err.value.option == option


def test_arch_and_ostype_are_create_only():
    for key, value in (('arch', 'arm64'), ('ostype', 'alpine')):
        with pytest.raises(DiffError) as err:
            delta_for(**{key: value})
        assert err.value.key == key
    # PVE's default arch (amd64) equals a container without the key.
    assert not delta_for(current=dict(CURRENT, arch=None), arch='amd64').changed
