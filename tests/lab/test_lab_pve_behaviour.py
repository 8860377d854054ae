"""Lab behaviour that already follows PVE's source but had no lab test (docs/pve-behaviour.md).

Each test names the PVE source file and function whose behaviour it checks. Only behaviours the lab
(fakepve plus tests/lab) models as PVE does are here; where the lab diverges, docs/pve-behaviour.md says
so in its lab column instead.
"""


from ansible_collections.iac.proxmox.plugins.module_utils._client import PveClient
from labtools import error_of, task_error_of


def clone_golden(api, newid, **extra):
    extra.setdefault('name', 'copy{0}'.format(newid))
    api.wait_task(api.post('/nodes/pve1/qemu/9000/clone', newid=newid, full=1, **extra))
    return api.get('/nodes/pve1/qemu/{0}/config'.format(newid))


# ---------------------------------------------------------------------- guests and identity

def test_cluster_resources_lists_guests_of_both_kinds(lab, api):
    """pve-manager PVE/API2/Cluster.pm resources, PVE/API2Tools.pm extract_vm_stats: type=vm lists qemu and
    lxc guests with a numeric vmid, name, node, type, status and template."""
    lab.pve.add_ct(300, 'ct-300', node='pve2')
    items = {i['vmid']: i for i in api.get('/cluster/resources', type='vm')}
    assert items[9000]['type'] == 'qemu' and items[9000]['node'] == 'pve1' and items[9000]['template'] == 1
    assert items[9000]['name'] == 'debian-12-golden' and items[9000]['status'] == 'stopped'
    assert items[300]['type'] == 'lxc' and items[300]['node'] == 'pve2'
    assert all(isinstance(i['vmid'], int) for i in items.values())


def test_missing_guest_names_the_config_file(api):
    """pve-guest-common src/PVE/AbstractConfig.pm load_config: a guest that is not on the node is
    `Configuration file 'nodes/<node>/qemu-server/<vmid>.conf' does not exist`."""
    err = error_of(api.get, '/nodes/pve2/qemu/9000/status/current')
    assert err.status == 500
    assert err.message == "Configuration file 'nodes/pve2/qemu-server/9000.conf' does not exist"


def test_node_storage_list_shape(api):
    """pve-storage src/PVE/API2/Storage/Status.pm index: each storage with `storage`, `type`, `content` (a
    comma list), `active`, `enabled` and `shared`."""
    stores = {s['storage']: s for s in api.get('/nodes/pve1/storage')}
    assert stores['local-lvm']['content'] == 'images,rootdir' and stores['nfs.01']['shared'] == 1
    assert all(set(('type', 'content', 'active', 'enabled', 'shared')) <= set(s) for s in stores.values())


def test_vmid_below_100_is_a_parameter_error(api):
    """pve-common src/PVE/JSONSchema.pm, standard option pve-vmid: an integer from 100 to 999999999."""
    err = error_of(api.get, '/cluster/nextid', vmid=99)
    assert err.status == 400 and 'vmid' in err.errors


def test_nextid_gives_the_lowest_free_id_and_refuses_a_taken_one(lab, api):
    """pve-manager PVE/API2/Cluster.pm nextid: the lowest free VMID from 100 (datacenter next-id), or the
    given VMID when it is free; a taken one is a 400 on vmid: `VM <vmid> already exists`."""
    assert int(api.get('/cluster/nextid')) == 100
    lab.pve.add_vm(100, 'taken', node='pve1')
    assert int(api.get('/cluster/nextid')) == 101
    assert int(api.get('/cluster/nextid', vmid=555)) == 555
    err = error_of(api.get, '/cluster/nextid', vmid=9000)
    assert err.status == 400 and err.errors == {'vmid': 'VM 9000 already exists'}


def test_create_with_a_taken_vmid_names_the_owner(lab, api):
    """qemu-server src/PVE/API2/Qemu.pm create_vm, pve-guest-common AbstractConfig.pm create_and_lock_config,
    pve-cluster Cluster.pm check_vmid_unused: before any task, `unable to create VM <vmid> - VM <vmid>
    already exists on node '<node>'` (CT for a container)."""
    err = error_of(api.post, '/nodes/pve2/qemu', vmid=9000, name='again')
    assert err.status == 500
    assert err.message == "unable to create VM 9000 - VM 9000 already exists on node 'pve1'"
    lab.pve.add_ct(300, 'ct-300', node='pve1')
    err = error_of(api.post, '/nodes/pve1/qemu', vmid=300, name='again')
    assert err.message == "unable to create VM 300 - CT 300 already exists on node 'pve1'"


def test_writes_need_quorum(lab, api):
    """pve-cluster src/PVE/Cluster.pm check_cfs_quorum: a node without quorum refuses writes with
    `cluster not ready - no quorum?`."""
    lab.pve.lose_quorum()
    err = error_of(api.put, '/nodes/pve1/qemu/9000/config', description='x')
    assert err.message == 'cluster not ready - no quorum?'
    assert api.get('/nodes/pve1/qemu/9000/config')['name'] == 'debian-12-golden'


def test_guest_on_an_offline_node_is_listed_unknown(lab, api):
    """pve-manager PVE/API2/Cluster.pm resources, PVE/API2Tools.pm extract_vm_stats: a guest whose node has
    no current status is listed with status `unknown`; the other nodes' guests are listed as usual."""
    lab.pve.add_ct(300, 'ct-300', node='pve2')
    lab.pve.set_node_offline('pve2')
    items = {i['vmid']: i for i in api.get('/cluster/resources', type='vm')}
    assert items[300]['status'] == 'unknown' and items[9000]['status'] == 'stopped'


def test_unknown_pool_is_refused(api):
    """pve-access-control src/PVE/RPCEnvironment.pm check_pool_exist (called by qemu-server
    API2/Qemu.pm clone_vm and create_vm): `Permission check failed (pool '<pool>' does not exist)`, a 403."""
    err = error_of(api.post, '/nodes/pve1/qemu/9000/clone', newid=125, name='pooled', pool='nopool')
    assert err.status == 403 and err.message == "Permission check failed (pool 'nopool' does not exist)"


# ---------------------------------------------------------------------- clone

def test_clone_gives_the_copy_a_new_identity(lab, api):
    """qemu-server src/PVE/API2/Qemu.pm clone_vm: every netN gets a new MAC, smbios1 a new uuid, vmgenid
    a new value (it was set); `template`, snapshot keys and unusedN are not copied; the rest is."""
    source = api.get('/nodes/pve1/qemu/9000/config')
    config = clone_golden(api, 120)
    assert config['name'] == 'copy120' and 'template' not in config
    assert config['net0'].startswith('virtio=BC:24:11:') and config['net0'] != source['net0']
    assert config['net0'].split(',', 1)[1] == source['net0'].split(',', 1)[1]
    assert config['smbios1'] != source['smbios1'] and config['vmgenid'] != source['vmgenid']
    for key in ('bios', 'machine', 'ostype', 'cpu', 'cores', 'scsihw', 'agent', 'boot', 'vga'):
        assert config[key] == source[key]


def test_clone_without_a_name_is_copy_of(api):
    """qemu-server src/PVE/API2/Qemu.pm clone_vm: with no name the copy is `Copy-of-VM-<source name>`."""
    api.wait_task(api.post('/nodes/pve1/qemu/9000/clone', newid=121, full=1))
    assert api.get('/nodes/pve1/qemu/121/config')['name'] == 'Copy-of-VM-debian-12-golden'


def test_clone_checks_before_the_task(lab, api):
    """qemu-server src/PVE/API2/Qemu.pm clone_vm ($load_and_check, run before the worker forks): a storage
    that holds no images, a non-shared target storage for another node, storage for a linked clone, a
    missing snapshot and an existing new VMID are refused at once, with these words."""
    no_images = error_of(api.post, '/nodes/pve1/qemu/9000/clone', newid=122, full=1, storage='local')
    assert no_images.status == 400 and no_images.errors == {'storage': "storage 'local' does not support vm images"}
    local = error_of(api.post, '/nodes/pve1/qemu/9000/clone', newid=122, full=1, storage='local-lvm', target='pve2')
    assert local.message == "can't clone to non-shared storage 'local-lvm'"
    linked = error_of(api.post, '/nodes/pve1/qemu/9000/clone', newid=122, full=0, storage='nfs.01')
    assert linked.message == "parameter 'storage' not allowed for linked clones"
    snap = error_of(api.post, '/nodes/pve1/qemu/9000/clone', newid=122, full=1, snapname='nope')
    assert snap.message == "snapshot 'nope' does not exist"
    lab.pve.add_vm(122, 'there', node='pve1')
    taken = error_of(api.post, '/nodes/pve1/qemu/9000/clone', newid=122, full=1)
    assert taken.message == 'unable to create VM 122: config file already exists'


def test_linked_clone_is_the_default_for_a_template(lab, api):
    """qemu-server src/PVE/API2/Qemu.pm clone_vm: `full` defaults to false for a template (a linked clone on
    the template's storage; on LVM-thin a new vm-<newid>-disk-N snapshot volume, pve-storage
    LvmThinPlugin.pm clone_image) and a linked clone of a VM that is not a template is refused before the
    task: `Linked clone feature is not supported for '<volid>' (<drive>)`."""
    api.wait_task(api.post('/nodes/pve1/qemu/9000/clone', newid=123, name='linked'))
    config = api.get('/nodes/pve1/qemu/123/config')
    assert config['scsi0'].startswith('local-lvm:vm-123-disk-')
    err = error_of(api.post, '/nodes/pve1/qemu/123/clone', newid=124, full=0)
    assert err.status == 500
    assert err.message == "Linked clone feature is not supported for '{0}' (efidisk0)".format(
        config['efidisk0'].split(',')[0])


def test_a_template_a_linked_clone_uses_is_not_destroyed(lab, api):
    """qemu-server src/PVE/QemuServer.pm destroy_vm: a template's base volume that a linked clone still uses
    (pve-storage src/PVE/Storage.pm volume_is_base_and_used: on a file-based storage the clone's volume is named
    `<base vmid>/<base name>/<vmid>/<name>`, Plugin.pm clone_image) stops the destroy before anything is
    removed, the first such volume in drive order named: `base volume '<volid>' is still in use by linked
    cloned`. Once the clone is gone the template is destroyed. On LVM-thin the clone's volume keeps no base
    (LvmThinPlugin.pm clone_image) and PVE lets the template go."""
    api.wait_task(api.post('/nodes/pve1/qemu/9001/clone', newid=125, name='linked-nfs'))
    assert api.get('/nodes/pve1/qemu/125/config')['scsi0'].startswith('nfs.01:9001/base-9001-disk-2.qcow2/125/')
    upid = api.delete('/nodes/pve1/qemu/9001')
    assert api.get('/nodes/pve1/tasks/{0}/status'.format(upid))['exitstatus'] == \
        "base volume 'nfs.01:9001/base-9001-disk-2.qcow2' is still in use by linked cloned"
    assert lab.pve.vm(9001).config['template'] in (1, '1')
    assert 'scsi0' in api.get('/nodes/pve1/qemu/9001/config')
    api.wait_task(api.delete('/nodes/pve1/qemu/125'))
    api.wait_task(api.delete('/nodes/pve1/qemu/9001'))
    assert 9001 not in [vm['vmid'] for vm in api.get('/cluster/resources', type='vm')]

    api.wait_task(api.post('/nodes/pve1/qemu/9000/clone', newid=126, name='linked-lvm'))
    api.wait_task(api.delete('/nodes/pve1/qemu/9000'))
    assert 9000 not in [vm['vmid'] for vm in api.get('/cluster/resources', type='vm')]


# ---------------------------------------------------------------------- create

def test_create_fills_in_identity_boot_order_and_macs(lab, api):
    """qemu-server src/PVE/API2/Qemu.pm create_vm: smbios1 gets a uuid, vmgenid is generated, the boot
    order defaults to the first disk then NIC (QemuServer.pm get_default_bootdevices), and a NIC without a
    MAC gets one from the datacenter prefix BC:24:11, upper case, printed model=MAC first
    (QemuServer/Network.pm add_random_macs, print_net; pve-common JSONSchema.pm print_property_string)."""
    api.wait_task(api.post('/nodes/pve1/qemu', vmid=130, name='fresh', scsi0='local-lvm:1',
                           net0='virtio,firewall=1,bridge=vmbr0'))
    config = api.get('/nodes/pve1/qemu/130/config')
    assert config['smbios1'].startswith('uuid=') and config['vmgenid']
    assert config['boot'] == 'order=scsi0;net0'
    model, rest = config['net0'].split(',', 1)
    assert model.startswith('virtio=BC:24:11:') and model == model.upper().replace('VIRTIO', 'virtio')
    assert rest == 'bridge=vmbr0,firewall=1'


def test_efidisk_and_tpmstate_sizes_are_fixed(lab, api):
    """qemu-server src/PVE/API2/Qemu.pm create_disks: efidisk0 and tpmstate0 ignore the requested size: the
    EFI vars volume has the OVMF template's size (528K for efitype=4m, QemuServer/OVMF.pm create_efidisk)
    and the TPM state 4 MiB (QemuServer/Drive.pm TPMSTATE_DISK_SIZE)."""
    api.wait_task(api.post('/nodes/pve1/qemu', vmid=131, name='uefi', bios='ovmf',
                           efidisk0='local-lvm:1,efitype=4m', tpmstate0='local-lvm:1,version=v2.0'))
    config = api.get('/nodes/pve1/qemu/131/config')
    assert config['efidisk0'].endswith(',efitype=4m,size=528K')
    assert config['tpmstate0'].endswith(',size=4M,version=v2.0')


# ---------------------------------------------------------------------- config and pending

def test_running_vm_takes_options_at_once_and_cores_at_the_next_start(lab, api):
    """qemu-server src/PVE/QemuServer.pm vmconfig_hotplug_pending: on a running VM the fast-plug options
    (description, onboot, protection, tags, name, startup) are written to the config at once; `cores`
    without cpu hotplug stays in the pending section until the VM is restarted."""
    clone_golden(api, 140)
    api.wait_task(api.post('/nodes/pve1/qemu/140/status/start'))
    api.put('/nodes/pve1/qemu/140/config', description='hello', onboot=1, cores=4)
    items = {p['key']: p for p in api.get('/nodes/pve1/qemu/140/pending')}
    assert items['description'] == {'key': 'description', 'value': 'hello'}
    assert 'pending' not in items['onboot']
    assert items['cores']['pending'] in (4, '4') and items['cores']['value'] in (2, '2')


def test_async_config_write_is_a_task(lab, api):
    """qemu-server src/PVE/API2/Qemu.pm update_vm_async: POST .../config runs the same update as PUT in a
    qmconfig task and answers with its UPID."""
    clone_golden(api, 141)
    upid = api.post('/nodes/pve1/qemu/141/config', scsi1='local-lvm:2')
    assert upid.startswith('UPID:pve1:') and ':qmconfig:141:' in upid
    api.wait_task(upid)
    assert api.get('/nodes/pve1/qemu/141/config')['scsi1'].endswith(',size=2G')


def test_bootorder_must_name_existing_devices(lab, api):
    """qemu-server src/PVE/API2/Qemu.pm update_vm_api: each boot device must exist: a 400 on boot,
    `invalid bootorder: device '<dev>' does not exist'` (with PVE's stray quote)."""
    clone_golden(api, 142)
    err = error_of(api.put, '/nodes/pve1/qemu/142/config', boot='order=scsi0;virtio7')
    assert err.status == 400 and err.errors == {'boot': "invalid bootorder: device 'virtio7' does not exist'"}


# ---------------------------------------------------------------------- power and tasks

def test_start_refusals_are_task_errors(lab, api):
    """qemu-server src/PVE/QemuServer.pm vm_start: inside the qmstart worker, a template is
    `you can't start a vm if it's a template` and a locked VM `VM is locked (<lock>)`; the HTTP answer
    is a UPID either way."""
    assert task_error_of(api, api.post('/nodes/pve1/qemu/9000/status/start')) == \
        "you can't start a vm if it's a template"
    clone_golden(api, 150)
    lab.pve.snapshot_lock(150, 'backup')
    assert task_error_of(api, api.post('/nodes/pve1/qemu/150/status/start')) == 'VM is locked (backup)'


def test_reboot_needs_a_running_vm(lab, api):
    """qemu-server src/PVE/API2/Qemu.pm vm_reboot: checked before the worker: `VM <vmid> not running`."""
    clone_golden(api, 151)
    assert error_of(api.post, '/nodes/pve1/qemu/151/status/reboot').message == 'VM 151 not running'


def test_shutdown_timeout_without_force_stop_fails_the_task(lab, api):
    """qemu-server src/PVE/QemuServer.pm _do_vm_stop: a guest that ignores the powerdown fails the
    qmshutdown task with `VM quit/powerdown failed - got timeout` (forceStop=0); with forceStop=1 it is
    killed and the task ends OK."""
    clone_golden(api, 152)
    api.wait_task(api.post('/nodes/pve1/qemu/152/status/start'))
    lab.pve.vm(152).acpi = False
    assert task_error_of(api, api.post('/nodes/pve1/qemu/152/status/shutdown', timeout=5)) == \
        'VM quit/powerdown failed - got timeout'
    assert api.get('/nodes/pve1/qemu/152/status/current')['status'] == 'running'
    api.wait_task(api.post('/nodes/pve1/qemu/152/status/shutdown', timeout=5, forceStop=1))
    assert api.get('/nodes/pve1/qemu/152/status/current')['status'] == 'stopped'


def test_task_status_and_log(lab, api):
    """pve-manager PVE/API2/Tasks.pm read_task_status, read_task_log; pve-common PVE/UPID.pm read_status:
    a finished task is status `stopped` with exitstatus `OK` or the error text; its log is a list of
    {n, t} lines."""
    upid = api.post('/nodes/pve1/qemu/9000/clone', newid=153, name='logged', full=1)
    status = api.wait_task(upid)
    assert status['status'] == 'stopped' and status['exitstatus'] == 'OK' and status['upid'] == upid
    log = api.get('/nodes/pve1/tasks/{0}/log'.format(upid), start=0, limit=50)
    assert log and all(set(line) == {'n', 't'} for line in log) and log[0]['n'] == 1


# ---------------------------------------------------------------------- destroy and template

def test_destroy_refuses_protected_and_running_vms(lab, api):
    """qemu-server src/PVE/API2/Qemu.pm destroy_vm, pve-guest-common AbstractConfig.pm check_protection:
    before the task, `can't remove VM <vmid> - protection mode enabled` and
    `VM <vmid> is running - destroy failed`."""
    clone_golden(api, 160)
    api.put('/nodes/pve1/qemu/160/config', protection=1)
    err = error_of(api.delete, '/nodes/pve1/qemu/160', purge=1)
    assert err.message == "can't remove VM 160 - protection mode enabled"
    api.put('/nodes/pve1/qemu/160/config', delete='protection')
    api.wait_task(api.post('/nodes/pve1/qemu/160/status/start'))
    assert error_of(api.delete, '/nodes/pve1/qemu/160').message == 'VM 160 is running - destroy failed'


def test_template_conversion_checks(lab, api):
    """qemu-server src/PVE/API2/Qemu.pm template: checked before the worker: `you can't convert a
    template to a template`, `you can't convert a VM to template if VM is running`."""
    assert error_of(api.post, '/nodes/pve1/qemu/9000/template').message == \
        "you can't convert a template to a template"
    clone_golden(api, 161)
    api.wait_task(api.post('/nodes/pve1/qemu/161/status/start'))
    assert error_of(api.post, '/nodes/pve1/qemu/161/template').message == \
        "you can't convert a VM to template if VM is running"


# ---------------------------------------------------------------------- LXC

def test_lxc_create_defaults_as_create_vm(lab, api):
    """pve-container src/PVE/API2/LXC.pm create_vm: `unprivileged` defaults to 1 and is stored only when 1 (a
    privileged container has no key); a privileged create needs Sys.Modify on `/`; without `rootfs` the
    container gets `<storage>:4` (`storage` default `local`), and mount points without `rootfs` are refused
    (`mount points configured, but 'rootfs' not set - aborting`); `password` is never stored."""
    template = 'local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst'
    api.wait_task(api.post('/nodes/pve1/lxc', vmid=310, ostemplate=template, hostname='ct-310',
                           storage='local-lvm', password='secret-pw'))
    config = api.get('/nodes/pve1/lxc/310/config')
    assert config['unprivileged'] == 1 and config['rootfs'].startswith('local-lvm:vm-310-disk-')
    assert 'size=4G' in config['rootfs'] and 'password' not in config
    api.wait_task(api.post('/nodes/pve1/lxc', vmid=311, ostemplate=template, hostname='ct-311',
                           storage='local-lvm', unprivileged=0))
    assert 'unprivileged' not in api.get('/nodes/pve1/lxc/311/config')
    assert error_of(api.post, '/nodes/pve1/lxc', vmid=312, ostemplate=template, hostname='ct-312',
                    mp0='local-lvm:1,mp=/data').message == "mount points configured, but 'rootfs' not set - aborting"
    lab.pve.apitokens['ops@pve!t'] = 'secret-ops'
    for path, priv in (('/vms', 'VM.Allocate'), ('/storage', 'Datastore.AllocateSpace'),
                       ('/storage', 'Datastore.Audit')):
        lab.pve.grant('ops@pve', path, priv)
    conn = lab.connection()
    ops = PveClient(conn['api_host'], 'ops@pve', token_id='t', token_secret='secret-ops', port=conn['api_port'],
                    ca_path=conn['ca_path'])
    err = error_of(ops.post, '/nodes/pve1/lxc', vmid=313, ostemplate=template, hostname='ct-313',
                   storage='local-lvm', unprivileged=0)
    assert (err.status, err.message) == (403, 'Permission check failed (/, Sys.Modify)')


def test_lxc_digest_mismatch_has_its_own_wording(lab, api):
    """pve-container src/PVE/API2/LXC/Config.pm update_vm, pve-common PVE/Tools.pm assert_if_modified:
    a stale digest on a container is `detected modified configuration - file changed by other user? Try
    again.` (VMs say `checksum mismatch (file change by other user?)`)."""
    lab.pve.add_ct(300, 'ct-300', node='pve1')
    err = error_of(api.put, '/nodes/pve1/lxc/300/config', description='x', digest='0' * 40)
    assert err.message == 'detected modified configuration - file changed by other user? Try again.'


def test_lxc_resize_refuses_a_shrink_and_the_current_size(lab, api):
    """pve-container src/PVE/API2/LXC.pm resize_vm: unlike a VM, resizing a container volume to its current
    size is an error (`disk is already at specified size`), and a smaller size is
    `unable to shrink disk size`."""
    lab.pve.add_ct(300, 'ct-300', node='pve1', config={'rootfs': 'local-lvm:vm-300-disk-0,size=8G'})
    assert error_of(api.put, '/nodes/pve1/lxc/300/resize', disk='rootfs', size='8G').message == \
        'disk is already at specified size'
    assert error_of(api.put, '/nodes/pve1/lxc/300/resize', disk='rootfs', size='4G').message == \
        'unable to shrink disk size'


def test_lxc_required_options_cannot_be_deleted(lab, api):
    """pve-container src/PVE/LXC/Config.pm update_pct_config: `unable to delete required option
    '<memory|rootfs|ostype>'`."""
    lab.pve.add_ct(300, 'ct-300', node='pve1')
    err = error_of(api.put, '/nodes/pve1/lxc/300/config', delete='memory')
    assert err.message == "unable to delete required option 'memory'"


def test_lxc_running_container_takes_fast_plug_options_at_once(lab, api):
    """pve-container src/PVE/LXC/Config.pm vmconfig_hotplug_pending ($LXC_FASTPLUG_OPTIONS): on a running
    container description, onboot, hostname, cores and tags apply at once; nameserver waits for a restart."""
    lab.pve.add_ct(300, 'ct-300', node='pve1', status='running')
    api.put('/nodes/pve1/lxc/300/config', description='d', cores=2, nameserver='10.0.0.53')
    items = {p['key']: p for p in api.get('/nodes/pve1/lxc/300/pending')}
    assert 'pending' not in items['description'] and 'pending' not in items['cores']
    assert items['nameserver']['pending'] == '10.0.0.53'


def test_lxc_clone_to_another_node_is_judged_on_the_target_storage(lab, api):
    """pve-container src/PVE/API2/LXC.pm clone_vm: for `target`, a container's volumes count as shared when
    the clone's `storage` is shared (the source's storage only when no storage is given):
    `can't clone CT to node '<target>' (CT uses local storage)`; the copy gets a new hwaddr."""
    lab.pve.add_ct(300, 'ct-300', node='pve1', config={'net0': 'name=eth0,bridge=vmbr0,hwaddr=BC:24:11:00:00:AA'})
    err = error_of(api.post, '/nodes/pve1/lxc/300/clone', newid=301, hostname='local-copy', target='pve2')
    assert err.message == "can't clone CT to node 'pve2' (CT uses local storage)"
    api.wait_task(api.post('/nodes/pve1/lxc/300/clone', newid=302, hostname='shared-copy', target='pve2',
                           storage='nfs.01'))
    config = api.get('/nodes/pve2/lxc/302/config')
    assert config['rootfs'].startswith('nfs.01:') and 'BC:24:11:00:00:AA' not in config['net0']


def test_locked_vm_refuses_a_config_write(lab, api):
    """qemu-server src/PVE/API2/Qemu.pm $update_vm_api ($load_and_check_config), pve-guest-common
    AbstractConfig.pm check_lock: a synchronous config write to a locked VM is `VM is locked (<lock>)`."""
    clone_golden(api, 171)
    lab.pve.snapshot_lock(171, 'backup')
    err = error_of(api.put, '/nodes/pve1/qemu/171/config', cores=3)
    assert err.status == 500 and err.message == 'VM is locked (backup)'


def test_lxc_destroy_refuses_a_protected_container(lab, api):
    """pve-container src/PVE/API2/LXC.pm destroy_vm, pve-guest-common AbstractConfig.pm check_protection:
    `can't remove CT <vmid> - protection mode enabled`."""
    lab.pve.add_ct(300, 'ct-300', node='pve1', config={'protection': 1})
    assert error_of(api.delete, '/nodes/pve1/lxc/300').message == "can't remove CT 300 - protection mode enabled"


def test_lxc_nic_gets_a_hwaddr_and_type_veth(lab, api):
    """pve-container src/PVE/LXC/Config.pm $netconf_desc, update_pct_config: a NIC without hwaddr gets one
    from the datacenter prefix (upper case) and `type=veth`; `name` is printed first."""
    lab.pve.add_ct(300, 'ct-300', node='pve1')
    api.put('/nodes/pve1/lxc/300/config', net1='name=eth1,bridge=vmbr0')
    net1 = api.get('/nodes/pve1/lxc/300/config')['net1']
    assert net1.startswith('name=eth1,bridge=vmbr0,hwaddr=BC:24:11:') and net1.endswith(',type=veth')
    assert net1 == net1.replace(net1.split('hwaddr=')[1][:17], net1.split('hwaddr=')[1][:17].upper())


def test_lxc_template_conversion_checks(lab, api):
    """pve-container src/PVE/API2/LXC.pm template: checked before the vztemplate task: `you can't convert a
    CT to template if the CT is running` and `you can't convert a template to a template`."""
    lab.pve.add_ct(300, 'ct-300', node='pve1', status='running')
    assert error_of(api.post, '/nodes/pve1/lxc/300/template').message == \
        "you can't convert a CT to template if the CT is running"
    lab.pve.add_ct(301, 'ct-301', node='pve1')
    api.wait_task(api.post('/nodes/pve1/lxc/301/template'))
    assert api.get('/nodes/pve1/lxc/301/config')['template'] in (1, '1')
    assert error_of(api.post, '/nodes/pve1/lxc/301/template').message == \
        "you can't convert a template to a template"


def test_lxc_shutdown_needs_a_running_container(lab, api):
    """pve-container src/PVE/API2/LXC/Status.pm vm_shutdown: unlike a VM's, a container's shutdown is
    refused before the task when it is not running: `CT <vmid> not running`."""
    lab.pve.add_ct(300, 'ct-300', node='pve1')
    assert error_of(api.post, '/nodes/pve1/lxc/300/status/shutdown').message == 'CT 300 not running'


def test_snapshot_list_ends_with_current(lab, api):
    """qemu-server src/PVE/API2/Qemu.pm snapshot_list: the snapshots, then an entry `current`
    (`You are here!`) for the live state, also when there is no snapshot."""
    clone_golden(api, 170)
    items = api.get('/nodes/pve1/qemu/170/snapshot')
    assert [i['name'] for i in items] == ['current'] and items[0]['description'] == 'You are here!'


# ---------------------------------------------------------------------- backup and access

def test_wrong_password_is_a_401_authentication_failure(lab):
    """pve-access-control src/PVE/API2/AccessControl.pm create_ticket: a failed login is HTTP 401
    `authentication failure`."""
    conn = lab.connection()
    client = PveClient(conn['api_host'], 'root@pam', password='wrong', port=conn['api_port'],
                       ca_path=conn['ca_path'])
    err = error_of(client.get, '/version')
    assert err.status == 401 and 'authentication failure' in err.message


def test_version_answers_any_user(api):
    """pve-manager PVE/API2.pm version: `version`, `release` and `repoid` for any logged-in user."""
    answer = api.get('/version')
    assert set(('version', 'release', 'repoid')) <= set(answer)
