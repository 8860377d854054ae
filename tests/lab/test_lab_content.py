"""The lab's storage content: download-url really downloads (over loopback), upload stores the bytes, the
listing shows real sizes, delete removes. Each test cites the PVE source it follows."""

import hashlib
import io

import pytest

from imageserver import ImageServer
from labtools import error_of, task_error_of

IMAGE = b'QFI\xfb' + bytes(range(256)) * 40  # a small "image": 10,244 bytes
SHA256 = hashlib.sha256(IMAGE).hexdigest()


@pytest.fixture
def images():
    server = ImageServer({'/img/debian.qcow2': IMAGE, '/iso/tools.iso': IMAGE[:4096]})
    yield server
    server.stop()


@pytest.fixture
def tls_images(tmp_path):
    server = ImageServer({'/img/debian.qcow2': IMAGE}, tls_dir=str(tmp_path / 'imageca'))
    yield server
    server.stop()


def listing(api, storage='local', content='import', node='pve1'):
    return {item['volid']: item for item in api.get('/nodes/{0}/storage/{1}/content'.format(node, storage),
                                                    content=content)}


def download(api, server, path='/img/debian.qcow2', storage='local', node='pve1', **extra):
    data = dict({'url': server.url(path), 'content': 'import', 'filename': 'debian.qcow2'}, **extra)
    return api.post('/nodes/{0}/storage/{1}/download-url'.format(node, storage), **data)


def test_download_fetches_the_url_and_stores_the_real_size(lab, api, images):
    """pve-storage src/PVE/API2/Storage/Status.pm download_url -> pve-common src/PVE/Tools.pm
    download_file_from_url: the node fetches the URL in a `download` task; the file is as large as what came."""
    upid = download(api, images, checksum=SHA256, **{'checksum-algorithm': 'sha256'})
    assert ':download:debian.qcow2:' in upid
    api.wait_task(upid)
    assert images.requests == ['/img/debian.qcow2']
    item = listing(api)['local:import/debian.qcow2']
    assert item['size'] == len(IMAGE)
    assert item['format'] == 'qcow2'
    assert lab.pve.fetched == [images.url('/img/debian.qcow2')]


def test_wrong_checksum_fails_the_task_with_pves_message_and_leaves_no_file(lab, api, images):
    """pve-common src/PVE/Tools.pm download_file_from_url: "checksum mismatch: got '...' != expect '...'", and the
    temporary download is removed."""
    wrong = '0' * 64
    status = task_error_of(api, download(api, images, checksum=wrong, **{'checksum-algorithm': 'sha256'}))
    assert status == "checksum mismatch: got '{0}' != expect '{1}'".format(SHA256, wrong)
    assert 'local:import/debian.qcow2' not in listing(api)


def test_an_existing_file_is_never_overwritten(lab, api, images):
    """pve-common src/PVE/Tools.pm download_file_from_url (no allow_overwrite from download_url): without a
    checksum "refusing to override existing file"; with the right one the file is kept, with another one the task
    fails ("..., aborting")."""
    api.wait_task(download(api, images))
    status = task_error_of(api, download(api, images))
    assert status == "refusing to override existing file '/var/lib/vz/import/debian.qcow2'"
    api.wait_task(download(api, images, checksum=SHA256, **{'checksum-algorithm': 'sha256'}))
    assert images.requests == ['/img/debian.qcow2']  # not fetched again
    status = task_error_of(api, download(api, images, checksum='1' * 64, **{'checksum-algorithm': 'sha256'}))
    assert status == "checksum mismatch: got '{0}' != expect '{1}', aborting".format(SHA256, '1' * 64)


def test_https_is_verified_against_the_nodes_trusted_cas(lab, api, tls_images):
    """pve-common src/PVE/Tools.pm download_file_from_url: wget verifies the certificate unless
    verify-certificates is 0 (then --no-check-certificate); run_command's errmsg gives "download failed: " and
    wget's last line."""
    status = task_error_of(api, download(api, tls_images))
    assert status == "download failed: To connect to 127.0.0.1 insecurely, use `--no-check-certificate'."
    assert 'local:import/debian.qcow2' not in listing(api)
    api.wait_task(download(api, tls_images, **{'verify-certificates': 0}))
    assert listing(api)['local:import/debian.qcow2']['size'] == len(IMAGE)
    api.delete('/nodes/pve1/storage/local/content/local:import/debian.qcow2')
    lab.pve.node_cas.append(tls_images.ca_path)
    api.wait_task(download(api, tls_images))
    assert listing(api)['local:import/debian.qcow2']['size'] == len(IMAGE)


def test_a_missing_url_fails_the_download(lab, api, images):
    """pve-common src/PVE/Tools.pm download_file_from_url: wget's error (ERROR 404) after "download failed: "."""
    status = task_error_of(api, download(api, images, path='/img/nothing.qcow2'))
    assert status == 'download failed: ERROR 404: Not Found.'


def test_the_lab_reaches_loopback_only(lab, api):
    """The lab never leaves the machine: a download from anywhere else fails as an unresolvable host would."""
    upid = api.post('/nodes/pve1/storage/local/download-url', url='https://cloud.debian.org/x.qcow2',
                    content='import', filename='x.qcow2')
    assert task_error_of(api, upid).startswith('download failed: unable to resolve host address')
    assert lab.pve.fetched == []


def test_redirects_are_followed_on_loopback_only(lab, api, images):
    """wget follows redirects (pve-common src/PVE/Tools.pm download_file_from_url); the lab only to loopback."""
    images.files['/moved.qcow2'] = images.url('/img/debian.qcow2')
    images.files['/away.qcow2'] = 'https://cloud.debian.org/x.qcow2'
    api.wait_task(download(api, images, path='/moved.qcow2'))
    assert listing(api)['local:import/debian.qcow2']['size'] == len(IMAGE)
    upid = download(api, images, path='/away.qcow2', filename='away.qcow2')
    assert task_error_of(api, upid).startswith('download failed: unable to resolve host address')
    assert images.requests == ['/moved.qcow2', '/img/debian.qcow2', '/away.qcow2']


def test_download_checks_storage_content_and_name_before_the_task(lab, api, images):
    """pve-storage src/PVE/API2/Storage/Status.pm download_url: storage_check_enabled, a file-based storage, the
    content type configured, then the normalized file name's extension (raise_param_exc) - all before the task."""
    err = error_of(download, api, images, storage='local-lvm')
    assert err.message == "can't upload to storage type 'lvmthin', not a file based storage!"
    lab.pve.storages['local']['content'] = 'iso,vztmpl,backup,snippets'
    err = error_of(download, api, images)
    assert err.message == "storage 'local' is not configured for content-type 'import'"
    lab.pve.storages['local']['content'] = 'iso,vztmpl,backup,snippets,import'
    err = error_of(download, api, images, filename='debian.img')
    assert err.errors == {'filename': 'invalid filename or wrong extension'}
    err = error_of(download, api, images, content='iso', filename='tools.qcow2')
    assert err.errors == {'filename': 'wrong file extension'}
    err = error_of(download, api, images, content='vztmpl', filename='ct.tar.foo')
    assert err.errors == {'filename': 'wrong file extension'}
    err = error_of(download, api, images, url='ftp://127.0.0.1/x.qcow2')
    assert 'url' in err.errors
    err = error_of(download, api, images, storage='nosuch')
    assert err.message == "storage 'nosuch' does not exist"
    assert images.requests == [] and lab.pve.fetched == []


def test_download_normalizes_the_file_name(lab, api, images):
    """pve-storage src/PVE/Storage.pm normalize_content_filename: the last path part, other characters as '_'."""
    api.wait_task(download(api, images, path='/iso/tools.iso', content='iso', filename='../my tools.iso'))
    assert 'local:iso/my_tools.iso' in listing(api, content='iso')


def test_the_seeded_file_storages_take_import_content(lab, api):
    """pve-storage src/PVE/Storage/DirPlugin.pm / NFSPlugin.pm plugindata: `import` is a content type of the file
    storages (PVE 8.2+); the lab's local and nfs.01 have it, local-lvm (LVM-thin) cannot."""
    contents = {item['storage']: item['content'].split(',') for item in api.get('/nodes/pve1/storage')}
    assert 'import' in contents['local'] and 'import' in contents['nfs.01']
    assert 'import' not in contents['local-lvm']


def test_upload_stores_the_bytes_and_checks_the_checksum(lab, api):
    """pve-storage src/PVE/API2/Storage/Status.pm upload: content iso, vztmpl or import; the `imgcopy` task
    compares the checksum ("checksum mismatch: got '...' != expect '...'") and stores the uploaded file."""
    path = '/nodes/pve1/storage/local/upload'
    upid = api.upload(path, {'content': 'import', 'checksum': SHA256, 'checksum-algorithm': 'sha256'}, 'filename',
                      'up.qcow2', io.BytesIO(IMAGE))
    assert ':imgcopy:' in upid
    api.wait_task(upid)
    assert listing(api)['local:import/up.qcow2']['size'] == len(IMAGE)
    upid = api.upload(path, {'content': 'import', 'checksum': '2' * 64, 'checksum-algorithm': 'sha256'},
                      'filename', 'bad.qcow2', io.BytesIO(IMAGE))
    assert task_error_of(api, upid) == "checksum mismatch: got '{0}' != expect '{1}'".format(SHA256, '2' * 64)
    assert 'local:import/bad.qcow2' not in listing(api)
    # An upload overwrites: the listed size is the new file's.
    api.wait_task(api.upload(path, {'content': 'import'}, 'filename', 'up.qcow2', io.BytesIO(IMAGE[:100])))
    assert listing(api)['local:import/up.qcow2']['size'] == 100


def test_upload_checks_name_then_content(lab, api):
    """pve-storage src/PVE/API2/Storage/Status.pm upload: the extension check (raise_param_exc), then "storage
    '...' does not support '...' content"."""
    path = '/nodes/pve1/storage/{0}/upload'
    err = error_of(api.upload, path.format('local'), {'content': 'iso'}, 'filename', 'x.qcow2', io.BytesIO(b'x'))
    assert err.errors == {'filename': 'wrong file extension'}
    lab.pve.storages['nfs.01']['content'] = 'images,rootdir'
    err = error_of(api.upload, path.format('nfs.01'), {'content': 'iso'}, 'filename', 'x.iso', io.BytesIO(b'x'))
    assert err.message == "storage 'nfs.01' does not support 'iso' content"


def test_delete_removes_the_file(lab, api, images):
    """pve-storage src/PVE/API2/Storage/Content.pm delete: an `imgdel` task frees the volume."""
    api.wait_task(download(api, images))
    api.wait_task(api.delete('/nodes/pve1/storage/local/content/local:import/debian.qcow2'))
    assert 'local:import/debian.qcow2' not in listing(api)
