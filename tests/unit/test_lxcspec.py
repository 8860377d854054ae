"""Container spec normalization: options checked on their own, merged into a current config, compared."""

import pytest

from ansible_collections.iac.proxmox.plugins.module_utils._diff import ABSENT, DiffError, compare
from ansible_collections.iac.proxmox.plugins.module_utils._errors import ValidationError
from ansible_collections.iac.proxmox.plugins.module_utils._lxcspec import CtSpec, clone_preview, volume_slots

CURRENT = {
    'hostname': 'web-ct', 'memory': 1024, 'swap': 512, 'cores': 2, 'unprivileged': 1,
    'features': 'keyctl=1,nesting=1', 'tags': 'demo;web', 'nameserver': '192.0.2.53 192.0.2.54',
    'rootfs': 'local-lvm:vm-100-disk-0,size=8G',
    'mp0': 'local-lvm:vm-100-disk-1,backup=1,mp=/srv/data,size=4G',
    'mp1': '/srv/shared-data,mp=/mnt/shared,ro=1',
    'net0': 'name=eth0,bridge=vmbr0,gw=10.0.30.1,hwaddr=BC:24:11:61:51:D8,ip=10.0.30.11/24,type=veth',
}


def params(**kw):
    base = dict.fromkeys(('name', 'unprivileged', 'features', 'cores', 'cpulimit', 'cpuunits', 'memory', 'swap',
                          'rootfs', 'mounts', 'nets', 'nameserver', 'searchdomain', 'onboot', 'startup', 'tags',
                          'description', 'protection', 'storage'))
    base.update(kw)
    return base


def plan_for(current=None, creating=False, **kw):
    current = CURRENT if current is None else current
    plan = CtSpec.from_params(params(**kw)).plan(current, creating=creating)
    return plan, compare(plan.desired, current, plan.fields(), creating=creating)


def test_equal_spec_is_no_change():
    plan, delta = plan_for(name='web-ct', memory='1G', cores=2, unprivileged=True, tags=['web', 'Demo'],
                           features={'nesting': True, 'keyctl': True}, nameserver=['192.0.2.53', '192.0.2.54'],
                           rootfs={'size': '8G'},
                           mounts=[{'slot': 'mp0', 'size': '4G', 'path': '/srv/data', 'backup': True},
                                   {'slot': 'mp1', 'host_path': '/srv/shared-data', 'ro': True}],
                           nets=[{'slot': 'net0', 'bridge': 'vmbr0', 'ip': '10.0.30.11/24', 'gw': '10.0.30.1',
                                  'firewall': False}])
    assert not delta.changed, delta.params()
    assert plan.resizes == []


def test_nameserver_order_is_a_change():
    _plan, delta = plan_for(nameserver=['192.0.2.54', '192.0.2.53'])
    assert delta.set == {'nameserver': '192.0.2.54 192.0.2.53'}


def test_features_are_compared_as_a_whole():
    _plan, delta = plan_for(features={'nesting': True})
    assert delta.set == {'features': 'nesting=1'}
    _plan, delta = plan_for(features={})
    assert delta.delete == ['features']
    _plan, delta = plan_for(features={'nesting': True, 'keyctl': True, 'mount': ['nfs', 'cifs']})
    assert delta.set == {'features': 'keyctl=1,mount=cifs;nfs,nesting=1'}


def test_unprivileged_is_create_time_only():
    with pytest.raises(DiffError) as err:
        plan_for(unprivileged=False)
    assert err.value.key == 'unprivileged'
    rootfs = {'storage': 'local-lvm', 'size': '8G'}
    _plan, delta = plan_for(current={}, creating=True, unprivileged=False, rootfs=rootfs)
    assert delta.set['unprivileged'] is False


def test_new_container_volumes():
    plan, delta = plan_for(current={}, creating=True, storage='local-lvm', rootfs={'size': '10G'},
                           mounts=[{'slot': 'mp0', 'storage': 'nfs.01', 'size': '512M', 'path': '/data', 'ro': True},
                                   {'slot': 'mp1', 'host_path': '/srv/x', 'path': '/x'},
                                   {'slot': 'mp2', 'volume': 'local-lvm:vm-100-disk-7', 'path': '/y'}])
    assert delta.set['rootfs'] == 'local-lvm:10'
    assert delta.set['mp0'] == 'nfs.01:0.5,mp=/data,ro=1'
    assert delta.set['mp1'] == '/srv/x,mp=/x' and delta.set['mp2'] == 'local-lvm:vm-100-disk-7,mp=/y'
    assert plan.storages == {'local-lvm': 'rootfs.storage', 'nfs.01': 'mounts[0].storage'}
    with pytest.raises(ValidationError) as err:
        plan_for(current={}, creating=True)
    assert err.value.option == 'rootfs'


def test_mount_changes():
    plan, delta = plan_for(mounts=[{'slot': 'mp0', 'size': '6G', 'path': '/data', 'backup': False},
                                   {'slot': 'mp1', 'state': 'absent'}])
    assert delta.set == {'mp0': 'local-lvm:vm-100-disk-1,mp=/data,size=4G'}
    assert delta.delete == ['mp1'] and plan.detached == []
    assert plan.resizes == [('mp0', 6 * 1024 ** 3, 4 * 1024 ** 3)]
    plan, delta = plan_for(mounts=[{'slot': 'mp0', 'state': 'absent'}])
    assert plan.detached == [('mp0', 'local-lvm:vm-100-disk-1')]
    with pytest.raises(DiffError):
        plan_for(mounts=[{'slot': 'mp0', 'storage': 'nfs.01'}])
    with pytest.raises(DiffError):
        plan_for(mounts=[{'slot': 'mp1', 'host_path': '/srv/other'}])
    with pytest.raises(DiffError):
        plan_for(rootfs={'size': '4G'})


def test_nic_merge_keeps_hwaddr():
    _plan, delta = plan_for(nets=[{'slot': 'net0', 'ip': 'dhcp', 'gw': None, 'tag': 7}])
    value = delta.set['net0']
    assert 'hwaddr=BC:24:11:61:51:D8' in value and 'ip=dhcp' in value and 'tag=7' in value
    _plan, delta = plan_for(nets=[{'slot': 'net3', 'bridge': 'vmbr1'}])
    assert delta.set == {'net3': 'name=eth3,bridge=vmbr1'}
    _plan, delta = plan_for(nets=[{'slot': 'net0', 'state': 'absent'}])
    assert delta.delete == ['net0']


@pytest.mark.parametrize('kw,option', [
    (dict(cores=0), 'cores'),
    (dict(memory='tiny'), 'memory'),
    (dict(features={'nesting': 'yes'}), 'features.nesting'),
    (dict(features={'mount': ['nfs;rm']}), 'features.mount'),
    (dict(mounts=[{'slot': 'mp0', 'storage': 'a', 'host_path': '/x', 'path': '/y'}]), 'mounts[0]'),
    (dict(mounts=[{'slot': 'mp0', 'host_path': '/x', 'size': '1G', 'path': '/y'}]), 'mounts[0].size'),
    (dict(mounts=[{'slot': 'mp0', 'storage': 'local-lvm', 'size': '1G', 'path': '/'}]), 'mounts[0].path'),
    (dict(mounts=[{'slot': 'mp9999'}]), 'mounts[0].slot'),
    (dict(nets=[{'slot': 'net0', 'name': 'eth 0'}]), 'nets[0].name'),
    (dict(nets=[{'slot': 'net0', 'ip6': '10.0.0.1/24'}]), 'nets[0].ip6'),
    (dict(nets=[{'slot': 'net0', 'mtu': 20}]), 'nets[0].mtu'),
    (dict(nets=[{'slot': 'net9', 'ip': 'dhcp'}]), 'nets[0].bridge'),
    (dict(startup='first'), 'startup'),
    (dict(nameserver=['ns1.example']), 'nameserver[0]'),
])
def test_bad_options_name_the_option(kw, option):
    with pytest.raises(ValidationError) as err:
        CtSpec.from_params(params(**kw)).plan(CURRENT, creating=False)
    assert err.value.option == option


def test_clone_preview_and_volume_slots():
    assert sorted(volume_slots(CURRENT)) == ['mp0', 'rootfs']
    preview = clone_preview(dict(CURRENT, template=1), storage='nfs.01', hostname='copy')
    assert preview['rootfs'] == 'nfs.01:vm-100-disk-0,size=8G' and preview['hostname'] == 'copy'
    assert preview['mp1'] == CURRENT['mp1'] and 'template' not in preview
    assert ABSENT is not None
