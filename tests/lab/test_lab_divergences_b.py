"""Lab behaviours the PVE audit found diverging (docs/pve-behaviour.md, closing summary), now as PVE has them.

Each test names the PVE source file and function whose behaviour it checks.
"""


from ansible_collections.iac.proxmox.plugins.module_utils._client import PveClient
from labtools import error_of, task_error_of


def client(lab, auth='token', user=None, token=None, secret=None, password=None):
    conn = lab.connection(auth='password' if auth == 'password' else 'token')
    if user:
        return PveClient(conn['api_host'], user, password=password, token_id=token, token_secret=secret,
                         port=conn['api_port'], ca_path=conn['ca_path'])
    if auth == 'password':
        return PveClient(conn['api_host'], 'root@pam', password=conn['api_password'], port=conn['api_port'],
                         ca_path=conn['ca_path'])
    return PveClient(conn['api_host'], conn['api_user'], token_id=conn['api_token_id'],
                     token_secret=conn['api_token_secret'], port=conn['api_port'], ca_path=conn['ca_path'])


def clone_golden(api, newid):
    api.wait_task(api.post('/nodes/pve1/qemu/9000/clone', newid=newid, full=1, name='copy{0}'.format(newid)))
    return api.get('/nodes/pve1/qemu/{0}/config'.format(newid))


def ops_user(lab, *grants):
    """A non-root user with a token, holding the given (path, privilege) grants."""
    lab.pve.apitokens['ops@pve!t'] = 'secret-ops'
    for path, priv in grants:
        lab.pve.grant('ops@pve', path, priv)
    return client(lab, user='ops@pve', token='t', secret='secret-ops')


# ---------------------------------------------------------------------- 1. hostpci permissions

def test_hostpci_permissions_as_check_hostpci_perm(lab, api):
    """qemu-server src/PVE/API2/Qemu.pm check_hostpci_perm: a raw host is root@pam's only, worded
    `for non-mapped devices` since qemu-server 8.0; a mapping needs Mapping.Use on it and VM.Config.HWType on
    the VM; `romfile` is root@pam's only (a 400 on the slot), mapping or not."""
    lab.pve.add_vm(402, 'pci', node='pve1')
    err = error_of(api.put, '/nodes/pve1/qemu/402/config', hostpci0='0000:01:00')
    assert err.status == 500 and err.message == "only root can set 'hostpci0' config for non-mapped devices"
    romfile = error_of(api.put, '/nodes/pve1/qemu/402/config', hostpci0='mapping=gpu,romfile=vbios.bin')
    assert romfile.status == 400 and romfile.errors == {'hostpci0': "only root@pam can set 'romfile' option"}
    assert 'hostpci0' not in lab.pve.vm(402).config
    ops = ops_user(lab, ('/mapping/pci/gpu', 'Mapping.Use'), ('/vms/402', 'VM.Audit'))
    hwtype = error_of(ops.put, '/nodes/pve1/qemu/402/config', hostpci0='mapping=gpu')
    assert hwtype.status == 403 and hwtype.message == 'Permission check failed (/vms/402, VM.Config.HWType)'
    lab.pve.grant('ops@pve', '/vms/402', 'VM.Config.HWType')
    ops.put('/nodes/pve1/qemu/402/config', hostpci0='mapping=gpu')
    assert lab.pve.vm(402).config['hostpci0'] == 'mapping=gpu'
    # root@pam itself (a password login) may do all of it.
    root = client(lab, auth='password')
    root.put('/nodes/pve1/qemu/402/config', hostpci1='0000:01:00,romfile=vbios.bin')
    assert lab.pve.vm(402).config['hostpci1'] == '0000:01:00,romfile=vbios.bin'


# ---------------------------------------------------------------------- 2. guest agent of a stopped VM

def test_guest_agent_of_a_stopped_vm_says_the_vm_is_not_running(lab, api):
    """qemu-server src/PVE/QemuServer/Agent.pm assert_agent_available: `No QEMU guest agent configured`
    without an `agent` key, then `VM <vmid> is not running`, then `QEMU guest agent is not running`."""
    clone_golden(api, 106)
    assert error_of(api.post, '/nodes/pve1/qemu/106/agent/ping').message == 'VM 106 is not running'
    lab.pve.add_vm(107, 'no-agent', node='pve1', status='running')
    assert error_of(api.post, '/nodes/pve1/qemu/107/agent/ping').message == 'No QEMU guest agent configured'


# ---------------------------------------------------------------------- 3. shutdown of a stopped VM

def test_shutdown_of_a_stopped_vm_is_a_task_that_ends_ok(lab, api):
    """qemu-server src/PVE/API2/Qemu.pm vm_shutdown forks a `qmshutdown` worker; src/PVE/QemuServer.pm
    vm_stop/_do_vm_stop returns when no process runs, before looking at the lock."""
    lab.pve.add_vm(120, 'off', node='pve1')
    upid = api.post('/nodes/pve1/qemu/120/status/shutdown')
    assert ':qmshutdown:120:' in upid
    api.wait_task(upid)
    assert lab.pve.vm(120).status == 'stopped'
    lab.pve.vm(120).lock = 'backup'
    api.wait_task(api.post('/nodes/pve1/qemu/120/status/shutdown'))


# ---------------------------------------------------------------------- 4. vzdump to a non-backup storage

def test_vzdump_to_a_storage_without_backup_content_fails_the_task(lab, api):
    """pve-manager PVE/API2/VZDump.pm vzdump checks permissions, then forks; PVE/VZDump.pm new adds
    `could not get storage information for '<s>': ` to storage_info's `can't use storage '<s>' for backups -
    wrong content type` and dies in the worker."""
    upid = api.post('/nodes/pve1/vzdump', vmid='9000', storage='local-lvm')
    assert task_error_of(api, upid) == ("could not get storage information for 'local-lvm': can't use storage "
                                        "'local-lvm' for backups - wrong content type")
    assert lab.pve.vm(9000).lock is None


# ---------------------------------------------------------------------- 5. config update leniency

def test_vm_config_update_checks_as_update_vm_api(lab, api):
    """qemu-server src/PVE/API2/Qemu.pm $update_vm_api: `no options specified`; an unknown key in `delete` is a
    400 on `delete`; balloon above memory (load_and_check_config); a NIC without a MAC gets one from the
    datacenter mac_prefix (default BC:24:11, PVE::QemuServer::Network parse_net) printed `model=MAC` first
    (print_net)."""
    lab.pve.add_vm(130, 'upd', node='pve1', config={'memory': 2048})
    assert error_of(api.put, '/nodes/pve1/qemu/130/config').message == 'no options specified'
    unknown = error_of(api.put, '/nodes/pve1/qemu/130/config', delete='nosuchkey')
    assert unknown.status == 400 and unknown.errors == {'delete': "unknown option 'nosuchkey'"}
    big = error_of(api.put, '/nodes/pve1/qemu/130/config', balloon=4096)
    assert big.status == 500 and big.message == 'balloon value too large (must be smaller than assigned memory)'
    assert error_of(api.put, '/nodes/pve1/qemu/130/config', memory=1024, balloon=2048).message == big.message
    api.put('/nodes/pve1/qemu/130/config', balloon=1024)
    api.put('/nodes/pve1/qemu/130/config', net1='bridge=vmbr0,model=virtio,firewall=1')
    net1 = lab.pve.vm(130).config['net1']
    assert net1.startswith('virtio=BC:24:11:') and net1.endswith(',bridge=vmbr0,firewall=1')
    mac = net1.split(',')[0].split('=')[1]
    assert len(mac.split(':')) == 6
    api.put('/nodes/pve1/qemu/130/config', net1='virtio={0},bridge=vmbr1'.format(mac))
    assert lab.pve.vm(130).config['net1'] == 'virtio={0},bridge=vmbr1'.format(mac)


# ---------------------------------------------------------------------- 6. containers with root's token

def test_root_token_may_not_change_feature_flags_or_bind_mount(lab, api):
    """pve-container src/PVE/LXC.pm check_ct_modify_config_perm: only the literal root@pam returns early; for
    anyone else (root's API tokens too, whatever ACLs exist) feature flags other than nesting and mount
    points that are not volumes are refused with raise_perm_exc."""
    lab.pve.add_ct(530, 'feat', node='pve1', config={
        'hostname': 'feat', 'memory': 512, 'unprivileged': 1, 'ostype': 'debian', 'features': 'keyctl=1,nesting=1',
        'rootfs': 'local-lvm:vm-530-disk-0,size=8G'})
    base = '/nodes/pve1/lxc/530/config'
    flags = error_of(api.put, base, features='nesting=1')
    assert flags.status == 403
    assert flags.message == ('Permission check failed (changing feature flags (except nesting) is only allowed for '
                             'root@pam)')
    assert error_of(api.put, base, delete='features').status == 403
    bind = error_of(api.put, base, mp0='/srv/shared-data,mp=/mnt/shared')
    assert bind.message == 'Permission check failed (mount point type bind is only allowed for root@pam)'
    api.put(base, features='keyctl=1,nesting=0')  # nesting alone: allowed (VM.Allocate)
    assert lab.pve.ct(530).config['features'] == 'keyctl=1,nesting=0'
    root = client(lab, auth='password')
    root.put(base, features='nesting=1', mp0='/srv/shared-data,mp=/mnt/shared')
    assert lab.pve.ct(530).config['features'] == 'nesting=1'
    assert lab.pve.ct(530).config['mp0'].startswith('/srv/shared-data')


# ---------------------------------------------------------------------- 7. container cpuunits

def test_container_cpuunits_is_stored_clamped(lab, api):
    """pve-container src/PVE/API2/LXC/Config.pm update_vm and src/PVE/API2/LXC.pm create_vm pass cpuunits
    through pve-common src/PVE/CGroup.pm clamp_cpu_shares before writing: on cgroup v2 10000 and up is
    stored as 10000."""
    lab.pve.add_ct(540, 'cpu', node='pve1', config={
        'hostname': 'cpu', 'memory': 512, 'unprivileged': 1, 'ostype': 'debian',
        'rootfs': 'local-lvm:vm-540-disk-0,size=8G'})
    api.put('/nodes/pve1/lxc/540/config', cpuunits=20000)
    assert str(lab.pve.ct(540).config['cpuunits']) == '10000'
    api.put('/nodes/pve1/lxc/540/config', cpuunits=9999)
    assert str(lab.pve.ct(540).config['cpuunits']) == '9999'


# ---------------------------------------------------------------------- 8. container resize to its size

def test_container_resize_to_the_current_size_is_refused(lab, api):
    """pve-container src/PVE/API2/LXC.pm resize_vm: `disk is already at specified size` (a VM's resize_vm in
    qemu-server returns without a change instead)."""
    lab.pve.add_ct(550, 'grow', node='pve1', config={
        'hostname': 'grow', 'memory': 512, 'unprivileged': 1, 'ostype': 'debian',
        'rootfs': 'local-lvm:vm-550-disk-0,size=8G'})
    api.wait_task(api.put('/nodes/pve1/lxc/550/resize', disk='rootfs', size='10G'))
    again = error_of(api.put, '/nodes/pve1/lxc/550/resize', disk='rootfs', size='10G')
    assert again.status == 500 and again.message == 'disk is already at specified size'


# ---------------------------------------------------------------------- 9. where VM checks run

def test_vm_resize_checks_run_in_the_task(lab, api):
    """qemu-server src/PVE/API2/Qemu.pm resize_vm: every check of $updatefn runs in the `resize` worker under
    the config lock (`shrinking disks is not supported`, `disk '<d>' does not exist`, a lock); a resize to the
    current size returns without a change."""
    config = clone_golden(api, 140)
    disk = [k for k in config if k.startswith('scsi') and 'size=' in config[k]][0]
    shrink = api.put('/nodes/pve1/qemu/140/resize', disk=disk, size='1G')
    assert task_error_of(api, shrink) == 'shrinking disks is not supported'
    missing = api.put('/nodes/pve1/qemu/140/resize', disk='scsi9', size='1G')
    assert task_error_of(api, missing) == "disk 'scsi9' does not exist"
    size = [p for p in config[disk].split(',') if p.startswith('size=')][0][5:]
    api.wait_task(api.put('/nodes/pve1/qemu/140/resize', disk=disk, size=size))
    assert api.get('/nodes/pve1/qemu/140/config')[disk] == config[disk]
    lab.pve.vm(140).lock = 'backup'
    assert task_error_of(api, api.put('/nodes/pve1/qemu/140/resize', disk=disk, size='+1G')) == 'VM is locked (backup)'


def test_vm_config_post_checks_digest_lock_and_balloon_before_the_task(lab, api):
    """qemu-server src/PVE/API2/Qemu.pm $update_vm_api: load_and_check_config(0) runs before fork_worker, so a
    stale digest, a lock or a balloon above memory is an HTTP error of the POST, not a failed task."""
    lab.pve.add_vm(150, 'post', node='pve1', config={'memory': 2048})
    stale = error_of(api.post, '/nodes/pve1/qemu/150/config', cores=2, digest='0' * 40)
    assert stale.status == 500 and stale.message == 'checksum mismatch (file change by other user?)'
    balloon = error_of(api.post, '/nodes/pve1/qemu/150/config', balloon=4096)
    assert balloon.message == 'balloon value too large (must be smaller than assigned memory)'
    lab.pve.vm(150).lock = 'backup'
    assert error_of(api.post, '/nodes/pve1/qemu/150/config', cores=2).message == 'VM is locked (backup)'
    lab.pve.vm(150).lock = None
    api.wait_task(api.post('/nodes/pve1/qemu/150/config', cores=2))
    assert str(lab.pve.vm(150).config['cores']) == '2'
