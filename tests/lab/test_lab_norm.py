"""The lab normalizes what PVE normalizes (sizes, descriptions, tags, masked secrets), computed as PVE's source
does, never echoed from the request."""

import pytest

from ansible_collections.iac.proxmox.plugins.module_utils._client import PveClient
from labtools import error_of

TEMPLATE = 'local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst'


def clone_golden(api, newid, **extra):
    api.wait_task(api.post('/nodes/pve1/qemu/9000/clone', newid=newid, name='copy{0}'.format(newid), full=1, **extra))
    return api.get('/nodes/pve1/qemu/{0}/config'.format(newid))


def drive_size(value):
    return [p for p in value.split(',') if p.startswith('size=')][0][5:]


# ---------------------------------------------------------------------- sizes

def test_new_vm_disk_sizes_are_whole_kib_rounded_up(lab, api):
    """qemu-server src/PVE/API2/Qemu.pm create_disks: `STORAGE:SIZE` is GiB; PVE::Tools::convert_size(SIZE,
    'gb' => 'kb') rounds a fractional KiB up and the config holds that many KiB (PVE::JSONSchema::format_size)."""
    clone_golden(api, 110)
    api.put('/nodes/pve1/qemu/110/config', scsi1='local-lvm:0.1', scsi2='local-lvm:0.09765625',
            scsi3='local-lvm:0.098', scsi4='local-lvm:1.5')
    config = api.get('/nodes/pve1/qemu/110/config')
    # 0.1 GiB = 104857.6 KiB -> 104858K; 0.09765625 GiB is exactly 100M; 0.098 GiB = 102760.448 KiB -> 102761K.
    assert [drive_size(config[k]) for k in ('scsi1', 'scsi2', 'scsi3', 'scsi4')] == \
        ['104858K', '100M', '102761K', '1536M']
    volume = config['scsi1'].split(',')[0].split(':', 1)[1]
    assert lab.pve.storages['local-lvm']['volumes'][volume]['size'] == 104858 * 1024
    # The create path computes the same.
    api.wait_task(api.post('/nodes/pve1/qemu', vmid=111, scsi0='local-lvm:0.48828125', efidisk0='local-lvm:1'))
    config = api.get('/nodes/pve1/qemu/111/config')
    assert drive_size(config['scsi0']) == '500M' and drive_size(config['efidisk0']) == '528K'


def test_new_container_volumes_are_whole_mib_rounded_down(lab, api):
    """pve-container src/PVE/LXC.pm create_disks: `STORAGE:SIZE` is GiB; the volume gets int(SIZE * 1024) * 1024
    KiB, whole MiB with the fraction dropped, and `size=` holds that."""
    api.wait_task(api.post('/nodes/pve1/lxc', vmid=210, ostemplate=TEMPLATE, rootfs='local-lvm:0.1',
                           mp0='local-lvm:0.5,mp=/data', mp1='local-lvm:0.0986328125,mp=/exact'))
    config = api.get('/nodes/pve1/lxc/210/config')
    assert drive_size(config['rootfs']) == '102M'   # 102.4 MiB -> 102M
    assert drive_size(config['mp0']) == '512M' and drive_size(config['mp1']) == '101M'
    # A mount point added later takes the same path (LXC/Config.pm apply_pending_mountpoint -> create_disks).
    api.put('/nodes/pve1/lxc/210/config', mp2='local-lvm:0.2,mp=/later')
    assert drive_size(api.get('/nodes/pve1/lxc/210/config')['mp2']) == '204M'


def test_resize_takes_bytes_and_units_as_pve(lab, api):
    """qemu-server src/PVE/API2/Qemu.pm resize_vm: SIZE without a unit is bytes, K/M/G/T multiply, `+` adds to the
    volume's size; the config holds the exact new size. pve-container API2/LXC.pm resize_vm parses with
    PVE::JSONSchema::parse_size, same units."""
    clone_golden(api, 112)
    api.put('/nodes/pve1/qemu/112/config', scsi1='local-lvm:0.09765625')
    api.wait_task(api.put('/nodes/pve1/qemu/112/resize', disk='scsi1', size='+412M'))
    assert drive_size(api.get('/nodes/pve1/qemu/112/config')['scsi1']) == '512M'
    api.wait_task(api.put('/nodes/pve1/qemu/112/resize', disk='scsi1', size=str(600 * 1024 ** 2)))
    assert drive_size(api.get('/nodes/pve1/qemu/112/config')['scsi1']) == '600M'
    api.wait_task(api.post('/nodes/pve1/lxc', vmid=211, ostemplate=TEMPLATE, rootfs='local-lvm:0.1'))
    api.wait_task(api.put('/nodes/pve1/lxc/211/resize', disk='rootfs', size='+1M'))
    assert drive_size(api.get('/nodes/pve1/lxc/211/config')['rootfs']) == '103M'
    assert error_of(api.put, '/nodes/pve1/lxc/211/resize', disk='rootfs', size='103M').message.startswith(
        'disk is already at specified size')


# ---------------------------------------------------------------------- description

DESCRIPTION = '50%20off: caf\u00e9\n\nline 3  \n\n'


def test_vm_description_reads_back_as_parse_vm_config_returns_it(lab, api):
    """qemu-server src/PVE/QemuServer.pm write_vm_config writes each line as `#` + PVE::Tools::encode_text (only
    `if ($descr)`), parse_vm_config decodes them (decode_text), joins with newlines and strips trailing white
    space. '%20' stays '%20' (encode_text escapes '%'), inner blank lines stay, a false value drops the key."""
    from pvelab.normalize import encode_text
    assert encode_text('50%20off: caf\u00e9') == '50%2520off%3A caf%C3%A9'
    clone_golden(api, 120)
    api.put('/nodes/pve1/qemu/120/config', description=DESCRIPTION)
    assert api.get('/nodes/pve1/qemu/120/config')['description'] == '50%20off: caf\u00e9\n\nline 3'
    pending = dict((i['key'], i) for i in api.get('/nodes/pve1/qemu/120/pending'))
    assert pending['description']['value'] == '50%20off: caf\u00e9\n\nline 3'
    api.put('/nodes/pve1/qemu/120/config', description='   ')
    assert api.get('/nodes/pve1/qemu/120/config')['description'] == ''
    for false in ('0', '\n\n'):
        api.put('/nodes/pve1/qemu/120/config', description=false)
        assert 'description' not in api.get('/nodes/pve1/qemu/120/config')


def test_ct_description_reads_back_as_parse_pct_config_returns_it(lab, api):
    """pve-container src/PVE/LXC/Config.pm write_pct_config writes `$conf->{description} || ''` line by line with
    encode_text; parse_pct_config appends "\\n" to every decoded line and sets the key only when non-empty."""
    api.wait_task(api.post('/nodes/pve1/lxc', vmid=220, ostemplate=TEMPLATE, rootfs='local-lvm:1',
                           description=DESCRIPTION))
    assert api.get('/nodes/pve1/lxc/220/config')['description'] == '50%20off: caf\u00e9\n\nline 3  \n'
    api.put('/nodes/pve1/lxc/220/config', description='0')
    assert 'description' not in api.get('/nodes/pve1/lxc/220/config')
    assert 'description' not in [i['key'] for i in api.get('/nodes/pve1/lxc/220/pending')]


# ---------------------------------------------------------------------- cipassword

def test_pending_and_cloudinit_views_mask_cipassword(lab, api):
    """qemu-server src/PVE/API2/Qemu.pm vm_pending: `$conf->{cipassword} = '**********'` (a pending one reads
    '********** '); cloudinit_pending masks it the same way. The stored value is the hash."""
    clone_golden(api, 121)
    api.put('/nodes/pve1/qemu/121/config', cipassword='hunter2', ciuser='admin')
    items = dict((i['key'], i) for i in api.get('/nodes/pve1/qemu/121/pending'))
    assert items['cipassword'] == {'key': 'cipassword', 'value': '**********'}
    assert lab.pve.vm(121).config['cipassword'].startswith('$5$')
    for item in api.get('/nodes/pve1/qemu/121/cloudinit'):
        if item['key'] == 'cipassword':
            assert set(item.values()) - {'cipassword'} == {'**********'}
    lab.pve.vm(121).pending['cipassword'] = '$5$lab$other'
    items = dict((i['key'], i) for i in api.get('/nodes/pve1/qemu/121/pending'))
    assert items['cipassword'] == {'key': 'cipassword', 'value': '**********', 'pending': '********** '}


# ---------------------------------------------------------------------- nameserver

def test_nameserver_is_stored_in_the_order_given(lab, api):
    """qemu-server src/PVE/QemuServer.pm `nameserver` (format address-list) and pve-container LXC/Config.pm keep
    the text as given; the resolvers are used in that order (qemu-server src/PVE/QemuServer/Cloudinit.pm
    get_dns_conf splits it on white space; pve-container src/PVE/LXC.pm verify_nameserver_list re-joins the
    list with spaces in its order and LXC/Setup/Base.pm lookup_dns_conf uses it).
    fakepve already stores it verbatim; this pins it."""
    clone_golden(api, 130)
    api.put('/nodes/pve1/qemu/130/config', nameserver='10.0.0.53 1.1.1.1')
    assert api.get('/nodes/pve1/qemu/130/config')['nameserver'] == '10.0.0.53 1.1.1.1'
    api.wait_task(api.post('/nodes/pve1/lxc', vmid=230, ostemplate=TEMPLATE, rootfs='local-lvm:1',
                           nameserver='10.0.0.53 1.1.1.1'))
    assert api.get('/nodes/pve1/lxc/230/config')['nameserver'] == '10.0.0.53 1.1.1.1'


# ---------------------------------------------------------------------- tags and tag-style

def test_cluster_options_keep_tag_style_as_an_object(lab, api):
    """pve-manager PVE/API2/Cluster.pm get_options returns datacenter.cfg, whose `tag-style` pve-cluster
    src/PVE/DataCenterConfig.pm parse_datacenter_config parses into an object; set_options writes it."""
    assert 'tag-style' not in api.get('/cluster/options')
    api.put('/cluster/options', **{'tag-style': 'case-sensitive=1,ordering=config'})
    assert api.get('/cluster/options')['tag-style'] == {'case-sensitive': 1, 'ordering': 'config'}
    api.put('/cluster/options', delete='tag-style')
    assert 'tag-style' not in api.get('/cluster/options')


@pytest.mark.parametrize('style, stored', [
    (None, 'a;b;web'),                                    # lower-cased, sorted, duplicates dropped
    ('case-sensitive=1', 'A;B;Web;a;web'),                # case kept, sorted with cmp (upper case first)
    ('ordering=config', 'web;b;a'),                       # the order given, lower-cased, deduplicated
    ('case-sensitive=1,ordering=config', 'Web;web;B;a;A'),
])
def test_tags_are_stored_as_get_unique_tags_returns_them(lab, api, style, stored):
    """pve-guest-common src/PVE/GuestHelpers.pm get_unique_tags, called by qemu-server API2/Qemu.pm create_vm and
    update_vm_api and by pve-container LXC/Config.pm update_pct_config, with datacenter.cfg's tag-style."""
    if style:
        api.put('/cluster/options', **{'tag-style': style})
    given = 'Web;web,B a;A;a'
    clone_golden(api, 140)
    api.put('/nodes/pve1/qemu/140/config', tags=given)
    assert api.get('/nodes/pve1/qemu/140/config')['tags'] == stored
    api.wait_task(api.post('/nodes/pve1/qemu', vmid=141, tags=given))
    assert api.get('/nodes/pve1/qemu/141/config')['tags'] == stored
    api.wait_task(api.post('/nodes/pve1/lxc', vmid=240, ostemplate=TEMPLATE, rootfs='local-lvm:1', tags=given))
    assert api.get('/nodes/pve1/lxc/240/config')['tags'] == stored
    api.put('/nodes/pve1/lxc/240/config', tags='zz;' + given)
    assert api.get('/nodes/pve1/lxc/240/config')['tags'] == (
        'zz;' + stored if 'ordering=config' in (style or '') else stored + ';zz')


def test_cluster_options_readable_without_sys_audit(lab, api):
    """pve-manager PVE/API2/Cluster.pm get_options has `user => 'all'`, which pve-access-control
    src/PVE/RPCEnvironment.pm check_api2_permissions honours before its Sys.Audit check; without Sys.Audit only
    `console` and `tag-style` (and `allowed-tags`) are returned."""
    api.put('/cluster/options', **{'tag-style': 'case-sensitive=1'})
    lab.pve.apitokens['auditor@pve!t'] = 'secret'
    lab.pve.grant('auditor@pve', '/vms', 'VM.Audit')
    conn = lab.connection()
    other = PveClient(conn['api_host'], 'auditor@pve', token_id='t', token_secret='secret', port=conn['api_port'],
                      ca_path=conn['ca_path'])
    options = other.get('/cluster/options')
    assert options['tag-style'] == {'case-sensitive': 1} and 'keyboard' not in options
    assert 'keyboard' in api.get('/cluster/options')


# ---------------------------------------------------------------------- ipconfig

def test_ipconfig_write_replaces_the_whole_value(lab, api):
    """qemu-server src/PVE/API2/Qemu.pm update_vm_api stores an ipconfigN parameter as given (the whole property
    string; no merge with the old value), so a client that means to change one key must send the others."""
    clone_golden(api, 150)
    api.put('/nodes/pve1/qemu/150/config', ipconfig0='gw=10.0.0.1,ip=10.0.0.5/24,ip6=auto')
    api.put('/nodes/pve1/qemu/150/config', ipconfig0='ip=10.0.0.7/24')
    assert api.get('/nodes/pve1/qemu/150/config')['ipconfig0'] == 'ip=10.0.0.7/24'


# ---------------------------------------------------------------------- agent freeze-fs spelling

def test_agent_freeze_fs_spelling_depends_on_the_version(lab, api):
    """qemu-server src/PVE/QemuServer/Agent.pm: `freeze-fs` since 9.1.6 (`freeze-fs-on-backup` an alias); before
    (PVE 8, 9.0) only `freeze-fs-on-backup`, and pve-common JSONSchema.pm parse_property_string refuses an
    unknown key. pve-manager 9.2.0 requires qemu-server >= 9.1.11."""
    clone_golden(api, 160)
    assert api.get('/version')['version'] == '9.0.10'
    err = error_of(api.put, '/nodes/pve1/qemu/160/config', agent='1,freeze-fs=0')
    assert err.status == 400 and err.errors == {
        'agent': 'invalid format - invalid key in comma-separated list property: freeze-fs\n'}
    api.put('/nodes/pve1/qemu/160/config', agent='1,freeze-fs-on-backup=0')
    assert api.get('/nodes/pve1/qemu/160/config')['agent'] == '1,freeze-fs-on-backup=0'
    lab.pve.version, lab.pve.release_version = '9.2.4', '9.2'
    api.put('/nodes/pve1/qemu/160/config', agent='1,freeze-fs=0')
    assert api.get('/nodes/pve1/qemu/160/config')['agent'] == '1,freeze-fs=0'


def test_config_values_come_back_typed(lab, api):
    """qemu-server src/PVE/QemuServer.pm $confdesc and check_type: `memory` is a string (format memory_fmt),
    `cores` an integer, `onboot` a boolean read back as 1/0, whatever text the request sent; pve-container
    LXC/Config.pm check_type alike."""
    clone_golden(api, 170)
    api.put('/nodes/pve1/qemu/170/config', memory='2048', cores='3', onboot='true')
    config = api.get('/nodes/pve1/qemu/170/config')
    assert config['memory'] == '2048' and config['cores'] == 3 and config['onboot'] == 1
    pending = dict((i['key'], i) for i in api.get('/nodes/pve1/qemu/170/pending'))
    assert pending['cores']['value'] == 3
    api.wait_task(api.post('/nodes/pve1/lxc', vmid=270, ostemplate=TEMPLATE, rootfs='local-lvm:1', cores='2',
                           onboot='yes'))
    config = api.get('/nodes/pve1/lxc/270/config')
    assert config['cores'] == 2 and config['onboot'] == 1 and config['memory'] == 512
