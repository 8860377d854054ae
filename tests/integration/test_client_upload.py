"""PveClient.upload: multipart/form-data as PVE's upload API takes it, with a ticket (CSRF token) or a token,
and the whole file sent again when an expired ticket makes the client log in and repeat."""

import io

from ansible_collections.iac.proxmox.plugins.module_utils._client import PveClient

DATA = bytes(range(256)) * 16


def client_for(lab, auth):
    conn = lab.connection(auth=auth)
    return PveClient(conn['api_host'], conn['api_user'], password=conn.get('api_password'),
                     token_id=conn.get('api_token_id'), token_secret=conn.get('api_token_secret'),
                     port=conn['api_port'], ca_path=conn['ca_path'])


def test_upload_sends_fields_then_the_file_named_as_the_target(lab):
    client = client_for(lab, 'token')
    upid = client.upload('/nodes/pve1/storage/local/upload', {'content': 'iso'}, 'filename', 'target.iso',
                         io.BytesIO(DATA))
    client.wait_task(upid)
    assert lab.pve.uploaded['filename'] == 'target.iso'
    assert lab.pve.uploaded['content'] == 'iso'
    assert lab.pve.uploaded['data'] == DATA
    method, path, _body = lab.pve.api_requests()[0]
    assert (method, path) == ('POST', '/nodes/pve1/storage/local/upload')


def test_upload_after_ticket_expiry_sends_the_whole_file_again(lab):
    client = client_for(lab, 'password')
    assert client.get('/version')
    lab.pve.revoke_tickets()
    handle = io.BytesIO(DATA)
    client.wait_task(client.upload('/nodes/pve1/storage/local/upload', {'content': 'iso'}, 'filename', 'again.iso',
                                   handle))
    assert client.stats['logins'] == 2
    assert lab.pve.uploaded['data'] == DATA
    assert lab.pve.storages['local']['volumes']['iso/again.iso']['size'] == len(DATA)
