"""The lab's VM and container settings of issue 15 (import-from, CD/DVD drives, snippets, root-only keys, device
passthrough), as PVE has them. Each test names the PVE source file and function it follows."""

from ansible_collections.iac.proxmox.plugins.module_utils._client import PveClient
from labtools import error_of, task_error_of

IMAGE = 'local:import/debian-12-genericcloud.qcow2'


def ops_user(lab, *grants):
    """A non-root user with a token, holding the given (path, privilege) grants."""
    lab.pve.apitokens['ops@pve!t'] = 'secret-ops'
    for path, priv in grants:
        lab.pve.grant('ops@pve', path, priv)
    conn = lab.connection()
    return PveClient(conn['api_host'], 'ops@pve', token_id='t', token_secret='secret-ops', port=conn['api_port'],
                     ca_path=conn['ca_path'])


def root_client(lab):
    """root@pam itself (a password login): root-only checks compare the user, so a root@pam token is not root."""
    conn = lab.connection(auth='password')
    return PveClient(conn['api_host'], 'root@pam', password=conn['api_password'], port=conn['api_port'],
                     ca_path=conn['ca_path'])


def create(api, vmid, **config):
    return api.post('/nodes/pve1/qemu', vmid=vmid, **config)


# ---------------------------------------------------------------------- 1. import-from

def test_import_from_allocates_the_images_virtual_size(lab, api):
    """qemu-server src/PVE/API2/Qemu.pm create_disks / $import_from_volid and pve-storage src/PVE/Storage/Plugin.pm
    file_size_info: the new volume gets the qcow2's virtual size (its header, as qemu-img info reads it), not
    the `0` of the slot, and the drive's size= is the new volume's."""
    api.wait_task(create(api, 150, scsi0='local-lvm:0,import-from=' + IMAGE + ',discard=on'))
    config = lab.pve.vm(150).config
    assert config['scsi0'].startswith('local-lvm:vm-150-disk-0,')
    assert 'size=2G' in config['scsi0'] and 'discard=on' in config['scsi0'] and 'import-from' not in config['scsi0']
    assert lab.pve.storages['local-lvm']['volumes']['vm-150-disk-0']['size'] == 2 * 1024 ** 3
    # A raw image: the file's size, in whole KiB.
    lab.pve.store_image('local', 'tiny.raw', b'x' * 3000)
    lab.pve.add_vm(151, 'imp', node='pve1')
    api.put('/nodes/pve1/qemu/151/config', scsi1='local-lvm:0,import-from=local:import/tiny.raw')
    assert lab.pve.vm(151).config['scsi1'] == 'local-lvm:vm-151-disk-0,size=3K'


def test_import_from_a_vm_image_copies_its_size(lab, api):
    """qemu-server src/PVE/API2/Qemu.pm $import_from_volid -> src/PVE/QemuServer.pm clone_disk: a VM image source
    (`<storage>:<volume>` owned by a VM) is copied with volume_size_info's size."""
    api.wait_task(create(api, 152, scsi0='nfs.01:0,import-from=local-lvm:base-9000-disk-2,format=qcow2'))
    config = lab.pve.vm(152).config
    assert config['scsi0'] == 'nfs.01:152/vm-152-disk-0.qcow2,size=8G'


def test_import_from_checks_syntax_and_source_type_before_the_task(lab, api):
    """qemu-server src/PVE/API2/Qemu.pm $check_drive_param (`<storage ID>:0` syntax, efidisk0/tpmstate0 need their
    options) and $check_storage_access (the source's content type: 'images' or 'import'): 400s on the slot."""
    err = error_of(create, api, 153, scsi0='local-lvm:4,import-from=' + IMAGE)
    assert err.status == 400 and err.errors == {
        'scsi0': "'import-from' requires special syntax - use <storage ID>:0,import-from=<source>"}
    err = error_of(create, api, 153, scsi0='local-lvm:0,import-from=local:iso/debian-12-netinst.iso')
    assert err.errors == {'scsi0': "local:iso/debian-12-netinst.iso has wrong type 'iso' - needs to be 'images' "
                                   "or 'import'"}
    err = error_of(create, api, 153, efidisk0='local-lvm:0,import-from=' + IMAGE + ',efitype=4m')
    assert err.errors == {'efidisk0': "need to specify 'pre-enrolled-keys' when using 'import-from'"}
    err = error_of(create, api, 153, tpmstate0='local-lvm:0,import-from=' + IMAGE)
    assert err.errors == {'tpmstate0': "need to specify 'version' when using 'import-from'"}
    assert lab.pve.vm(153) is None


def test_import_from_a_missing_or_bad_image_fails_the_task(lab, api):
    """qemu-server src/PVE/API2/Qemu.pm create_disks: an `import` source is untrusted - pve-storage
    src/PVE/Storage/Plugin.pm file_size_info dies when it cannot stat it, when qemu-img cannot read it as the
    format its extension names, or when it has a backing file; the create task fails and frees what it made."""
    upid = create(api, 154, scsi0='local-lvm:0,import-from=local:import/missing.qcow2')
    assert task_error_of(api, upid) == "unable to create VM 154 - failed to stat '/var/lib/vz/import/missing.qcow2'"
    lab.pve.store_image('local', 'fake.qcow2', b'not a qcow2 image at all, just text' * 4)
    upid = create(api, 154, scsi0='local-lvm:0,import-from=local:import/fake.qcow2')
    assert task_error_of(api, upid) == 'unable to create VM 154 - failed to query file information with qemu-img'
    from pvelab.topology import qcow2_header
    lab.pve.store_image('local', 'overlay.qcow2', qcow2_header(1024 ** 3, backing_offset=512))
    upid = create(api, 154, scsi0='local-lvm:0,import-from=local:import/overlay.qcow2')
    assert task_error_of(api, upid) == ("unable to create VM 154 - backing file not allowed for untrusted image "
                                        "'/var/lib/vz/import/overlay.qcow2'!")
    assert lab.pve.vm(154) is None
    assert not [v for v in lab.pve.storages['local-lvm']['volumes'] if '-154-' in v]


def test_import_from_a_vm_image_needs_vm_clone(lab, api):
    """qemu-server src/PVE/API2/Qemu.pm $check_storage_access: importing a VM's image needs VM.Clone on its owner."""
    lab.pve.add_vm(155, 'imp', node='pve1')
    ops = ops_user(lab, ('/vms/155', 'VM.Config.Disk'), ('/storage/local-lvm', 'Datastore.AllocateSpace'))
    err = error_of(ops.put, '/nodes/pve1/qemu/155/config', scsi0='local-lvm:0,import-from=local-lvm:base-9000-disk-2')
    assert err.status == 403 and err.message == 'Permission check failed (/vms/9000, VM.Clone)'


# ---------------------------------------------------------------------- 2. CD/DVD drives

def test_a_cdrom_iso_must_exist_on_update_and_gets_its_size(lab, api):
    """qemu-server src/PVE/API2/Qemu.pm update_vm_api -> create_disks: an existing volume set on a drive is checked
    as on create (volume_size_info: `volume <volid> does not exist`) and its size written; an ISO needs
    media=cdrom ($check_drive_param)."""
    lab.pve.add_vm(160, 'cd', node='pve1')
    err = error_of(api.put, '/nodes/pve1/qemu/160/config', ide2='local:iso/nope.iso,media=cdrom')
    assert err.status == 500 and err.message == 'volume local:iso/nope.iso does not exist'
    err = error_of(api.put, '/nodes/pve1/qemu/160/config', ide2='local:iso/debian-12-netinst.iso')
    assert err.errors == {'ide2': "explicit 'media=cdrom' is required for iso images"}
    api.put('/nodes/pve1/qemu/160/config', ide2='local:iso/debian-12-netinst.iso,media=cdrom')
    assert lab.pve.vm(160).config['ide2'] == 'local:iso/debian-12-netinst.iso,media=cdrom,size=628M'


def test_the_host_cdrom_drive_needs_sys_console(lab, api):
    """qemu-server src/PVE/API2/Qemu.pm $check_storage_access: `cdrom` (the host's drive) needs Sys.Console on /."""
    lab.pve.add_vm(161, 'cd', node='pve1')
    ops = ops_user(lab, ('/vms/161', 'VM.Config.CDROM'), ('/vms/161', 'VM.Config.Disk'))
    err = error_of(ops.put, '/nodes/pve1/qemu/161/config', ide2='cdrom,media=cdrom')
    assert err.status == 403 and err.message == 'Permission check failed (/, Sys.Console)'
    ops.put('/nodes/pve1/qemu/161/config', ide2='none,media=cdrom')
    assert lab.pve.vm(161).config['ide2'] == 'none,media=cdrom'


def test_changing_the_iso_of_a_running_vm_applies_at_once(lab, api):
    """qemu-server src/PVE/QemuServer.pm vmconfig_hotplug_pending -> vmconfig_update_disk: a CD/DVD drive's medium
    changes at once on a running VM (eject / change medium), whatever `hotplug` says; a new CD drive on ide stays
    pending."""
    lab.pve.add_vm(162, 'cd', node='pve1', config={'ide2': 'none,media=cdrom'})
    api.wait_task(api.post('/nodes/pve1/qemu/162/status/start'))
    api.put('/nodes/pve1/qemu/162/config', ide2='local:iso/debian-12-netinst.iso,media=cdrom')
    vm = lab.pve.vm(162)
    assert vm.config['ide2'] == 'local:iso/debian-12-netinst.iso,media=cdrom,size=628M' and 'ide2' not in vm.pending
    api.put('/nodes/pve1/qemu/162/config', ide0='local:iso/debian-12-netinst.iso,media=cdrom')
    assert 'ide0' in vm.pending and 'ide0' not in vm.config


# ---------------------------------------------------------------------- 3. snippets

def test_hookscript_is_checked_on_vm_update_not_on_create(lab, api):
    """qemu-server src/PVE/API2/Qemu.pm update_vm_api: PVE::GuestHelpers::check_hookscript (pve-guest-common
    src/PVE/GuestHelpers.pm) as a 400 on `hookscript`: a snippets volume, existing, executable. create_vm does
    not check it; the start does (exec_hookscript pre-start stops on the error)."""
    lab.pve.add_vm(170, 'hook', node='pve1')
    path = '/nodes/pve1/qemu/170/config'
    assert error_of(api.put, path, hookscript='local:iso/debian-12-netinst.iso').errors == {
        'hookscript': "'local:iso/debian-12-netinst.iso' is not in the snippets directory"}
    assert error_of(api.put, path, hookscript='local:snippets/nope.pl').errors == {
        'hookscript': "script 'local:snippets/nope.pl' does not exist"}
    assert error_of(api.put, path, hookscript='local:snippets/user.yaml').errors == {
        'hookscript': "script 'local:snippets/user.yaml' is not executable"}
    root = root_client(lab)
    root.put(path, hookscript='local:snippets/hook.pl')
    assert lab.pve.vm(170).config['hookscript'] == 'local:snippets/hook.pl'
    root.wait_task(create(root, 171, hookscript='local:snippets/gone.pl'))
    upid = api.post('/nodes/pve1/qemu/171/status/start')
    assert task_error_of(api, upid) == "hookscript error for 171 on pre-start: script 'local:snippets/gone.pl' does " \
                                       "not exist"


def test_container_hookscript_and_devices_are_checked(lab, api):
    """pve-container src/PVE/LXC/Config.pm update_pct_config: check_hookscript dies (a 500), and a devN path must
    be a block or character device on the node (src/PVE/LXC/Tools.pm get_device_mode_and_rdev)."""
    lab.pve.add_ct(180, 'ct', node='pve1')
    path = '/nodes/pve1/lxc/180/config'
    api = root_client(lab)
    err = error_of(api.put, path, hookscript='local:snippets/nope.pl')
    assert err.status == 500 and err.message == "script 'local:snippets/nope.pl' does not exist"
    err = error_of(api.put, path, dev0='/dev/ttyACM7')
    assert err.status == 500 and err.message == 'Device /dev/ttyACM7 does not exist'
    err = error_of(api.put, path, dev0='/dev/shm')
    assert err.message == '/dev/shm is not a device'
    api.put(path, dev0='/dev/ttyUSB0,mode=0660,uid=100,gid=100', hookscript='local:snippets/hook.pl')
    config = lab.pve.ct(180).config
    assert config['dev0'] == '/dev/ttyUSB0,mode=0660,uid=100,gid=100' and config['hookscript'] == 'local:snippets/hook.pl'


def test_the_seeded_local_storage_has_an_iso_snippets_and_an_image(lab, api):
    """pve-storage src/PVE/Storage/DirPlugin.pm: `local` holds iso, snippets and import content; the lab seeds
    one ISO, a hookscript, two cloud-init snippets and a qcow2 cloud image there."""
    volids = set(item['volid'] for item in api.get('/nodes/pve1/storage/local/content'))
    assert {'local:iso/debian-12-netinst.iso', 'local:snippets/hook.pl', 'local:snippets/user.yaml',
            'local:snippets/network.yaml', IMAGE} <= volids


# ---------------------------------------------------------------------- 4. root-only keys and privileges

def test_root_only_vm_keys(lab, api):
    """qemu-server src/PVE/API2/Qemu.pm $check_vm_modify_config_perm: a key in none of its option lists (args,
    affinity, parallelN, hookscript, hugepages) is root@pam's only - `only root can set '<key>' config`; numaN
    needs VM.Config.CPU, smbios1 VM.Config.HWType."""
    lab.pve.add_vm(190, 'keys', node='pve1')
    ops = ops_user(lab, *[('/vms/190', p) for p in ('VM.Config.HWType', 'VM.Config.Options', 'VM.Config.Disk')])
    path = '/nodes/pve1/qemu/190/config'
    for key, value in (('args', '-no-reboot'), ('affinity', '0-3'), ('parallel0', '/dev/parport0'),
                       ('hugepages', '2')):
        err = error_of(ops.put, path, **{key: value})
        assert err.status == 500 and err.message == "only root can set '{0}' config".format(key), key
    err = error_of(ops.put, path, numa0='cpus=0-1,memory=512,hostnodes=0')
    assert err.status == 403 and err.message == 'Permission check failed (/vms/190, VM.Config.CPU)'
    ops.put(path, smbios1='manufacturer=QUNNRQ==,base64=1')
    root_client(lab).put(path, args='-no-reboot', affinity='0-3')
    assert lab.pve.vm(190).config['affinity'] == '0-3'


def test_usb_and_serial_devices_of_the_host_are_root_only(lab, api):
    """qemu-server src/PVE/API2/Qemu.pm check_usb_perm (a `host` that is not spice: `only root can set 'usbN' config
    for real devices`; a mapping needs Mapping.Use), $check_vm_create_serial_perm and update_vm_api (a serial
    port that is not `socket`)."""
    lab.pve.add_vm(191, 'usb', node='pve1')
    ops = ops_user(lab, ('/vms/191', 'VM.Config.HWType'), ('/vms/192', 'VM.Allocate'),
                   ('/vms/192', 'VM.Config.HWType'))
    path = '/nodes/pve1/qemu/191/config'
    err = error_of(ops.put, path, usb0='host=1234:5678')
    assert err.status == 500 and err.message == "only root can set 'usb0' config for real devices"
    err = error_of(ops.put, path, usb0='mapping=stick')
    assert err.status == 403 and err.message == 'Permission check failed (/mapping/usb/stick, Mapping.Use)'
    ops.put(path, usb0='spice', serial0='socket')
    err = error_of(ops.put, path, serial1='/dev/ttyS0')
    assert err.message == "only root can modify 'serial1' config for real devices"
    err = error_of(create, ops, 192, serial0='/dev/ttyS0')
    assert err.status == 500 and err.message == "only root can set 'serial0' config for real devices"
    root_client(lab).put(path, usb1='host=1234:5678', serial1='/dev/ttyS0')
    err = error_of(ops.put, path, delete='serial1')
    assert err.message == "only root can delete 'serial1' config for real devices"


def test_startup_needs_sys_modify_and_cloudinit_keys_their_privilege(lab, api):
    """qemu-server src/PVE/API2/Qemu.pm $check_vm_modify_config_perm: `startup` needs Sys.Modify on / besides
    VM.Config.Options ("it changes host behaviour"); cicustom and ipconfigN need VM.Config.Cloudinit."""
    lab.pve.add_vm(193, 'boot', node='pve1')
    ops = ops_user(lab, ('/vms/193', 'VM.Config.Options'), ('/vms/193', 'VM.Config.Cloudinit'))
    path = '/nodes/pve1/qemu/193/config'
    err = error_of(ops.put, path, startup='order=2,up=30')
    assert err.status == 403 and err.message == 'Permission check failed (/, Sys.Modify)'
    ops.put(path, cicustom='user=local:snippets/user.yaml', ipconfig0='ip=dhcp')
    lab.pve.grant('ops@pve', '/', 'Sys.Modify')
    ops.put(path, startup='order=2,up=30')
    assert lab.pve.vm(193).config['startup'] == 'order=2,up=30'


def test_cicustom_snippets_are_read_when_the_drive_is_generated(lab, api):
    """qemu-server src/PVE/QemuServer/Cloudinit.pm get_custom_cloudinit_files / read_cloudinit_snippets_file: no
    check when cicustom is set; the drive's generation (every start, vm_start_nolock -> apply_cloudinit_config,
    and PUT .../cloudinit) reads each snippet: `<volid> is not in the snippets directory`, `can't find file
    '<volid>'` (pve-storage src/PVE/Storage.pm abs_filesystem_path)."""
    lab.pve.add_vm(194, 'ci', node='pve1', config={'ide2': 'local-lvm:vm-194-cloudinit,media=cdrom'})
    path = '/nodes/pve1/qemu/194/config'
    api.put(path, cicustom='user=local:snippets/user.yaml,network=local:snippets/missing.yaml')
    assert error_of(api.put, '/nodes/pve1/qemu/194/cloudinit').message == "can't find file " \
                                                                          "'local:snippets/missing.yaml'"
    upid = api.post('/nodes/pve1/qemu/194/status/start')
    assert task_error_of(api, upid) == "can't find file 'local:snippets/missing.yaml'"
    api.put(path, cicustom='user=local:iso/debian-12-netinst.iso')
    upid = api.post('/nodes/pve1/qemu/194/status/start')
    assert task_error_of(api, upid) == 'local:iso/debian-12-netinst.iso is not in the snippets directory'
    api.put(path, cicustom='user=local:snippets/user.yaml,network=local:snippets/network.yaml')
    api.wait_task(api.post('/nodes/pve1/qemu/194/status/start'))
    assert lab.pve.vm(194).status == 'running'


def test_import_from_on_efidisk_and_cdrom(lab, api):
    """qemu-server src/PVE/API2/Qemu.pm create_disks / clone_disk: an EFI disk imported gets the EFI vars size
    (get_efivars_size, 528K for efitype=4m), not the source's; a CD/DVD drive cannot take the `<storage>:0`
    syntax ($check_storage_access checks it as a volume: pve-storage LvmThinPlugin parse_volname)."""
    api.wait_task(create(api, 195, efidisk0='local-lvm:0,import-from=local-lvm:base-9000-disk-0,efitype=4m,'
                                            'pre-enrolled-keys=1'))
    assert lab.pve.vm(195).config['efidisk0'] == 'local-lvm:vm-195-disk-0,efitype=4m,pre-enrolled-keys=1,size=528K'
    err = error_of(create, api, 196, ide2='local-lvm:0,import-from=' + IMAGE + ',media=cdrom')
    assert err.status == 500 and err.message == "unable to parse lvm volume name '0'"
