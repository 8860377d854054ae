"""iac.proxmox.pve_storage_content end to end: real playbooks against the lab, which downloads from a web server
the test runs on loopback; asserting on results, the lab's storages and its request log."""

import hashlib

import pytest

from imageserver import ImageServer

IMAGE = b'QFI\xfb' + bytes(range(256)) * 64  # 16,388 bytes
SHA256 = hashlib.sha256(IMAGE).hexdigest()
VOLID = 'local:import/debian.qcow2'
DOWNLOAD = ('POST', '/nodes/pve1/storage/local/download-url')


@pytest.fixture
def images():
    server = ImageServer({'/img/debian.qcow2': IMAGE, '/iso/tools.iso': IMAGE[:8192]})
    yield server
    server.stop()


@pytest.fixture
def tls_images(tmp_path):
    server = ImageServer({'/img/debian.qcow2': IMAGE}, tls_dir=str(tmp_path / 'imageca'))
    yield server
    server.stop()


def content_task(name='content', **args):
    base = {'node': 'pve1', 'storage': 'local', 'content': 'import', 'filename': 'debian.qcow2'}
    base.update(args)
    return {'name': name, 'iac.proxmox.pve_storage_content': {k: v for k, v in base.items() if v is not None},
            'register': 'out'}


def stored(lab, volname='import/debian.qcow2', storage='local'):
    return lab.pve.storages[storage].get('volumes', {}).get(volname)


def test_download_then_unchanged_rerun(lab, play, images):
    url = images.url('/img/debian.qcow2')
    task = content_task(url=url, checksum=SHA256, checksum_algorithm='sha256')
    first = play([task]).assert_ok()
    result = first.task('content')
    assert result['changed'] is True
    assert first.write_calls == [DOWNLOAD]
    assert result['file'] == {'volid': VOLID, 'content': 'import', 'size': len(IMAGE), 'format': 'qcow2'}
    assert result['plan'] == ['download {0} to {1}'.format(url, VOLID)]
    assert stored(lab)['size'] == len(IMAGE)
    assert images.requests == ['/img/debian.qcow2']  # PVE fetched it, once

    second = play([task]).assert_ok()
    assert second.changed == 0 and second.writes == []
    assert second.calls == [('GET', '/nodes/pve1/storage'),
                            ('GET', '/nodes/pve1/storage/local/content')]
    assert images.requests == ['/img/debian.qcow2']


def test_https_download_verifies_the_certificate(lab, play, tls_images):
    url = tls_images.url('/img/debian.qcow2')
    refused = play([content_task(url=url)])
    assert refused.rc != 0
    msg = refused.task('content')['msg']
    assert "download failed: To connect to 127.0.0.1 insecurely, use `--no-check-certificate'." in msg
    assert stored(lab) is None
    # Once the nodes trust the server's CA, the verified download works.
    lab.pve.node_cas.append(tls_images.ca_path)
    run = play([content_task(url=url)]).assert_ok()
    assert run.changed == 1 and stored(lab)['size'] == len(IMAGE)
    assert b'verify-certificates=1' in run.writes[0][2]


def test_verify_certificates_false_downloads_from_an_untrusted_server(lab, play, tls_images):
    run = play([content_task(url=tls_images.url('/img/debian.qcow2'), verify_certificates=False)]).assert_ok()
    assert run.changed == 1 and stored(lab)['size'] == len(IMAGE)
    assert b'verify-certificates=0' in run.writes[0][2]


def test_check_mode_writes_nothing_and_shows_the_plan(lab, play, images):
    url = images.url('/img/debian.qcow2')
    run = play([content_task(url=url)], check=True, diff=True).assert_ok()
    result = run.task('content')
    assert result['changed'] is True
    assert result['plan'] == ['download {0} to {1}'.format(url, VOLID)]
    assert result['diff'] == {'before': {}, 'after': {'volid': VOLID, 'content': 'import'}}
    assert run.writes == [] and stored(lab) is None and images.requests == []


def test_diff_shows_the_file_before_and_after(lab, play, images):
    run = play([content_task(url=images.url('/img/debian.qcow2'))], diff=True).assert_ok()
    diff = run.task('content')['diff']
    assert diff['before'] == {}
    assert diff['after'] == {'volid': VOLID, 'content': 'import', 'size': len(IMAGE), 'format': 'qcow2'}
    assert '"volid": "local:import/debian.qcow2"' in run.stdout
    gone = play([content_task(state='absent')], diff=True).assert_ok()
    assert gone.task('content')['diff'] == {'before': diff['after'], 'after': {}}


def test_force_downloads_again(lab, play, images):
    url = images.url('/img/debian.qcow2')
    play([content_task(url=url)]).assert_ok()
    images.files['/img/debian.qcow2'] = IMAGE + IMAGE
    run = play([content_task(url=url, force=True)]).assert_ok()
    assert run.changed == 1
    # PVE never overwrites a download: the module deletes the file first.
    assert run.write_calls == [('DELETE', '/nodes/pve1/storage/local/content/' + VOLID), DOWNLOAD]
    assert stored(lab)['size'] == 2 * len(IMAGE)
    assert images.requests == ['/img/debian.qcow2', '/img/debian.qcow2']
    check = play([content_task(url=url, force=True)], check=True).assert_ok()
    assert check.writes == [] and len(check.task('content')['plan']) == 2


def test_upload_from_src(lab, play, tmp_path):
    src = tmp_path / 'tools.iso'
    src.write_bytes(IMAGE[:8192])
    task = content_task(content='iso', filename='tools.iso', src=str(src), checksum=hashlib.sha1(
        IMAGE[:8192]).hexdigest(), checksum_algorithm='sha1')
    run = play([task]).assert_ok()
    assert run.write_calls == [('POST', '/nodes/pve1/storage/local/upload')]
    assert run.task('content')['file']['size'] == 8192
    assert stored(lab, 'iso/tools.iso')['size'] == 8192
    assert lab.pve.uploaded['data'] == IMAGE[:8192]
    again = play([task]).assert_ok()
    assert again.changed == 0 and again.writes == []
    # A different local file (by size) is uploaded again.
    src.write_bytes(IMAGE)
    changed = play([content_task(content='iso', filename='tools.iso', src=str(src))]).assert_ok()
    assert changed.changed == 1 and stored(lab, 'iso/tools.iso')['size'] == len(IMAGE)


def test_absent_deletes_and_is_idempotent(lab, play, images):
    play([content_task(url=images.url('/img/debian.qcow2'))]).assert_ok()
    run = play([content_task(state='absent')]).assert_ok()
    assert run.task('content')['changed'] is True
    assert run.write_calls == [('DELETE', '/nodes/pve1/storage/local/content/' + VOLID)]
    assert stored(lab) is None
    # Checking the guests: the guest list, then the configs of the guests on pve1 (local is not shared).
    delete = run.calls.index(('DELETE', '/nodes/pve1/storage/local/content/' + VOLID))
    assert sorted(run.calls[2:delete]) == [('GET', '/cluster/resources'), ('GET', '/nodes/pve1/qemu/9000/config'),
                                           ('GET', '/nodes/pve1/qemu/9001/config')]
    again = play([content_task(state='absent')]).assert_ok()
    assert again.changed == 0 and again.writes == []


def test_absent_refused_while_a_vm_uses_the_iso(lab, play, images):
    play([content_task(content='iso', filename='tools.iso', url=images.url('/iso/tools.iso'))]).assert_ok()
    config = {'ide2': 'local:iso/tools.iso,media=cdrom', 'memory': '1024'}
    lab.pve.add_vm(120, 'uses-iso', node='pve1', config=config)
    run = play([content_task(content='iso', filename='tools.iso', state='absent')])
    assert run.rc != 0
    msg = run.task('content')['msg']
    assert 'local:iso/tools.iso is in use by guest 120 (uses-iso) on pve1: ide2' in msg
    assert run.writes == []
    assert stored(lab, 'iso/tools.iso') is not None
    check = play([content_task(content='iso', filename='tools.iso', state='absent')], check=True)
    assert check.rc != 0 and check.writes == []


def test_wrong_checksum_fails_with_pves_message_and_leaves_no_file(lab, play, images):
    wrong = 'f' * 64
    run = play([content_task(url=images.url('/img/debian.qcow2'), checksum=wrong, checksum_algorithm='sha256')])
    assert run.rc != 0
    result = run.task('content')
    assert "checksum mismatch: got '{0}' != expect '{1}'".format(SHA256, wrong) in result['msg']
    assert result['exitstatus'] == "checksum mismatch: got '{0}' != expect '{1}'".format(SHA256, wrong)
    assert stored(lab) is None


@pytest.mark.parametrize('args, option, words', [
    ({'url': 'ftp://127.0.0.1/debian.qcow2'}, 'url', 'must be an http:// or https:// URL'),
    ({'filename': 'debian.img'}, 'filename', 'invalid filename or wrong extension'),
    ({'content': 'iso', 'filename': 'debian.qcow2'}, 'filename', 'wrong file extension'),
    ({'content': 'vztmpl', 'filename': 'ct.zip'}, 'filename', 'wrong file extension'),
    ({'filename': 'my image.qcow2'}, 'filename', "PVE would store it as 'my_image.qcow2'"),
    ({'storage': 'local-lvm'}, 'storage', "storage 'local-lvm' is not configured for content-type 'import'"),
    ({'storage': 'nosuch'}, 'storage', 'no such storage on node pve1'),
    ({'node': 'pve9'}, 'node', 'no such node in the cluster (nodes: pve1, pve2)'),
    ({'checksum': 'abc', 'checksum_algorithm': 'sha256'}, 'checksum', 'is not a sha256 checksum'),
])
def test_bad_input_refused_before_any_write(lab, play, images, args, option, words):
    task = content_task(url=images.url('/img/debian.qcow2'))
    task['iac.proxmox.pve_storage_content'].update(args)
    run = play([task])
    assert run.rc != 0
    result = run.task('content')
    assert result['option'] == option
    assert words in result['msg']
    assert run.writes == [] and images.requests == []


def test_running_download_is_waited_for(lab, play, images, api_client):
    lab.pve.time_scale = 0.001  # tasks run in the background
    images.gate.clear()  # the web server holds its answer: the download runs on...
    # ... until the module asks for the task's status.
    lab.pve.before_next('GET', '/status', images.gate.set)
    upid = api_client.post('/nodes/pve1/storage/local/download-url', url=images.url('/img/debian.qcow2'),
                           content='import', filename='debian.qcow2')
    run = play([content_task(url=images.url('/img/debian.qcow2'))]).assert_ok()
    result = run.task('content')
    assert result['changed'] is False and result['waited_for'] == upid
    assert run.writes == []
    assert result['file']['size'] == len(IMAGE)
    assert images.requests == ['/img/debian.qcow2']


@pytest.fixture
def api_client(lab):
    from ansible_collections.iac.proxmox.plugins.module_utils._client import PveClient
    conn = lab.connection()
    return PveClient(conn['api_host'], conn['api_user'], token_id=conn['api_token_id'],
                     token_secret=conn['api_token_secret'], port=conn['api_port'], ca_path=conn['ca_path'])
