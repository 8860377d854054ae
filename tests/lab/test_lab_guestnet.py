"""The lab's guest reports the network it configured at boot from its cloud-init drive, as a real guest does:
qemu-server regenerates the drive at every start (src/PVE/QemuServer.pm vm_start_nolock ->
PVE::QemuServer::Cloudinit::apply_cloudinit_config) and on PUT .../cloudinit (src/PVE/API2/Qemu.pm
cloudinit_update); cloud-init options change the config of a running VM at once ($fast_plug_option in
vmconfig_hotplug_pending) but reach the guest only through a drive it boots with; the drive configures a
NIC only if it has an ipconfigN (src/PVE/QemuServer/Cloudinit.pm nocloud_network)."""

import pytest

from ansible_collections.iac.proxmox.plugins.module_utils._client import PveClient


@pytest.fixture
def api(lab):
    conn = lab.connection()
    return PveClient(conn['api_host'], conn['api_user'], token_id=conn['api_token_id'],
                     token_secret=conn['api_token_secret'], port=conn['api_port'], ca_path=conn['ca_path'])


def addresses(api, vmid):
    answer = api.get('/nodes/pve1/qemu/{0}/agent/network-get-interfaces'.format(vmid))
    return dict((i['name'], [a['ip-address'] for a in i['ip-addresses']]) for i in answer['result']
                if i['name'] != 'lo')


def clone(api, newid, **config):
    api.post('/nodes/pve1/qemu/9000/clone', newid=newid, name='vm-{0}'.format(newid), full=1)
    if config:
        api.put('/nodes/pve1/qemu/{0}/config'.format(newid), **config)


def test_a_static_address_reaches_the_guest_only_through_a_start(lab, api):
    clone(api, 201, ipconfig0='ip=10.30.0.5/24,gw=10.30.0.1')
    api.post('/nodes/pve1/qemu/201/status/start')
    assert addresses(api, 201) == {'eth0': ['10.30.0.5']}
    assert api.get('/nodes/pve1/qemu/201/cloudinit') and all(
        'pending' not in item for item in api.get('/nodes/pve1/qemu/201/cloudinit'))  # the start regenerated it
    api.put('/nodes/pve1/qemu/201/config', ipconfig0='ip=10.30.0.9/24,gw=10.30.0.1')
    assert api.get('/nodes/pve1/qemu/201/config')['ipconfig0'].startswith('ip=10.30.0.9/24')  # applied at once
    assert not any(i['key'] == 'ipconfig0' and 'pending' in i for i in api.get('/nodes/pve1/qemu/201/pending'))
    [item] = [i for i in api.get('/nodes/pve1/qemu/201/cloudinit') if i['key'] == 'ipconfig0']
    assert item['pending'].startswith('ip=10.30.0.9/24')  # not on the drive yet
    assert addresses(api, 201) == {'eth0': ['10.30.0.5']}
    api.put('/nodes/pve1/qemu/201/cloudinit')
    assert addresses(api, 201) == {'eth0': ['10.30.0.5']}  # a new drive, read at the next boot only
    api.post('/nodes/pve1/qemu/201/status/reboot')
    assert addresses(api, 201) == {'eth0': ['10.30.0.9']}


def test_a_reset_boots_from_the_drive_as_it_is(lab, api):
    clone(api, 202, ipconfig0='ip=10.30.0.5/24')
    api.post('/nodes/pve1/qemu/202/status/start')
    api.put('/nodes/pve1/qemu/202/config', ipconfig0='ip=10.30.0.6/24')
    api.post('/nodes/pve1/qemu/202/status/reset')
    assert addresses(api, 202) == {'eth0': ['10.30.0.5']}  # vm_reset regenerates nothing
    api.put('/nodes/pve1/qemu/202/cloudinit')
    api.post('/nodes/pve1/qemu/202/status/reset')
    assert addresses(api, 202) == {'eth0': ['10.30.0.6']}


def test_dhcp_leases_come_from_the_bridge_pool_and_stay(lab, api):
    clone(api, 203, ipconfig0='ip=dhcp', net1='virtio,bridge=vmbr1', ipconfig1='ip=dhcp')
    clone(api, 204, ipconfig0='ip=dhcp', net1='virtio,bridge=vmbr0')
    api.post('/nodes/pve1/qemu/203/status/start')
    api.post('/nodes/pve1/qemu/204/status/start')
    first, second = addresses(api, 203), addresses(api, 204)
    assert first['eth0'][0].startswith('198.18.') and first['eth1'][0].startswith('198.18.')
    assert first['eth0'][0].rsplit('.', 1)[0] != first['eth1'][0].rsplit('.', 1)[0]  # one pool per bridge
    assert second['eth0'][0] != first['eth0'][0]  # one lease per MAC
    assert second['eth1'] == []  # no ipconfig1: the drive leaves the NIC alone
    api.post('/nodes/pve1/qemu/203/status/reboot')
    assert addresses(api, 203) == first  # the same MAC gets the same lease


def test_without_a_cloudinit_drive_the_image_asks_dhcp_on_its_first_nic(lab, api):
    clone(api, 205, delete='ide2', ipconfig0='ip=10.30.0.7/24')
    api.post('/nodes/pve1/qemu/205/status/start')
    [address] = addresses(api, 205)['eth0']
    assert address.startswith('198.18.')  # ipconfig0 is in the config, but nothing carries it to the guest
