"""The pure logic of pve_vm's disks of issue 15: import_from, CD/DVD drives and the drive options, planned from a
config without a cluster."""

import pytest

from ansible_collections.iac.proxmox.plugins.module_utils._dev_disk import DRIVE_FIELD, IMPORT_SOURCE, plan_import_size
from ansible_collections.iac.proxmox.plugins.module_utils._diff import Field, compare
from ansible_collections.iac.proxmox.plugins.module_utils._errors import ValidationError
from ansible_collections.iac.proxmox.plugins.module_utils._plan import ConfigPlan
from ansible_collections.iac.proxmox.plugins.module_utils._vmspec import VmSpec

GIB = 1024 ** 3
IMAGE = 'local:import/debian-12-genericcloud.qcow2'
ISO = 'local:iso/debian-12-netinst.iso'
CURRENT = {'scsi0': 'local-lvm:vm-100-disk-0,size=8G', 'ide2': 'local-lvm:vm-100-cloudinit,media=cdrom',
           'sata0': 'none,media=cdrom'}


def plan_for(disks, current=None, import_sizes=None):
    spec = VmSpec.from_params({'disks': disks})
    spec.import_sizes = import_sizes or {}
    current = CURRENT if current is None else current
    plan = spec.plan(current, creating=False)
    return plan, compare(plan.desired, current, plan.fields())


def refused(disks, current=None):
    with pytest.raises(ValidationError) as err:
        plan_for(disks, current)
    return str(err.value)


@pytest.mark.parametrize('source', [IMAGE, 'local:import/disk.raw', 'nfs.01:import/a.vmdk', 'local-lvm:vm-100-disk-0',
                                    'local-lvm:base-9000-disk-2', 'nfs.01:9000/vm-9000-disk-0.qcow2'])
def test_import_sources_pve_takes(source):
    assert IMPORT_SOURCE.match(source)


@pytest.mark.parametrize('source', ['/root/disk.qcow2', 'local:iso/x.iso', 'local:import/x.iso', 'import/x.qcow2',
                                    'local:import/../x.qcow2'])
def test_import_sources_refused(source):
    assert not IMPORT_SOURCE.match(source)


def test_import_from_on_a_new_slot_is_pves_import_syntax():
    plan, delta = plan_for([{'slot': 'scsi1', 'import_from': IMAGE, 'storage': 'local-lvm', 'size': '20G'}])
    assert delta.set['scsi1'] == 'local-lvm:0,import-from=' + IMAGE
    assert plan.imports == [('scsi1', IMAGE, 20 * GIB, 'disks[0]')] and plan.new_volumes == ['scsi1']
    assert plan.resizes == []  # the image's size is not known yet
    plan, _delta = plan_for([{'slot': 'scsi1', 'import_from': IMAGE, 'storage': 'local-lvm', 'size': '20G'}],
                            import_sizes={IMAGE: 2 * GIB})
    assert plan.resizes == [('scsi1', 20 * GIB, 2 * GIB)]


def test_import_from_on_an_existing_slot_is_nothing_to_do():
    plan, delta = plan_for([{'slot': 'scsi0', 'import_from': IMAGE, 'storage': 'local-lvm'}])
    assert not delta.changed and plan.imports == []


def test_import_size_grows_or_is_refused():
    plan = ConfigPlan(lambda key: Field())
    plan_import_size(plan, 'scsi0', 'disks[0]', None, 2 * GIB, IMAGE)
    plan_import_size(plan, 'scsi0', 'disks[0]', 2 * GIB, 2 * GIB, IMAGE)
    assert plan.resizes == []
    plan_import_size(plan, 'scsi0', 'disks[0]', 4 * GIB, 2 * GIB, IMAGE)
    plan_import_size(plan, 'scsi0', 'disks[0]', 4 * GIB, 2 * GIB, IMAGE)  # once per slot
    assert plan.resizes == [('scsi0', 4 * GIB, 2 * GIB)]
    with pytest.raises(ValidationError) as err:
        plan_import_size(plan, 'scsi1', 'disks[1]', GIB, 2 * GIB, IMAGE)
    assert 'is smaller than the image {0} it is imported from (2G)'.format(IMAGE) in str(err.value)


def test_cdrom_entries_are_their_own_kind():
    plan, delta = plan_for([{'slot': 'ide0', 'media': 'cdrom', 'iso': ISO}, {'slot': 'sata0', 'media': 'cdrom',
                                                                             'iso': ISO}])
    assert delta.set == {'ide0': ISO + ',media=cdrom', 'sata0': ISO + ',media=cdrom'}
    assert plan.isos == [('ide0', ISO, 'disks[0]'), ('sata0', ISO, 'disks[1]')]
    # The same ISO with PVE's size=: no change, nothing to check.
    plan, delta = plan_for([{'slot': 'sata0', 'media': 'cdrom', 'iso': ISO}],
                           current={'sata0': ISO + ',media=cdrom,size=600M'})
    assert not delta.changed and plan.isos == []
    plan, delta = plan_for([{'slot': 'sata0', 'media': 'cdrom', 'iso': 'none'}],
                           current={'sata0': ISO + ',media=cdrom,size=600M'})
    assert delta.set == {'sata0': 'none,media=cdrom'}


def test_disks_and_cdroms_do_not_mix():
    assert 'holds a disk' in refused([{'slot': 'scsi0', 'media': 'cdrom', 'iso': ISO}])
    assert 'holds the cloud-init drive' in refused([{'slot': 'ide2', 'media': 'cdrom'}])
    assert 'holds a CD/DVD drive or the cloud-init drive, not a disk' in refused([{'slot': 'sata0', 'ssd': True}])
    assert 'is listed twice' in refused([{'slot': 'sata1', 'media': 'cdrom'}, {'slot': 'sata1', 'size': '1G',
                                                                               'storage': 'local-lvm'}])
    assert 'is a disk option' in refused([{'slot': 'sata1', 'media': 'cdrom', 'cache': 'none'}])
    assert 'is an option of CD/DVD drives' in refused([{'slot': 'sata1', 'iso': ISO}])


def test_drive_options_compare_as_pve_stores_them():
    norm = DRIVE_FIELD.norm
    assert norm('local-lvm:vm-1-disk-0,mbps_rd=100,iops_rd=0,ro=0,snapshot=0,replicate=1') == \
        norm('local-lvm:vm-1-disk-0,mbps_rd=100.0')
    assert norm('local-lvm:vm-1-disk-0,ro=1') != norm('local-lvm:vm-1-disk-0')
    plan, delta = plan_for([{'slot': 'scsi0', 'mbps_rd': 100.0, 'iops_wr': 20, 'ro': True, 'replicate': False}])
    assert delta.set['scsi0'] == 'local-lvm:vm-100-disk-0,iops_wr=20,mbps_rd=100,replicate=0,ro=1,size=8G'
    _plan, delta = plan_for([{'slot': 'scsi0', 'mbps_rd': 100, 'ro': True}],
                            current={'scsi0': 'local-lvm:vm-100-disk-0,mbps_rd=100,ro=1,size=8G'})
    assert not delta.changed


@pytest.mark.parametrize('disk, message', [
    ({'slot': 'sata1', 'ro': True}, 'is not an option of sata drives'),
    ({'slot': 'ide1', 'ro': False}, 'is not an option of ide drives'),
    ({'slot': 'virtio1', 'wwn': '0x0123456789abcdef'}, 'is not an option of virtio drives'),
    ({'slot': 'scsi1', 'wwn': '0x0123'}, 'is not a worldwide name'),
    ({'slot': 'scsi1', 'serial': 'with space'}, 'is not a drive serial'),
    ({'slot': 'scsi1', 'serial': '%41' * 21}, 'is not a drive serial'),
    ({'slot': 'scsi1', 'iops_rd_max': -5}, 'must be 0 (no limit) or more'),
])
def test_drive_options_pve_refuses(disk, message):
    assert message in refused([disk])


def test_a_twenty_byte_url_encoded_serial_is_fine():
    _plan, delta = plan_for([{'slot': 'scsi0', 'serial': '%41' * 20}])
    assert 'serial=' + '%41' * 20 in delta.set['scsi0']
