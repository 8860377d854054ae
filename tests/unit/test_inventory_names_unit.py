"""The inventory's host names (_info.inventory_host_names): one host per guest, also when PVE lets guests share a
name (qemu-server and pve-container accept any DNS name without checking other guests)."""

from ansible_collections.iac.proxmox.plugins.module_utils._info import inventory_host_names


def guest(vmid, name=None):
    return {'vmid': vmid, 'name': name}


def test_unique_names_name_the_hosts():
    assert inventory_host_names([guest(100, 'web'), guest(101, 'db'), guest(102)]) == (
        {'100': 'web', '101': 'db', '102': '102'}, [])


def test_a_shared_name_gives_each_guest_its_vmid_and_a_warning():
    hosts, warnings = inventory_host_names([guest(120, 'web'), guest(121, 'web'), guest(122, 'db')])
    assert hosts == {'120': '120', '121': '121', '122': 'db'}
    assert warnings == ['the name web stands for several guests (VMIDs 120, 121); they are named by their VMID '
                        'instead. Give each guest a name of its own, or set hostname: vmid']


def test_a_name_that_is_another_guests_vmid():
    # VM 120 has no name (so its host is 120); CT 130 is named "120".
    hosts, warnings = inventory_host_names([guest(120), guest(130, '120')])
    assert hosts == {'120': '120', '130': '130'}
    assert warnings == ['the name 120 stands for several guests (VMIDs 120, 130); guest 130 is named by its VMID '
                        'instead. Give each guest a name of its own, or set hostname: vmid']


def test_a_fallback_that_meets_a_name_falls_back_again():
    # 120 and 121 share "web"; 121's VMID is the name of CT 130, which then falls back to 130 as well.
    hosts, warnings = inventory_host_names([guest(120, 'web'), guest(121, 'web'), guest(130, '121')])
    assert hosts == {'120': '120', '121': '121', '130': '130'}
    assert len(warnings) == 2 and len(set(hosts.values())) == 3


def test_by_vmid_never_warns():
    assert inventory_host_names([guest(120, 'web'), guest(121, 'web')], by_name=False) == (
        {'120': '120', '121': '121'}, [])
