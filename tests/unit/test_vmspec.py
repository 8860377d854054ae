"""VM spec normalization: options checked on their own, merged into a current config, compared."""

import pytest

from ansible_collections.iac.proxmox.plugins.module_utils._diff import ABSENT, DiffError, compare
from ansible_collections.iac.proxmox.plugins.module_utils._errors import ValidationError
from ansible_collections.iac.proxmox.plugins.module_utils._checks import as_memory
from ansible_collections.iac.proxmox.plugins.module_utils._dev_cloudinit import as_sshkeys, encode_sshkeys
from ansible_collections.iac.proxmox.plugins.module_utils._dev_disk import drive_slots
from ansible_collections.iac.proxmox.plugins.module_utils._vmspec import FIELDS, VmSpec, clone_preview, field_for

CURRENT = {
    'name': 'web-01', 'cores': '2', 'memory': '2048', 'bios': 'ovmf', 'tags': 'prod;web', 'agent': '1',
    'scsi0': 'local-lvm:vm-100-disk-0,discard=on,iothread=1,size=8G,ssd=1',
    'ide2': 'local-lvm:vm-100-cloudinit,media=cdrom',
    'efidisk0': 'local-lvm:vm-100-disk-1,efitype=4m,pre-enrolled-keys=1,size=528K',
    'tpmstate0': 'local-lvm:vm-100-disk-2,size=4M,version=v2.0',
    'net0': 'virtio=BC:24:11:00:00:01,bridge=vmbr0,firewall=1',
    'sshkeys': encode_sshkeys(['ssh-ed25519 AAAA a@b']),
}


def params(**kw):
    base = dict.fromkeys(('vmid', 'name', 'cores', 'sockets', 'memory', 'balloon', 'cpu', 'machine', 'bios', 'ostype',
                          'agent', 'tags', 'description', 'onboot', 'protection', 'boot', 'scsihw', 'vga', 'disks',
                          'efidisk', 'tpm', 'nets', 'cloudinit'))
    base.update(kw)
    return base


def plan_for(current=None, creating=False, **kw):
    current = CURRENT if current is None else current
    spec = VmSpec.from_params(params(**kw))
    plan = spec.plan(current, creating=creating)
    return plan, compare(plan.desired, current, plan.fields())


def test_equal_spec_is_no_change():
    plan, delta = plan_for(cores=2, memory='2G', tags=['WEB', 'prod'], agent=True, bios='ovmf',
                           disks=[{'slot': 'scsi0', 'size': '8G', 'discard': True, 'ssd': True, 'iothread': True,
                                   'backup': True}],
                           nets=[{'slot': 'net0', 'bridge': 'vmbr0', 'firewall': True, 'model': 'virtio'}],
                           efidisk={'efitype': '4m', 'pre_enrolled_keys': True}, tpm={'version': 'v2.0'},
                           cloudinit={'ssh_keys': ['ssh-ed25519  AAAA a@b']})
    assert not delta.changed, delta.params()
    assert plan.resizes == [] and plan.moves == []


def test_nic_merge_keeps_mac_and_unlisted_options():
    _plan, delta = plan_for(nets=[{'slot': 'net0', 'tag': 20, 'link_down': True}])
    assert delta.set == {'net0': 'virtio=BC:24:11:00:00:01,bridge=vmbr0,firewall=1,link_down=1,tag=20'}
    _plan, delta = plan_for(nets=[{'slot': 'net0', 'model': 'e1000', 'tag': 0}])
    assert delta.set == {'net0': 'e1000=BC:24:11:00:00:01,bridge=vmbr0,firewall=1'}


def test_new_nic_and_new_disk():
    plan, delta = plan_for(nets=[{'slot': 'net1', 'bridge': 'vmbr1'}],
                           disks=[{'slot': 'scsi1', 'storage': 'nfs.01', 'size': '1536M', 'backup': False,
                                   'format': 'qcow2'}])
    assert delta.set['net1'] == 'virtio,bridge=vmbr1'
    assert delta.set['scsi1'] == 'nfs.01:1.5,backup=0,format=qcow2'
    assert plan.storages == {'nfs.01': 'disks[0].storage'} and plan.new_volumes == ['scsi1']


def test_disk_flags_default_to_absent_keys():
    _plan, delta = plan_for(disks=[{'slot': 'scsi0', 'discard': False, 'ssd': False, 'cache': 'writeback'}])
    assert delta.set == {'scsi0': 'local-lvm:vm-100-disk-0,cache=writeback,iothread=1,size=8G'}


def test_resize_grow_only_and_move():
    plan, _delta = plan_for(disks=[{'slot': 'scsi0', 'size': '20G', 'storage': 'nfs.01'}])
    assert plan.resizes == [('scsi0', 20 * 1024 ** 3, 8 * 1024 ** 3)]
    assert plan.moves == [('scsi0', 'nfs.01')]
    with pytest.raises(DiffError) as err:
        plan_for(disks=[{'slot': 'scsi0', 'size': '4G'}])
    assert 'disks can only grow' in err.value.message


def test_absent_slots_and_detached_volumes():
    plan, delta = plan_for(disks=[{'slot': 'scsi0', 'state': 'absent'}, {'slot': 'scsi5', 'state': 'absent'}],
                           tpm=False, nets=[{'slot': 'net0', 'state': 'absent'}])
    assert sorted(delta.delete) == ['net0', 'scsi0', 'tpmstate0']
    assert plan.detached == [('scsi0', 'local-lvm:vm-100-disk-0'), ('tpmstate0', 'local-lvm:vm-100-disk-2')]


def test_cdrom_slot_is_not_a_disk():
    with pytest.raises(ValidationError) as err:
        plan_for(disks=[{'slot': 'ide2', 'size': '4G'}])
    assert err.value.option == 'disks[0].slot'


def test_efi_and_tpm_attributes_are_create_time_only():
    with pytest.raises(DiffError):
        plan_for(efidisk={'pre_enrolled_keys': False})
    with pytest.raises(DiffError):
        plan_for(tpm={'version': 'v1.2'})
    plan, delta = plan_for(current={'bios': 'ovmf'}, efidisk={'storage': 'local-lvm'})
    assert delta.set == {'efidisk0': 'local-lvm:1,efitype=4m,pre-enrolled-keys=1'}
    with pytest.raises(ValidationError):
        plan_for(current={'bios': 'seabios'}, efidisk={'storage': 'local-lvm'})


def test_cloudinit_password_only_on_create_unless_always():
    _plan, delta = plan_for(current=dict(CURRENT, cipassword='**********'), cloudinit={'password': 'x'})
    assert 'cipassword' not in delta.set
    _plan, delta = plan_for(current=dict(CURRENT, cipassword='**********'),
                            cloudinit={'password': 'x', 'update_password': 'always'})
    assert delta.set['cipassword'] == 'x' and delta.after['cipassword'] == '******** (changed)'
    _plan, delta = plan_for(cloudinit={'password': 'x'})
    assert delta.set['cipassword'] == 'x'


def test_cloudinit_drive_is_added_when_missing():
    current = dict(CURRENT)
    del current['ide2']
    with pytest.raises(ValidationError) as err:
        plan_for(current=current, cloudinit={'user': 'admin'})
    assert err.value.option == 'cloudinit.storage'
    plan, delta = plan_for(current=current, cloudinit={'user': 'admin', 'storage': 'local-lvm'})
    assert delta.set['ide2'] == 'local-lvm:cloudinit,media=cdrom' and plan.cloudinit_keys == ['ciuser']


def test_ipconfig_slots():
    ipconfig = [{'ip': 'dhcp'}, {'slot': 'ipconfig3', 'ip': '10.0.0.2/24', 'gw': '10.0.0.1'}]
    _plan, delta = plan_for(cloudinit={'ipconfig': ipconfig})
    assert delta.set == {'ipconfig0': 'ip=dhcp', 'ipconfig3': 'gw=10.0.0.1,ip=10.0.0.2/24'}


def test_tags_and_boot_and_agent():
    _plan, delta = plan_for(tags=['prod', 'Db'], boot=['scsi0', 'net0'], agent={'fstrim_cloned_disks': True})
    assert delta.set == {'tags': 'db;prod', 'boot': 'order=scsi0;net0', 'agent': '1,fstrim_cloned_disks=1'}


@pytest.mark.parametrize('kw,option', [
    (dict(cores=0), 'cores'),
    (dict(cores=256, sockets=4), 'cores'),
    (dict(memory=8), 'memory'),
    (dict(memory='2G', balloon=4096), 'balloon'),
    (dict(cpu='host;rm'), 'cpu'),
    (dict(machine='q35\nx'), 'machine'),
    (dict(boot=['scsi0', 'floppy']), 'boot'),
    (dict(agent='maybe'), 'agent'),
    (dict(disks=[{'slot': 'scsi1'}, {'slot': 'scsi1'}]), 'disks[1].slot'),
    (dict(disks=[{'slot': 'scsi1', 'storage': 'local lvm', 'size': '1G'}]), 'disks[0].storage'),
    (dict(disks=[{'slot': 'scsi1', 'storage': 'local-lvm', 'size': '12'}]), 'disks[0].size'),
    (dict(nets=[{'slot': 'net0', 'tag': 5000}]), 'nets[0].tag'),
    (dict(nets=[{'slot': 'eth0'}]), 'nets[0].slot'),
    (dict(tpm={'version': 'v3'}), 'tpm.version'),
    (dict(tpm=True), 'tpm'),
    (dict(bios='seabios', efidisk={'storage': 'local-lvm'}), 'efidisk'),
    (dict(cloudinit={'ipconfig': [{'ip': 'dhcp', 'gw': '10.0.0.1'}]}), 'cloudinit.ipconfig[0].gw'),
    (dict(cloudinit={'ipconfig': [{'ip6': '10.0.0.1/24'}]}), 'cloudinit.ipconfig[0].ip6'),
    (dict(cloudinit={'nameserver': ['dns.example']}), 'cloudinit.nameserver[0]'),
    (dict(cloudinit={'ssh_keys': ['not a key']}), 'cloudinit.ssh_keys[0]'),
    (dict(cloudinit={'user': 'Root;'}), 'cloudinit.user'),
])
def test_bad_options_name_the_option(kw, option):
    with pytest.raises(ValidationError) as err:
        VmSpec.from_params(params(**kw)).plan(CURRENT, creating=False)
    assert err.value.option == option


def test_memory_forms():
    assert as_memory(4096) == as_memory('4096') == as_memory('4G') == as_memory('current=4096') == 4096


def test_sshkeys_round_trip_through_pve_encoding():
    keys = ['ssh-ed25519 AAAA+/= a@b', 'ssh-rsa BBBB c@d']
    encoded = encode_sshkeys(keys)
    assert set(encoded) <= set('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.!~*\'()%')
    assert as_sshkeys(encoded) == as_sshkeys(keys)


def test_clone_preview_moves_disks_to_the_target_storage():
    preview = clone_preview(dict(CURRENT, template=1, digest='x'), storage='nfs.01', name='copy')
    assert 'template' not in preview and preview['name'] == 'copy'
    assert preview['scsi0'].startswith('nfs.01:vm-100-disk-0,')
    assert preview['ide2'] == CURRENT['ide2']
    assert sorted(drive_slots(CURRENT)) == ['efidisk0', 'scsi0', 'tpmstate0']


def test_every_pve_key_has_one_field():
    assert field_for('memory') is FIELDS['memory']
    assert field_for('scsi12') is field_for('virtio3') is field_for('sata1')
    assert field_for('net7') is field_for('net0')
    delta = compare({'memory': 4096, 'onboot': False, 'protection': ABSENT}, {'memory': '4096'}, FIELDS)
    assert not delta.changed
