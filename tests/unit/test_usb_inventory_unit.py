"""Pure logic of pve_usb_mapping (entry checks, device names) and of the inventory's pve_config view."""

import pytest

from ansible_collections.iac.proxmox.plugins.module_utils._errors import ValidationError
from ansible_collections.iac.proxmox.plugins.module_utils._info import inventory_config
from ansible_collections.iac.proxmox.plugins.module_utils._usb import (
    KIND, check_device_id, check_usb_path, desired_entries, device_names, device_path)

DEVICES = [
    {'busnum': 1, 'devnum': 1, 'level': 0, 'port': 0, 'vendid': '1d6b', 'prodid': '0002', 'class': 9, 'speed': '480'},
    {'busnum': 1, 'devnum': 3, 'level': 1, 'port': 1, 'usbpath': '2', 'vendid': '1050', 'prodid': '0407',
     'manufacturer': 'Yubico', 'product': 'YubiKey', 'class': 0, 'speed': '12'},
    {'busnum': 1, 'devnum': 5, 'level': 2, 'port': 0, 'usbpath': '4.1', 'vendid': '051d', 'prodid': '0002',
     'class': 0, 'speed': '1.5'},
]


@pytest.mark.parametrize('path', ['1-2', '2-1', '1-4.1', '10-1.2.3'])
def test_usb_paths_pve_accepts(path):
    assert check_usb_path('map[0].path', path) == path


@pytest.mark.parametrize('path', ['1', '1-', '-2', '1:2', '1-2.', '1-2;rm', 'a-1', '1-2,node=pve2', 1])
def test_usb_paths_refused(path):
    with pytest.raises(ValidationError) as err:
        check_usb_path('map[0].path', path)
    assert 'bus-port' in str(err.value)


def test_device_ids_are_lower_cased_and_checked():
    assert check_device_id('map[0].id', '1050:0407') == '1050:0407'
    assert check_device_id('map[0].id', 'ABCD:00EF') == 'abcd:00ef'
    for bad in ('1050-0407', '1050:407', '1050:0407,node=x', 'zzzz:0000'):
        with pytest.raises(ValidationError):
            check_device_id('map[0].id', bad)


def test_device_paths_and_names_leave_root_hubs_out():
    assert [device_path(d) for d in DEVICES] == [None, '1-2', '1-4.1']
    assert device_names(DEVICES) == '1-2 1050:0407 Yubico YubiKey, 1-4.1 051d:0002'
    assert device_names(DEVICES[:1]) == 'none'


class NoHardware(object):
    def at_path(self, option, node, path):
        raise AssertionError('no hardware read expected')


def test_a_path_entry_takes_its_id_from_the_entry_it_replaces():
    current = {'map': ['id=0781:5583,node=pve1,path=2-1']}
    entries = desired_entries([{'node': 'pve1', 'path': '2-1'}, {'node': 'pve2', 'id': '1050:0407'}], current,
                              NoHardware())
    assert [dict((k, v) for k, v in e.items() if k != 'option') for e in entries] == [
        {'node': 'pve1', 'path': '2-1', 'id': '0781:5583'}, {'node': 'pve2', 'id': '1050:0407'}]


def test_map_entries_compare_as_a_set_with_ids_case_free():
    normalize = KIND.fields()['map'].normalize
    assert normalize(['id=1050:0407,node=pve1', 'id=0781:5583,node=pve1,path=2-1']) == normalize(
        [{'node': 'pve1', 'path': '2-1', 'id': '0781:5583'}, {'node': 'pve1', 'id': '1050:0407'.upper()}])


def test_entries_need_an_id_or_a_path_once_per_node():
    with pytest.raises(ValidationError) as err:
        desired_entries([{'node': 'pve1'}], None, NoHardware())
    assert 'give the device as id' in str(err.value)
    with pytest.raises(ValidationError) as err:
        desired_entries([{'node': 'pve1', 'id': '1050:0407'}, {'node': 'pve1', 'id': '1050:0407'}], None,
                        NoHardware())
    assert 'listed twice for node pve1' in str(err.value)


def test_inventory_config_parses_devices_and_keeps_free_text():
    config = {'description': 'a=b,c=d\nnet0: virtio', 'tags': 'web;Prod', 'cores': '4', 'memory': '4096',
              'net0': 'virtio=BC:24:11:00:00:01,bridge=vmbr0,tag=10', 'agent': '1,fstrim_cloned_disks=1',
              'ipconfig0': 'ip=dhcp', 'cipassword': 'x', 'digest': 'abc', 'scsi0': 'local-lvm:vm-1-disk-0,size=8G'}
    view = inventory_config('qemu', config)
    assert view == {'description': 'a=b,c=d\nnet0: virtio', 'tags': ['prod', 'web'], 'cores': 4, 'memory': 4096,
                    'net0': {'model': 'virtio', 'macaddr': 'BC:24:11:00:00:01', 'bridge': 'vmbr0', 'tag': '10'},
                    'agent': {'enabled': '1', 'fstrim_cloned_disks': '1'}, 'ipconfig0': {'ip': 'dhcp'},
                    'cipassword': '********', 'scsi0': 'local-lvm:vm-1-disk-0,size=8G'}
    assert inventory_config('qemu', {'memory': 'current=2048'})['memory'] == 2048
    ct = inventory_config('lxc', {'net0': 'name=eth0,bridge=vmbr0,ip=dhcp', 'memory': 512, 'agent': 'x'})
    assert ct == {'net0': {'name': 'eth0', 'bridge': 'vmbr0', 'ip': 'dhcp'}, 'memory': 512, 'agent': 'x'}
