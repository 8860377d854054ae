"""The lab's config view and what a running VM takes at once (tests/lab/pvelab/hotplug.py), each after the PVE
source it names (docs/pve-behaviour.md, section "Config and pending")."""

import pytest

from ansible_collections.iac.proxmox.plugins.module_utils._client import PveClient
from ansible_collections.iac.proxmox.plugins.module_utils._errors import PveApiError


@pytest.fixture
def api(lab):
    conn = lab.connection()
    return PveClient(conn['api_host'], conn['api_user'], token_id=conn['api_token_id'],
                     token_secret=conn['api_token_secret'], port=conn['api_port'], ca_path=conn['ca_path'])


def running_copy(api, newid, **config):
    api.wait_task(api.post('/nodes/pve1/qemu/9000/clone', newid=newid, full=1, name='copy{0}'.format(newid)))
    if config:
        api.put('/nodes/pve1/qemu/{0}/config'.format(newid), **config)
    api.wait_task(api.post('/nodes/pve1/qemu/{0}/status/start'.format(newid)))
    return '/nodes/pve1/qemu/{0}'.format(newid)


def pending_of(api, path):
    return dict((p['key'], p) for p in api.get(path + '/pending') if p['key'] != 'digest')


def waiting(api, path):
    """The keys PVE keeps in the pending section: {key: new value or None for a removal}."""
    return dict((k, None if p.get('delete') else p['pending']) for k, p in pending_of(api, path).items()
                if 'pending' in p or p.get('delete'))


# ---------------------------------------------------------------------- GET config

def test_vm_config_shows_pending_values_and_current_shows_the_running_ones(lab, api):
    """qemu-server src/PVE/API2/Qemu.pm vm_config -> pve-guest-common src/PVE/AbstractConfig.pm
    load_current_config: without `current` the pending values are applied (a pending removal drops the key);
    `current=1` gives the values the VM runs with. The digest is the same either way."""
    path = running_copy(api, 150)
    api.put(path + '/config', cores=4, delete='serial0')
    left = waiting(api, path)
    assert sorted(left) == ['cores', 'serial0'] and str(left['cores']) == '4' and left['serial0'] is None
    view = api.get(path + '/config')
    assert str(view['cores']) == '4' and 'serial0' not in view
    current = api.get(path + '/config', current=1)
    assert str(current['cores']) == '2' and current['serial0'] == 'socket'
    assert view['digest'] == current['digest']


def test_container_config_shows_pending_values_too(lab, api):
    """pve-container src/PVE/API2/LXC/Config.pm vm_config -> load_current_config: the same pending view for
    containers (fakepve already answers so)."""
    lab.pve.add_ct(301, 'ct-301', node='pve1', status='running')
    old = api.get('/nodes/pve1/lxc/301/config', current=1).get('nameserver')
    api.put('/nodes/pve1/lxc/301/config', nameserver='10.0.0.53')
    assert api.get('/nodes/pve1/lxc/301/config')['nameserver'] == '10.0.0.53'
    assert api.get('/nodes/pve1/lxc/301/config', current=1).get('nameserver') == old


# ---------------------------------------------------------------------- what a running VM takes at once

def test_running_vm_takes_cloudinit_keys_at_once(lab, api):
    """qemu-server src/PVE/QemuServer.pm $fast_plug_option (every key of $confdesc_cloudinit) and
    vmconfig_hotplug_pending: cloud-init keys are written to the config at once on a running VM; the guest
    sees them only after the drive is regenerated and it boots again."""
    path = running_copy(api, 151)
    api.put(path + '/config', ciuser='admin', cipassword='secret', nameserver='10.0.0.53 1.1.1.1',
            searchdomain='example.org', ipconfig0='ip=10.0.0.5/24,gw=10.0.0.1', citype='nocloud')
    assert waiting(api, path) == {}
    vm = lab.pve.vm(151)
    assert vm.config['ciuser'] == 'admin' and vm.config['ipconfig0'] == 'ip=10.0.0.5/24,gw=10.0.0.1'
    assert vm.config['nameserver'] == '10.0.0.53 1.1.1.1' and vm.config['cipassword'].startswith('$5$')


def test_running_vm_hotplugs_nics_and_scsi_disks_with_the_default_hotplug(lab, api):
    """qemu-server src/PVE/QemuServer.pm vmconfig_hotplug_pending with `hotplug` absent (default
    network,disk,usb): vmconfig_update_net plugs a new NIC and re-plugs a model change, vmconfig_update_disk
    plugs a new scsi/virtio disk; an ide/sata disk, efidisk0 and tpmstate0 are never hot-plugged. A removed
    scsi disk is unplugged at once and its volume kept as unusedN (vmconfig_delete_or_detach_drive)."""
    path = running_copy(api, 152)
    api.put(path + '/config', net1='virtio,bridge=vmbr0', net0='e1000=BC:24:11:9A:00:01,bridge=vmbr0',
            scsi1='local-lvm:1', sata1='local-lvm:1')
    left = waiting(api, path)
    assert sorted(left) == ['sata1']
    vm = lab.pve.vm(152)
    assert vm.config['net0'].startswith('e1000=') and 'bridge=vmbr0' in vm.config['net1']
    assert vm.config['scsi1'].startswith('local-lvm:vm-152-disk-')
    volume = vm.config['scsi1'].split(',')[0]
    api.put(path + '/config', delete='scsi1,tpmstate0')
    assert waiting(api, path) == {'sata1': left['sata1'], 'tpmstate0': None}
    assert 'scsi1' not in vm.config and volume in [v for k, v in vm.config.items() if k.startswith('unused')]


def test_without_network_hotplug_only_live_nic_changes_apply(lab, api):
    """qemu-server src/PVE/QemuServer.pm vmconfig_update_net: bridge, tag, firewall, trunks, rate and
    link_down change on the running NIC whatever `hotplug` says; a model, MAC, queues or mtu change needs
    the network feature and otherwise stays pending, as does a new NIC."""
    path = running_copy(api, 153, hotplug='disk')
    nic = api.get(path + '/config')['net0']  # the clone's own MAC
    api.put(path + '/config', net0=nic + ',tag=20,firewall=1,link_down=1')
    assert waiting(api, path) == {}
    api.put(path + '/config', net0=nic + ',tag=20,firewall=1,link_down=1,mtu=1400', net1='virtio,bridge=vmbr0')
    assert sorted(waiting(api, path)) == ['net0', 'net1']


def test_agent_change_stays_pending_unless_only_fstrim_changes(lab, api):
    """qemu-server src/PVE/QemuServer.pm vmconfig_update_agent: on a running VM only a change of
    fstrim_cloned_disks applies at once; enabling/disabling or changing type/freeze-fs stays pending."""
    path = running_copy(api, 154)
    api.put(path + '/config', agent='1,fstrim_cloned_disks=1')
    assert waiting(api, path) == {} and lab.pve.vm(154).config['agent'] == '1,fstrim_cloned_disks=1'
    api.put(path + '/config', agent='0,fstrim_cloned_disks=1')
    assert waiting(api, path) == {'agent': '0,fstrim_cloned_disks=1'}
    assert lab.pve.vm(154).config['agent'] == '1,fstrim_cloned_disks=1'
    assert api.get(path + '/config')['agent'] == '0,fstrim_cloned_disks=1'


def test_cores_stay_pending_and_memory_hotplugs_only_with_its_feature(lab, api):
    """qemu-server src/PVE/QemuServer.pm vmconfig_hotplug_pending: `memory` is hot-plugged only with the
    memory feature in `hotplug`, `vcpus` only with cpu; `cores`, `sockets` and `cpu` always wait for the
    next start. cpuunits and cpulimit apply at once."""
    path = running_copy(api, 155)
    api.put(path + '/config', memory='4096', cores=4, cpuunits=200)
    assert sorted(waiting(api, path)) == ['cores', 'memory']
    path = running_copy(api, 156, hotplug='network,disk,cpu,memory', numa=1, vcpus=1)
    api.put(path + '/config', memory='4096', cores=4, vcpus=2, cpulimit=2)
    assert sorted(waiting(api, path)) == ['cores']
    assert lab.pve.vm(156).config['memory'] in ('4096', 4096)


def test_a_failed_hotplug_stays_pending_and_fails_the_request(lab, api):
    """qemu-server src/PVE/QemuServer.pm vmconfig_hotplug_pending ($add_error: `hotplug problem - <msg>`)
    and src/PVE/API2/Qemu.pm $update_vm_api (raise_param_exc): the failed key stays pending, the others
    are applied, and the request answers 400 naming the key; src/PVE/QemuServer/Memory.pm
    qemu_memory_hotplug refuses memory below 1024 MiB."""
    path = running_copy(api, 157)
    lab.pve.fail_hotplug(157, 'net1', 'unable to add device')
    with pytest.raises(PveApiError) as err:
        api.put(path + '/config', net1='virtio,bridge=vmbr0', scsi1='local-lvm:1', description='x')
    assert err.value.status == 400
    assert err.value.errors == {'net1': 'hotplug problem - unable to add device'}
    assert sorted(waiting(api, path)) == ['net1']
    vm = lab.pve.vm(157)
    assert vm.config['description'] == 'x' and 'scsi1' in vm.config
    path = running_copy(api, 158, hotplug='network,disk,memory', numa=1)
    with pytest.raises(PveApiError) as err:
        api.put(path + '/config', memory='512')
    assert err.value.errors == {'memory': "hotplug problem - memory can't be lower than 1024 MB"}
    assert waiting(api, path) == {'memory': '512'}


def test_a_write_to_a_stopped_vm_applies_every_pending_change(lab, api):
    """qemu-server src/PVE/QemuServer.pm vmconfig_apply_pending (called by $update_vm_api when the VM does
    not run): all pending changes are applied, not only the keys the write names."""
    path = running_copy(api, 159)
    api.put(path + '/config', cores=4)
    api.wait_task(api.post(path + '/status/stop'))
    assert sorted(waiting(api, path)) == ['cores']
    api.put(path + '/config', description='stopped')
    assert waiting(api, path) == {}
    assert str(lab.pve.vm(159).config['cores']) == '4'
