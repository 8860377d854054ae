"""The lab's cloud-init drive allocation, as PVE does it (issue 15)."""


def test_a_new_cloudinit_drive_is_named_after_the_vm(lab, api):
    """qemu-server src/PVE/API2/Qemu.pm create_disks: `<storage>:cloudinit` in a config update or a create is
    allocated as vm-<vmid>-cloudinit (with `.qcow2` on a storage with a path), media=cdrom, so
    PUT .../cloudinit finds the drive."""
    lab.pve.add_vm(171, 'ci', node='pve1')
    api.post('/nodes/pve1/qemu/171/config', ide2='local-lvm:cloudinit,media=cdrom')
    assert lab.pve.vm(171).config['ide2'] == 'local-lvm:vm-171-cloudinit,media=cdrom'
    assert 'vm-171-cloudinit' in lab.pve.storages['local-lvm']['volumes']
    api.put('/nodes/pve1/qemu/171/cloudinit')
    api.post('/nodes/pve1/qemu', vmid=172, name='ci2', ide2='local:cloudinit')
    assert lab.pve.vm(172).config['ide2'] == 'local:172/vm-172-cloudinit.qcow2,media=cdrom'
