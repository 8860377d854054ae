"""The lab's storage content info of import images, which pve_vm's import_from reads before any write. Each
test names the PVE source file and function it follows."""

from labtools import error_of

IMAGE = 'local:import/debian-12-genericcloud.qcow2'
QCOW2_4G = b'QFI\xfb' + b'\x00\x00\x00\x03' + b'\x00' * 16 + (4 * 1024 ** 3).to_bytes(8, 'big') + b'\x00' * 32


def test_content_info_of_an_import_image_is_its_virtual_size(lab, api):
    """pve-storage src/PVE/API2/Storage/Content.pm info -> src/PVE/Storage.pm volume_size_info -> Plugin.pm
    file_size_info: GET .../content/{volume} answers an image's virtual size (a qcow2's header, as qemu-img
    info reads it), not the file's size, which `used` is; a raw image's size is its file's."""
    info = api.get('/nodes/pve1/storage/local/content/' + IMAGE)
    assert info['size'] == 2 * 1024 ** 3 and info['format'] == 'qcow2' and info['used'] < 1024 ** 2
    lab.pve.store_image('local', 'big.qcow2', QCOW2_4G)
    assert api.get('/nodes/pve1/storage/local/content/local:import/big.qcow2')['size'] == 4 * 1024 ** 3
    lab.pve.store_image('local', 'tiny.raw', b'x' * 3000)
    assert api.get('/nodes/pve1/storage/local/content/local:import/tiny.raw')['size'] == 3000


def test_content_info_of_a_missing_or_broken_image_fails(lab, api):
    """pve-storage src/PVE/Storage.pm volume_size_info / Plugin.pm file_size_info: no size for a missing file or
    one qemu-img cannot read as qcow2 (the lab's wording follows fakepve's `... failed - no format`)."""
    err = error_of(api.get, '/nodes/pve1/storage/local/content/local:import/missing.qcow2')
    assert 'failed' in err.message
    lab.pve.store_image('local', 'bad.qcow2', b'not a qcow2 image')
    err = error_of(api.get, '/nodes/pve1/storage/local/content/local:import/bad.qcow2')
    assert "volume_size_info on 'local:import/bad.qcow2' failed" in err.message
