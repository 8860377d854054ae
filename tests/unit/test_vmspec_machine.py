"""The machine setting: PVE's format checked before any write, and a version PVE pinned kept (qemu-server
QemuServer/Machine.pm); the volumes a clone to another node needs on shared storage (API2/Qemu.pm clone_vm)."""

import pytest

from ansible_collections.iac.proxmox.plugins.module_utils._errors import ValidationError
from ansible_collections.iac.proxmox.plugins.module_utils._dev_disk import clone_volumes
from ansible_collections.iac.proxmox.plugins.module_utils._vmspec import check_machine, field_for, keep_machine_pin


@pytest.mark.parametrize('value, written', [
    ('q35', 'q35'), ('type=q35,viommu=intel', 'q35,viommu=intel'), ('i440fx', 'pc'), ('pc-i440fx-9.2', 'pc-i440fx-9.2'),
    ('pc-q35-10.0+pve1', 'pc-q35-10.0+pve1'), ('pc-q35-8.1.pxe', 'pc-q35-8.1.pxe'), ('virt', 'virt'),
    ('q35,enable-s3=1,aw-bits=48', 'q35,aw-bits=48,enable-s3=1'),
])
def test_machine_as_pve_writes_it(value, written):
    assert check_machine('machine', value) == written


@pytest.mark.parametrize('value, words', [
    ('x86', 'is not a machine type PVE knows'), ('q35,iommu=1', 'unknown machine keys iommu'),
    ('q35,viommu=amd', 'viommu must be intel or virtio'), ('q35\nx', 'is not a machine type'),
    ('q35,enable-s3=1;x', 'enable-s3 is not a number or a boolean'),
])
def test_bad_machine_names_the_option(value, words):
    with pytest.raises(ValidationError) as err:
        check_machine('machine', value)
    assert err.value.option == 'machine' and words in str(err.value)


@pytest.mark.parametrize('desired, current, wanted', [
    ('q35', 'pc-q35-10.0+pve1', 'pc-q35-10.0+pve1'),
    ('q35,viommu=intel', 'pc-q35-10.0+pve1', 'pc-q35-10.0+pve1,viommu=intel'),
    ('pc', 'pc-i440fx-10.0+pve1', 'pc-i440fx-10.0+pve1'),
    ('pc', 'pc-9.2', 'pc-9.2'),
    ('pc', 'pc-q35-10.0+pve1', 'pc'),
    ('q35', 'pc-i440fx-10.0+pve1', 'q35'),
    ('q35', 'pc-q35-10.0+pve1.pxe', 'q35'),
    ('pc-q35-9.2', 'pc-q35-10.0+pve1', 'pc-q35-9.2'),
    ('q35', None, 'q35'),
])
def test_a_pinned_version_satisfies_the_unversioned_type(desired, current, wanted):
    assert keep_machine_pin(desired, current) == wanted


def test_enable_s3_compares_as_a_boolean():
    field = field_for('machine')
    assert field.norm('q35,enable-s3=true') == field.norm('q35,enable-s3=1')


def test_clone_volumes_are_every_drive_with_a_volume():
    config = {'scsi0': 'local-lvm:base-9000-disk-2,size=8G', 'ide2': 'local-lvm:vm-9000-cloudinit,media=cdrom',
              'ide0': 'none,media=cdrom', 'ide1': 'cdrom,media=cdrom', 'sata0': 'local:iso/d.iso,media=cdrom',
              'efidisk0': 'nfs.01:9000/base-9000-disk-0.qcow2,efitype=4m', 'net0': 'virtio,bridge=vmbr0'}
    assert clone_volumes(config) == [('efidisk0', 'nfs.01:9000/base-9000-disk-0.qcow2'),
                                     ('ide2', 'local-lvm:vm-9000-cloudinit'), ('sata0', 'local:iso/d.iso'),
                                     ('scsi0', 'local-lvm:base-9000-disk-2')]
