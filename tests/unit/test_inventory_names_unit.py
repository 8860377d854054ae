"""The inventory's host names (_info.inventory_host_names): one host never stands for two guests, also when PVE
lets guests share a name (qemu-server and pve-container check a name's format only, not other guests')."""

from ansible_collections.iac.proxmox.plugins.module_utils._info import inventory_host_names


def guest(vmid, name=None):
    return {'vmid': vmid, 'name': name}


def test_unique_names_name_the_hosts():
    assert inventory_host_names([guest(100, 'web'), guest(101, 'db'), guest(102)]) == (
        {'100': 'web', '101': 'db', '102': '102'}, [])


def test_guests_sharing_a_name_are_left_out_with_a_warning():
    hosts, warnings = inventory_host_names([guest(121, 'web'), guest(120, 'web'), guest(122, 'db')])
    assert hosts == {'122': 'db'}
    assert warnings == ['web stands for several guests (VMIDs 120, 121), so none of them is an inventory host. '
                        'Give each guest a name of its own, or set hostname: vmid']


def test_a_name_that_is_the_vmid_of_a_guest_without_a_name():
    hosts, warnings = inventory_host_names([guest(120), guest(130, '120'), guest(131, 'x')])
    assert hosts == {'131': 'x'}
    assert warnings[0].startswith('120 stands for several guests (VMIDs 120, 130)')


def test_by_vmid_lists_every_guest():
    assert inventory_host_names([guest(120, 'web'), guest(121, 'web')], by_name=False) == (
        {'120': '120', '121': '121'}, [])
