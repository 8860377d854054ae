"""The property-string codec: exact round trips of what PVE writes, safety against injected keys, volume IDs
and sizes."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.iac.proxmox.plugins.module_utils import _propstring as ps

# Strings exactly as PVE writes them (qemu-server, pve-container, pve-guest-common, pve-manager).
PVE_STRINGS = [
    (ps.DRIVE, 'local-lvm:vm-100-disk-0,discard=on,iothread=1,size=32G,ssd=1'),
    (ps.DRIVE, 'nfs.01:100/vm-100-disk-0.qcow2,backup=0,cache=writeback,size=8G'),
    (ps.DRIVE, 'local-lvm:vm-9000-cloudinit,media=cdrom'),
    (ps.DRIVE, 'local-lvm:base-9000-disk-0,efitype=4m,pre-enrolled-keys=1,size=528K'),
    (ps.DRIVE, 'local-lvm:vm-100-disk-1,size=4M,version=v2.0'),
    (ps.DRIVE, 'none,media=cdrom'),
    (ps.NET, 'virtio=BC:24:11:9A:00:01,bridge=vmbr0'),
    (ps.NET, 'virtio=BC:24:11:9A:00:01,bridge=vmbr0,firewall=1,link_down=1,mtu=9000,rate=12.5,tag=42'),
    (ps.NET, 'e1000=BC:24:11:9A:00:02,bridge=vmbr1,trunks=10;20;30-40'),
    (ps.NET, 'virtio,bridge=vmbr0'),
    (ps.VIRTIOFS, 'shared-data'),
    (ps.VIRTIOFS, 'shared-data,cache=always,direct-io=1,expose-acl=1'),
    (ps.HOSTPCI, '0000:01:00,pcie=1,x-vga=1'),
    (ps.HOSTPCI, '0000:01:00.0;0000:01:00.1,pcie=1,rombar=0'),
    (ps.HOSTPCI, 'mapping=gpu,pcie=1'),
    (ps.HOSTPCI, '0000:00:02.0,legacy-igd=1,mdev=i915-GVTg_V5_4'),
    (ps.AGENT, '1,fstrim_cloned_disks=1'),
    (ps.IPCONFIG, 'gw=10.0.0.1,ip=10.0.0.5/24'),
    (ps.IPCONFIG, 'ip=dhcp,ip6=auto'),
    (ps.BOOT, 'order=scsi0;ide2;net0'),
    (ps.DIR_MAP, 'node=pve1,path=/srv/shared-data'),
    (ps.PCI_MAP, 'id=10de:2204,node=pve1,path=0000:01:00.0,iommugroup=14,subsystem-id=1043:87b3'),
    (ps.PCI_MAP, 'id=10de:2204,node=pve1,path=0000:01:00.0;0000:01:00.1'),
    (ps.LXC_NET, 'name=eth0,bridge=vmbr0,firewall=1,gw=10.0.0.1,hwaddr=BC:24:11:00:00:10,ip=10.0.0.10/24,type=veth'),
    (ps.LXC_MOUNT, 'local-lvm:vm-101-disk-1,mp=/data,backup=1,size=8G'),
    (ps.LXC_MOUNT, '/srv/host-dir,mp=/mnt/host,ro=1'),
    (ps.LXC_ROOTFS, 'local-lvm:vm-101-disk-0,size=8G'),
    (ps.LXC_FEATURES, 'keyctl=1,nesting=1'),
    (ps.STARTUP, 'order=2,up=30'),
]


@pytest.mark.parametrize('fmt,text', PVE_STRINGS)
def test_pve_strings_round_trip_exactly(fmt, text):
    assert fmt.format(fmt.parse(text)) == text


def test_parse_resolves_aliases_and_key_alias():
    assert ps.NET.parse('virtio=BC:24:11:9A:00:01,bridge=vmbr0') == {
        'model': 'virtio', 'macaddr': 'BC:24:11:9A:00:01', 'bridge': 'vmbr0'}
    assert ps.NET.parse('model=e1000,macaddr=BC:24:11:9A:00:01') == {'model': 'e1000', 'macaddr': 'BC:24:11:9A:00:01'}
    assert ps.NET.format({'model': 'e1000', 'macaddr': 'BC:24:11:9A:00:01'}) == 'e1000=BC:24:11:9A:00:01'
    assert ps.DRIVE.parse('volume=local:iso/a.iso,media=cdrom') == {'file': 'local:iso/a.iso', 'media': 'cdrom'}
    assert ps.AGENT.parse('enabled=1,freeze-fs-on-backup=0') == {'enabled': '1', 'freeze-fs': '0'}


def test_bare_startup_order_is_written_with_its_key():
    assert ps.STARTUP.parse('2,up=30') == {'order': '2', 'up': '30'}
    assert ps.STARTUP.format(ps.STARTUP.parse('2,up=30')) == 'order=2,up=30'


def test_lists_are_split_on_semicolons():
    assert ps.HOSTPCI.parse('0000:01:00.0;0000:01:00.1,pcie=1')['host'] == ['0000:01:00.0', '0000:01:00.1']
    assert ps.BOOT.parse('order=scsi0;net0') == {'order': ['scsi0', 'net0']}
    assert ps.HOSTPCI.format({'host': ['0000:01:00'], 'pcie': True, 'x-vga': False}) == '0000:01:00,pcie=1,x-vga=0'


def test_format_orders_default_then_required_then_sorted():
    data = {'ip': 'dhcp', 'bridge': 'vmbr0', 'type': 'veth', 'name': 'eth0', 'hwaddr': 'BC:24:11:00:00:10'}
    assert ps.LXC_NET.format(data) == 'name=eth0,bridge=vmbr0,hwaddr=BC:24:11:00:00:10,ip=dhcp,type=veth'
    assert ps.LXC_MOUNT.format({'size': '8G', 'mp': '/data', 'volume': 'local-lvm:8'}) == 'local-lvm:8,mp=/data,size=8G'


@pytest.mark.parametrize('fmt,data', [
    (ps.DIR_MAP, {'node': 'pve1', 'path': '/srv/a,node=pve2'}),
    (ps.DIR_MAP, {'node': 'pve1', 'path': '/srv/a\nnode=pve2'}),
    (ps.VIRTIOFS, {'dirid': 'data=1'}),
    (ps.HOSTPCI, {'host': ['0000:01:00.0;0000:02:00.0']}),
    (ps.HOSTPCI, {'host': '0000:01:00.0,mapping=evil'}),
    (ps.NET, {'model': 'virtio', 'bridge': 'vmbr0,firewall=0'}),
    (ps.DRIVE, {'file': 'local:1', 'bad key': '1'}),
    (ps.DRIVE, {'file': 'local:1', 'size=1,x': '1'}),
])
def test_unsafe_values_can_not_smuggle_keys(fmt, data):
    with pytest.raises(ValueError):
        fmt.format(data)


SAFE_TEXT = st.text(alphabet=st.characters(blacklist_characters=',\n\r\x00=;', blacklist_categories=('Cs',)),
                    min_size=1, max_size=20).filter(lambda s: s.strip() == s and s != '')
KEY = st.from_regex(r'\A[a-z][a-z0-9_-]{0,10}\Z')


@settings(max_examples=300, deadline=None)
@given(st.sampled_from([ps.DRIVE, ps.VIRTIOFS, ps.DIR_MAP, ps.LXC_NET, ps.LXC_MOUNT, ps.IPCONFIG, ps.HOSTPCI]),
       st.dictionaries(KEY, SAFE_TEXT, max_size=6), st.one_of(st.none(), SAFE_TEXT))
def test_format_then_parse_is_identity(fmt, data, default_value):
    data = {fmt.aliases.get(k, k): v for k, v in data.items() if k not in fmt.lists and k != fmt.default_key}
    if fmt.default_key and default_value is not None:
        data[fmt.default_key] = [default_value] if fmt.default_key in fmt.lists else default_value
    text = fmt.format(data)
    assert fmt.parse(text) == data
    assert fmt.format(fmt.parse(text)) == text


@settings(max_examples=200, deadline=None)
@given(st.lists(st.from_regex(r'\A[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}(\.[0-7])?\Z'), min_size=1, max_size=4),
       st.booleans(), st.sampled_from([None, 'gpu', 'nic-pool']))
def test_hostpci_lists_round_trip(hosts, pcie, mapping):
    data = {'pcie': '1' if pcie else '0'}
    if mapping:
        data['mapping'] = mapping
    else:
        data['host'] = hosts
    assert ps.HOSTPCI.parse(ps.HOSTPCI.format(data)) == data


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=30))
def test_any_value_either_formats_safely_or_is_refused(value):
    try:
        text = ps.DIR_MAP.format({'node': 'pve1', 'path': value})
    except ValueError:
        assert set(value) & set(',\n\r\x00')
        return
    assert ps.DIR_MAP.parse(text) == {'node': 'pve1', 'path': value} or value == ''


@pytest.mark.parametrize('volid,expected', [
    ('nfs.01:vm-100-disk-0', ('nfs.01', 'vm-100-disk-0')),
    ('nfs.01:100/vm-100-disk-0.qcow2', ('nfs.01', '100/vm-100-disk-0.qcow2')),
    ('local:iso/debian-12.5.0-amd64-netinst.iso', ('local', 'iso/debian-12.5.0-amd64-netinst.iso')),
    ('ceph.pool.a:vm-1-disk-0', ('ceph.pool.a', 'vm-1-disk-0')),
    ('local:vztmpl/a:b.tar.zst', ('local', 'vztmpl/a:b.tar.zst')),
])
def test_volume_ids_split_on_the_first_colon(volid, expected):
    assert ps.split_volume_id(volid) == expected


def test_dotted_storage_inside_a_drive_string():
    drive = ps.DRIVE.parse('nfs.01:vm-100-disk-0,size=32G')
    assert ps.split_volume_id(drive['file']) == ('nfs.01', 'vm-100-disk-0')


def test_volume_id_without_storage_is_refused():
    with pytest.raises(ValueError):
        ps.split_volume_id('vm-100-disk-0')


@pytest.mark.parametrize('text,size', [('32G', 32 * 1024 ** 3), ('528K', 528 * 1024), ('4M', 4 * 1024 ** 2),
                                       ('1.5T', int(1.5 * 1024 ** 4)), (4096, 4096), ('100', 100), ('32GiB', 32 * 1024 ** 3)])
def test_parse_size(text, size):
    assert ps.parse_size(text) == size


@pytest.mark.parametrize('size,text', [(32 * 1024 ** 3, '32G'), (528 * 1024, '528K'), (1536 * 1024 ** 2, '1536M'),
                                       (1024 ** 4, '1T'), (1000, '1000')])
def test_format_size_like_pve(size, text):
    assert ps.format_size(size) == text


@given(st.integers(min_value=1, max_value=2 ** 50))
def test_size_round_trip(size):
    assert ps.parse_size(ps.format_size(size)) == size


@pytest.mark.parametrize('bad', ['', 'G', '12X', '-1G', True, '1,5G'])
def test_bad_sizes_are_refused(bad):
    with pytest.raises(ValueError):
        ps.parse_size(bad)
