"""Pure logic of the issue 15 VM device specs: smbios1 encoding, USB host spellings, the cloud-init merge of
cicustom and per-NIC ipconfig."""

import base64

import pytest

from ansible_collections.iac.proxmox.plugins.module_utils._dev_props import decode_smbios, encode_smbios
from ansible_collections.iac.proxmox.plugins.module_utils._dev_usb import FIELD as USB_FIELD, as_usb_host
from ansible_collections.iac.proxmox.plugins.module_utils._errors import ValidationError
from ansible_collections.iac.proxmox.plugins.module_utils._vmspec import VmSpec


def spec(**params):
    return VmSpec.from_params(params)


def test_smbios_is_encoded_like_pves_gui_and_decodes_both_ways():
    text = encode_smbios({'manufacturer': 'ACME, Inc.', 'uuid': 'abc'})
    assert text == 'base64=1,manufacturer={0},uuid=abc'.format(base64.b64encode(b'ACME, Inc.').decode())
    assert decode_smbios(text) == {'manufacturer': 'ACME, Inc.', 'uuid': 'abc'}
    assert decode_smbios('manufacturer=Dell,uuid=ABC') == {'manufacturer': 'Dell', 'uuid': 'abc'}
    assert encode_smbios({'uuid': 'abc'}) == 'uuid=abc'


def test_smbios_merge_keeps_the_uuid():
    plan = spec(smbios={'product': 'Box', 'state': 'present'}).plan({'smbios1': 'uuid=u-1'}, creating=False)
    assert decode_smbios(plan.desired['smbios1']) == {'product': 'Box', 'uuid': 'u-1'}


@pytest.mark.parametrize('given, normal', [('0x1050:0x0407', '1050:0407'), ('1050:0407', '1050:0407'),
                                           ('ABCD:EF01', 'abcd:ef01'), ('Spice', 'spice'), ('1-4.1', '1-4.1')])
def test_usb_hosts_compare_as_pve_reads_them(given, normal):
    assert as_usb_host(given) == normal
    assert USB_FIELD.norm('host={0},usb3=0'.format(given)) == USB_FIELD.norm(normal)


def test_usb_entry_switches_between_host_and_mapping():
    plan = spec(usb=[{'slot': 'usb0', 'mapping': 'keys'}]).plan({'usb0': 'host=1-2,usb3=1'}, creating=False)
    assert plan.desired['usb0'] == 'mapping=keys,usb3=1' and len(plan.checks) == 1
    same = spec(usb=[{'slot': 'usb0', 'mapping': 'keys'}]).plan({'usb0': 'mapping=keys'}, creating=False)
    assert same.checks == []


def test_cicustom_merges_and_checks_only_new_snippets():
    current = {'cicustom': 'user=local:snippets/u.yaml', 'ide2': 'local-lvm:vm-1-cloudinit,media=cdrom'}
    plan = spec(cloudinit={'custom': {'network': 'local:snippets/n.yaml', 'user': 'local:snippets/u.yaml'}}).plan(
        current, creating=False)
    assert plan.desired['cicustom'] == 'network=local:snippets/n.yaml,user=local:snippets/u.yaml'
    assert len(plan.checks) == 1 and 'cicustom' in plan.cloudinit_keys


def test_a_nic_ipconfig_merges_into_its_ipconfig():
    current = {'net1': 'virtio=BC:24:11:00:00:01,bridge=vmbr0', 'ipconfig1': 'ip=10.0.0.5/24,gw=10.0.0.1',
               'ide2': 'local-lvm:vm-1-cloudinit,media=cdrom'}
    plan = spec(nets=[{'slot': 'net1', 'ipconfig': {'ip6': 'auto'}}]).plan(current, creating=False)
    assert plan.desired['ipconfig1'] == 'gw=10.0.0.1,ip=10.0.0.5/24,ip6=auto'
    with pytest.raises(ValidationError, match='also given as cloudinit.ipconfig'):
        spec(nets=[{'slot': 'net1', 'ipconfig': {'ip': 'dhcp'}}], cloudinit={'ipconfig': [{'slot': '1', 'ip': 'dhcp'}]})
