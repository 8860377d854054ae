"""The lab's containers and guest creation behave as PVE's sources say (issue 12, part lxc)."""

import time

import pytest

from ansible_collections.iac.proxmox.plugins.module_utils._client import PveClient
from labtools import add_privileged_template, error_of


def test_unprivileged_is_read_only_after_creation(lab, api):
    """pve-container src/PVE/LXC/Config.pm update_pct_config: `unprivileged` cannot be set or deleted on an
    existing container ("unable to modify read-only option: 'unprivileged'"); `arch` and `ostype` can be
    changed (ostype only not deleted: "unable to delete required option 'ostype'"). A clone
    (src/PVE/API2/LXC.pm clone_vm) copies the source's config, so a privileged source gives a privileged clone."""
    add_privileged_template(lab)
    api.post('/nodes/pve1/lxc/910/clone', newid=911, hostname='priv-clone', full=1)
    clone = api.get('/nodes/pve1/lxc/911/config')
    assert 'unprivileged' not in clone
    assert error_of(api.put, '/nodes/pve1/lxc/911/config', unprivileged=1).message == \
        "unable to modify read-only option: 'unprivileged'"
    assert error_of(api.put, '/nodes/pve1/lxc/911/config', unprivileged=0).message == \
        "unable to modify read-only option: 'unprivileged'"
    assert 'unprivileged' not in api.get('/nodes/pve1/lxc/911/config')
    assert error_of(api.put, '/nodes/pve1/lxc/911/config', delete='ostype').message == \
        "unable to delete required option 'ostype'"
    api.put('/nodes/pve1/lxc/911/config', arch='arm64', ostype='ubuntu')
    config = api.get('/nodes/pve1/lxc/911/config')
    assert config['arch'] == 'arm64' and config['ostype'] == 'ubuntu'


def pool_token(lab, api, pool='team'):
    """A token whose only guest ACL is on /pool/<pool> (plus the storages and the bridges)."""
    api.post('/pools', poolid=pool)
    lab.pve.apitokens['auto@pve!pool'] = 'pool-secret'
    lab.pve.grant('auto@pve', '/pool/' + pool, 'VM.Allocate', 'VM.Audit', 'VM.Config.Disk', 'VM.Config.CPU',
                  'VM.Config.Memory', 'VM.Config.Options', 'VM.Config.Network', 'VM.Config.HWType',
                  'VM.Config.Cloudinit', 'VM.PowerMgmt')
    lab.pve.grant('auto@pve', '/storage', 'Datastore.AllocateSpace', 'Datastore.Audit')
    lab.pve.grant('auto@pve', '/sdn', 'SDN.Use')
    conn = lab.connection()
    return PveClient(conn['api_host'], 'auto@pve', token_id='pool', token_secret='pool-secret',
                     port=conn['api_port'], ca_path=conn['ca_path'])


@pytest.mark.parametrize('kind', ['qemu', 'lxc'])
def test_permission_is_checked_before_the_guest_is_looked_up(lab, api, kind):
    """pve-manager PVE/HTTPServer.pm rest_handler runs check_api2_permissions before the handler, and
    status/current and pending check ['perm', '/vms/{vmid}', ['VM.Audit']] (qemu-server src/PVE/API2/Qemu.pm
    vm_status, pve-container src/PVE/API2/LXC/Status.pm); pve-access-control src/PVE/RPCEnvironment.pm check
    raises 'Permission check failed (/vms/<vmid>, VM.Audit)'. A VMID the user may not see, existing or not,
    is a 403; only a user who may see it learns that it does not exist."""
    pooled = pool_token(lab, api)
    for suffix in ('status/current', 'pending', 'config'):
        path = '/nodes/pve1/{0}/4242/{1}'.format(kind, suffix)
        denied = error_of(pooled.get, path)
        assert (denied.status, denied.message) == (403, 'Permission check failed (/vms/4242, VM.Audit)')
        missing = error_of(api.get, path)
        assert missing.status == 500 and 'does not exist' in missing.message
    assert error_of(pooled.get, '/nodes/pve1/qemu/9000/status/current').status == 403  # exists, not in the pool


def test_create_in_a_pool_needs_the_pool_named(lab, api):
    """qemu-server src/PVE/API2/Qemu.pm create_vm: VM.Allocate on /vms/<vmid>, or on /pool/<pool> when `pool` is
    given ("You need 'VM.Allocate' permissions on /vms/{vmid} or on the VM pool /pool/{pool}"); the new VM joins
    the pool (PVE::AccessControl::add_vm_to_pool), so the pool's ACL then covers /vms/<vmid>."""
    pooled = pool_token(lab, api)
    assert error_of(pooled.post, '/nodes/pve1/qemu', vmid=4242, name='no-pool', memory=512).status == 403
    pooled.post('/nodes/pve1/qemu', vmid=4242, name='in-pool', memory=512, pool='team')
    assert pooled.get('/nodes/pve1/qemu/4242/status/current')['name'] == 'in-pool'
    assert [g['vmid'] for g in pooled.get('/cluster/resources', type='vm')] == [4242]


@pytest.mark.lab(time_scale=0.05)
def test_lxc_config_put_allocating_a_mount_point_is_synchronous(lab, api):
    """pve-container src/PVE/API2/LXC/Config.pm update_vm: no worker task; under lock_config it calls
    PVE::LXC::Config->update_pct_config -> vmconfig_apply_pending -> apply_pending_mountpoint ->
    PVE::LXC::create_disks, so the PUT answers only once the volume is allocated (null, no UPID). Meanwhile
    the config file lock is held: another config write waits for it."""
    lab.pve.mount_alloc_secs = 40  # 2 real seconds at time_scale 0.05
    lab.pve.add_ct(930, 'slow-mp', node='pve1')
    started = time.monotonic()
    assert api.put('/nodes/pve1/lxc/930/config', mp0='local-lvm:1,mp=/data') is None
    took = time.monotonic() - started
    assert took >= 40 * 0.05
    config = api.get('/nodes/pve1/lxc/930/config')
    assert config['mp0'].startswith('local-lvm:vm-930-disk-') and 'size=1G' in config['mp0']
    started = time.monotonic()
    api.put('/nodes/pve1/lxc/930/config', memory=1024)  # no new volume: no allocation time
    assert time.monotonic() - started < 40 * 0.05


def test_linked_clone_of_a_container_needs_the_storage_feature(lab, api):
    """pve-container src/PVE/API2/LXC.pm clone_vm: a linked clone (the default for a template) asks pve-storage
    volume_has_feature('clone', ..., { valid_target_formats => ['raw', 'subvol'] }) for each rootfs/mpN volume in
    sorted key order, and dies `Linked clone feature for '<volid>' is not available`. pve-storage
    src/PVE/Storage/Plugin.pm volume_has_feature answers 0 without qcow2 among the target formats (its clone_image
    makes qcow2), for dir, NFS and CIFS alike (LVMPlugin has no clone at all); LvmThinPlugin clones a base volume.
    The refusal comes before anything is made: no new container, the source's disk lock released."""
    config = {'hostname': 'nfs-tmpl', 'memory': 512, 'swap': 512, 'ostype': 'debian', 'arch': 'amd64',
              'rootfs': 'nfs.01:940/base-940-disk-0.raw,size=8G', 'mp0': 'local-lvm:base-940-disk-1,mp=/srv,size=2G'}
    lab.pve.add_ct(940, 'nfs-tmpl', node='pve1', config=config, template=True, defaults=False)
    # mp0 (LVM-thin) sorts before rootfs and passes; rootfs on NFS is refused.
    err = error_of(api.post, '/nodes/pve1/lxc/940/clone', newid=941, hostname='linked')
    assert err.status == 500
    assert err.message == "Linked clone feature for 'nfs.01:940/base-940-disk-0.raw' is not available"
    assert lab.pve.ct(941) is None and lab.pve.ct(940).lock is None
    # mp0 on NFS sorts first: it is the volume named.
    lab.pve.ct(940).config.update(mp0='nfs.01:940/base-940-disk-1.raw,mp=/srv,size=2G',
                                  rootfs='local-lvm:base-940-disk-0,size=8G')
    err = error_of(api.post, '/nodes/pve1/lxc/940/clone', newid=941, hostname='linked', full=0)
    assert err.message == "Linked clone feature for 'nfs.01:940/base-940-disk-1.raw' is not available"
    # A full clone of the same template is made, and an LVM-thin template still clones linked.
    api.wait_task(api.post('/nodes/pve1/lxc/940/clone', newid=942, hostname='full-copy', full=1))
    assert api.get('/nodes/pve1/lxc/942/config')['hostname'] == 'full-copy'
    lab.pve.ct(940).config['mp0'] = 'local-lvm:base-940-disk-1,mp=/srv,size=2G'
    api.wait_task(api.post('/nodes/pve1/lxc/940/clone', newid=943, hostname='linked'))
    assert api.get('/nodes/pve1/lxc/943/config')['rootfs'].startswith('local-lvm:vm-943-disk-')


def test_linked_clone_of_a_container_snapshot_on_lvm_thin(lab, api):
    """pve-container src/PVE/API2/LXC.pm clone_vm asks volume_has_feature('clone', $volid, $snapname, ...); with a
    snapname pve-storage src/PVE/Storage/LvmThinPlugin.pm volume_has_feature looks under `snap` (`clone => { base
    => 1, snap => 1 }`), so a snapshot of a container that is no template is cloned linked; without snapname its
    current volume is no base and is refused (`Linked clone feature for '<volid>' is not available`)."""
    lab.pve.add_ct(944, 'thin-ct', node='pve1', config={'rootfs': 'local-lvm:vm-944-disk-0,size=8G'})
    api.wait_task(api.post('/nodes/pve1/lxc/944/snapshot', snapname='s1'))
    err = error_of(api.post, '/nodes/pve1/lxc/944/clone', newid=945, hostname='linked', full=0)
    assert err.message == "Linked clone feature for 'local-lvm:vm-944-disk-0' is not available"
    api.wait_task(api.post('/nodes/pve1/lxc/944/clone', newid=945, hostname='linked', full=0, snapname='s1'))
    assert api.get('/nodes/pve1/lxc/945/config')['rootfs'].startswith('local-lvm:vm-945-disk-')
