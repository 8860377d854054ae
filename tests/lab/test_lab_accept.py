"""The lab where the acceptance suite relies on it: a full clone onto another storage takes every volume there."""

from ansible_collections.iac.proxmox.plugins.module_utils._client import PveClient


def client(lab):
    conn = lab.connection()
    return PveClient(conn['api_host'], conn['api_user'], token_id=conn['api_token_id'],
                     token_secret=conn['api_token_secret'], port=conn['api_port'], ca_path=conn['ca_path'])


def test_full_clone_with_storage_puts_the_cloudinit_drive_there_too(lab):
    """qemu-server PVE/API2/Qemu.pm clone_vm puts a cloud-init drive in $fullclone whatever `full` says, and
    PVE/QemuServer.pm clone_disk allocates it on `$storage || $src_storeid` as vm-<newid>-cloudinit, with
    `.<format>` on path-based storages (resolve_dst_disk_format keeps the source's raw). So a template built by
    a full clone onto shared storage has no volume left on local storage (clone_vm's check_storage_access_clone
    counts cloud-init and CD-ROM volumes too)."""
    api = client(lab)
    api.wait_task(api.post('/nodes/pve1/qemu/9000/clone', newid=150, name='shared-copy', full=1, storage='nfs.01'))
    config = api.get('/nodes/pve1/qemu/150/config')
    assert config['ide2'] == 'nfs.01:150/vm-150-cloudinit.raw,media=cdrom'
    volume = lab.pve.storages['nfs.01']['volumes']['150/vm-150-cloudinit.raw']
    assert volume['vmid'] == 150 and volume['format'] == 'raw'
    assert 'vm-150-cloudinit' not in lab.pve.storages['local-lvm'].get('volumes', {})
    drives = [v.split(',')[0] for k, v in config.items() if k in ('efidisk0', 'tpmstate0', 'scsi0', 'ide2')]
    assert len(drives) == 4 and all(d.startswith('nfs.01:') for d in drives), drives
    # Without `storage`, the drive stays on the source's storage (a block storage: no format suffix).
    api.wait_task(api.post('/nodes/pve1/qemu/9000/clone', newid=151, name='local-copy', full=1))
    assert api.get('/nodes/pve1/qemu/151/config')['ide2'] == 'local-lvm:vm-151-cloudinit,media=cdrom'
