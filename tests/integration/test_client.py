"""The API client against the lab: auth, errors, retries, re-login, TLS, and adaptive task waiting. (Its
logic that needs no server: tests/unit/test_client_unit.py.)"""

import time

import certifi
import pytest

from ansible_collections.iac.proxmox.plugins.module_utils._client import PveClient, retry_policy
from ansible_collections.iac.proxmox.plugins.module_utils._errors import (
    PveApiError, PveConnectionError, PveTaskError, PveTimeoutError)
from pvelab import LabServer


def client_for(lab, auth='token', **kwargs):
    conn = lab.connection(auth=auth)
    return PveClient(conn['api_host'], conn['api_user'], password=conn.get('api_password'),
                     token_id=conn.get('api_token_id'), token_secret=conn.get('api_token_secret'),
                     port=conn['api_port'], ca_path=conn['ca_path'], **kwargs)


def test_token_auth_needs_no_login(lab):
    client = client_for(lab)
    assert client.get('/version')['version']
    assert client.stats['logins'] == 0
    assert [r[1] for r in lab.pve.api_requests()] == ['/version']


def test_password_login_once_and_relogin_after_ticket_expiry(lab):
    client = client_for(lab, auth='password')
    assert client.get('/nodes')
    assert client.stats['logins'] == 1
    lab.pve.revoke_tickets()  # every ticket is now invalid, as after expiry
    assert client.get('/nodes')
    assert client.stats['logins'] == 2
    paths = [r[1] for r in lab.pve.api_requests()]
    assert paths == ['/access/ticket', '/nodes', '/nodes', '/access/ticket', '/nodes']


def test_wrong_password_is_a_clear_error(lab):
    conn = lab.connection(auth='password')
    client = PveClient(conn['api_host'], 'root@pam', password='wrong', port=conn['api_port'], ca_path=conn['ca_path'])
    with pytest.raises(PveApiError) as err:
        client.get('/nodes')
    assert err.value.status == 401
    assert 'authentication failed for root@pam' in str(err.value)


def test_wrong_token_secret_is_a_401(lab):
    conn = lab.connection()
    client = PveClient(conn['api_host'], conn['api_user'], token_id=conn['api_token_id'], token_secret='nope',
                       port=conn['api_port'], ca_path=conn['ca_path'])
    with pytest.raises(PveApiError) as err:
        client.get('/nodes')
    assert err.value.status == 401 and err.value.message == 'authentication failure'


def test_pve_400_carries_field_errors(lab):
    client = client_for(lab)
    with pytest.raises(PveApiError) as err:
        client.post('/nodes/pve1/qemu', vmid=100, memory='lots', cores=0)
    exc = err.value
    assert exc.status == 400
    assert exc.message == 'Parameter verification failed.'
    assert set(exc.errors) >= {'cores'}
    assert str(exc).startswith('POST /nodes/pve1/qemu failed (HTTP 400): Parameter verification failed. ')
    assert 'cores: value must have a minimum value of 1' in str(exc)


def test_transient_error_retried_for_get_only(lab):
    client = client_for(lab, sleep=lambda s: None)
    lab.pve.fail('GET', '/version', 503, 'Service Unavailable', times=1)
    assert client.get('/version')
    assert client.stats['retries'] == 1
    lab.pve.fail('POST', '/nodes/pve1/qemu/9000/clone', 503, 'Service Unavailable', times=1)
    with pytest.raises(PveApiError) as err:
        client.post('/nodes/pve1/qemu/9000/clone', newid=120)
    assert err.value.status == 503
    assert not lab.pve.vm(120)


def test_a_ticket_renewal_leaves_the_retry_policy_of_the_request_it_was_made_for(lab):
    # proxmoxer renews a ticket an hour old while preparing the next request, after _send set that request's
    # retry policy on the connection; the login (retried as harmless) left its own policy there, so a write
    # after a renewal would be repeated on a lost answer or a 503.
    client = client_for(lab, auth='password', sleep=lambda s: None)
    adapter = client.session.get_adapter(client.base_url)
    adapter.max_retries = retry_policy(client, False)  # as _send sets it for a POST
    client.auth.pve_auth_ticket = client.login(lab.connection(auth='password')['api_password'])['ticket']
    client.auth._get_new_tokens()  # what proxmoxer's ProxmoxHTTPAuth.__call__ does for an hour-old ticket
    assert client.stats['logins'] == 2
    assert adapter.max_retries.read is False and adapter.max_retries.status == 0


def test_dropped_connections_retried_only_when_safe(tmp_path):
    server = LabServer(str(tmp_path / 'lab'))
    server.pve.flaky_network(drop_rate=0.3, seed=7)
    with server:
        client = client_for(server, sleep=lambda s: None, attempts=6)
        for attempt in range(20):
            assert client.get('/version')['version'], attempt
        assert client.stats['retries'] > 0
        # A POST whose connection is reset may have happened: it is not repeated blindly.
        outcomes = []
        for vmid in range(200, 215):
            try:
                client.post('/nodes/pve1/qemu', vmid=vmid)
                outcomes.append('ok')
            except PveConnectionError as exc:
                assert exc.sent is None
                outcomes.append('ambiguous')
        assert 'ambiguous' in outcomes
        posts = [r for r in server.pve.api_requests() if r[0] == 'POST']
        assert len(posts) <= 15  # never more than one attempt per create


def test_hanging_request_times_out_and_gives_up(tmp_path):
    server = LabServer(str(tmp_path / 'lab'), time_scale=0.01)
    server.pve.flaky_network(hang_rate=1.0, hang_secs=300)  # 3 real seconds per request
    with server:
        client = client_for(server, timeout=1, attempts=2, sleep=lambda s: None)
        start = time.monotonic()
        with pytest.raises(PveConnectionError) as err:
            client.get('/version')
        assert 'no answer from' in str(err.value) and 'within 1s' in str(err.value)
        assert time.monotonic() - start < 4
        assert client.stats['requests'] == 2


def test_a_write_without_an_answer_is_not_repeated_and_says_pve_may_have_done_it(tmp_path):
    server = LabServer(str(tmp_path / 'lab'), time_scale=0.01)
    server.pve.flaky_network(hang_rate=1.0, hang_secs=300)  # 3 real seconds per request
    with server:
        client = client_for(server, timeout=1, attempts=3, sleep=lambda s: None)
        with pytest.raises(PveConnectionError) as err:
            client.post('/nodes/pve1/qemu', vmid=120)
        assert err.value.sent is None and client.stats['requests'] == 1
        assert 'no answer from' in str(err.value) and 'PVE may have carried it out' in str(err.value), str(err.value)
        with pytest.raises(PveConnectionError) as read:
            client.get('/version')
        assert 'may have carried it out' not in str(read.value)  # a read changes nothing


def ca_bundle_environment(monkeypatch, path):
    """REQUESTS_CA_BUNDLE and CURL_CA_BUNDLE set to `path` for this test (monkeypatch restores them)."""
    monkeypatch.setenv('REQUESTS_CA_BUNDLE', path)
    monkeypatch.setenv('CURL_CA_BUNDLE', path)


def test_tls_verification_failure_is_explained(lab):
    conn = lab.connection()
    client = PveClient(conn['api_host'], 'root@pam', token_id='lab', token_secret=conn['api_token_secret'],
                       port=conn['api_port'], sleep=lambda s: None)
    with pytest.raises(PveConnectionError) as err:
        client.get('/version')
    assert err.value.sent is False
    assert 'certificate verify failed' in str(err.value) and 'ca_path' in str(err.value)
    assert lab.pve.api_requests() == []


def test_ca_path_wins_over_ca_bundle_environment(lab, monkeypatch):
    ca_bundle_environment(monkeypatch, certifi.where())
    assert client_for(lab).get('/version')


def test_refused_connection_is_not_sent(tmp_path):
    client = PveClient('127.0.0.1', 'root@pam', token_id='x', token_secret='y', port=1, attempts=2,
                       sleep=lambda s: None)
    with pytest.raises(PveConnectionError) as err:
        client.post('/nodes/pve1/qemu', vmid=100)
    assert err.value.sent is False
    assert 'Connection refused' in str(err.value)
    assert client.stats['retries'] == 1  # not sent, so safe to repeat even for a POST


@pytest.mark.lab(time_scale=0.01)
def test_task_wait_polls_adaptively(lab):
    vm = lab.pve.add_vm(300, 'waiter', node='pve1')
    vm.start_secs = 40  # 0.4 real seconds
    client = client_for(lab)
    upid = client.post('/nodes/pve1/qemu/300/status/start')
    start = time.monotonic()
    status = client.wait_task(upid)
    elapsed = time.monotonic() - start
    assert status['exitstatus'] == 'OK' and vm.status == 'running'
    # The schedule: immediately, then 50 ms growing by 1.5x: about 8 polls cover 0.4 s.
    assert client.stats['polls'] <= 9
    assert elapsed < 1.5


def test_finished_task_needs_one_poll_and_no_sleep(lab):
    lab.pve.add_vm(301, 'quick', node='pve1')
    sleeps = []
    client = client_for(lab, sleep=sleeps.append)
    client.wait_task(client.post('/nodes/pve1/qemu/301/status/start'))
    assert client.stats['polls'] == 1 and sleeps == []


def test_failed_task_reports_exit_status_and_log_tail(lab):
    vm = lab.pve.add_vm(302, 'broken', node='pve1')
    vm.start_error = 'start failed: QEMU exited with code 1'
    client = client_for(lab)
    upid = client.post('/nodes/pve1/qemu/302/status/start')
    with pytest.raises(PveTaskError) as err:
        client.wait_task(upid)
    exc = err.value
    assert exc.exitstatus == 'start failed: QEMU exited with code 1'
    assert exc.log[-1] == 'TASK ERROR: start failed: QEMU exited with code 1'
    assert 'task log (last' in str(exc) and upid in str(exc)


@pytest.mark.lab(time_scale=0.01)
def test_task_wait_timeout(lab):
    vm = lab.pve.add_vm(303, 'slow', node='pve1')
    vm.start_secs = 500  # 5 real seconds
    client = client_for(lab)
    upid = client.post('/nodes/pve1/qemu/303/status/start')
    with pytest.raises(PveTimeoutError):
        client.wait_task(upid, timeout=0.3)


# ---------------------------------------------------------------------- round trips

def test_requests_share_one_connection_and_are_counted(lab):
    client = client_for(lab)
    for _attempt in range(5):
        client.get('/version')
    assert client.stats['requests'] == 5 and client.connections() == [1]
    assert len(lab.pve.api_requests()) == 5


def test_get_all_answers_in_order_with_each_failure_in_its_place(lab):
    lab.pve.add_vm(310, 'pair', node='pve1')
    client = client_for(lab)
    status, pending, missing = client.get_all(['/nodes/pve1/qemu/310/status/current', '/nodes/pve1/qemu/310/pending',
                                               '/nodes/pve1/qemu/311/status/current'])
    assert status['name'] == 'pair' and status['status'] == 'stopped'
    assert {'key': 'name', 'value': 'pair'} in pending
    assert isinstance(missing, PveApiError) and 'does not exist' in missing.message
    assert client.stats['requests'] == 3 and client.stats['logins'] == 0
    # Its extra connections stay open for the next get_all; the first one carries on as before.
    client.get_all(['/version', '/version'])
    client.get('/version')
    assert client.connections() == [1, 1, 1]


def test_connections_share_one_tls_context_loaded_once_from_the_ca_bundle(lab, tmp_path, monkeypatch):
    """With verification from the environment's bundle (no ca_path), every connection of the client (get_all
    opens three here, at once) verifies with the one context that loaded the bundle, not a context of its own
    loaded again for each connection."""
    conn = lab.connection()
    bundle = tmp_path / 'bundle.pem'
    with open(certifi.where(), encoding='ascii') as public, open(conn['ca_path'], encoding='ascii') as lab_ca:
        bundle.write_text(public.read() + lab_ca.read(), encoding='ascii')
    ca_bundle_environment(monkeypatch, str(bundle))
    client = PveClient(conn['api_host'], 'root@pam', token_id='lab', token_secret=conn['api_token_secret'],
                       port=conn['api_port'])
    assert all(isinstance(answer, dict) for answer in client.get_all(['/version', '/version', '/version']))
    contexts = set()
    for session in [client.session] + client._spare:  # pylint: disable=protected-access
        pools = session.get_adapter(client.base_url).poolmanager.pools
        for key in pools.keys():
            contexts.update(id(c.sock.context) for c in pools[key].pool.queue if c is not None and c.sock)
    shared = client.ca_contexts.get(str(bundle))
    assert contexts == {id(shared)}
    assert shared.cert_store_stats()['x509_ca'] > 100  # certifi's CAs and the lab's


@pytest.mark.parametrize('source', ['ca_path', 'REQUESTS_CA_BUNDLE'])
def test_the_host_name_is_still_checked_and_a_mismatch_is_explained(lab, source, monkeypatch):
    """127.1 reaches the lab (it is 127.0.0.1), but the lab's certificate lists only localhost and 127.0.0.1:
    the shared TLS context checks the name as requests' own would, and the message says what to change."""
    conn = lab.connection()
    if source == 'REQUESTS_CA_BUNDLE':
        ca_bundle_environment(monkeypatch, conn['ca_path'])
    client = PveClient('127.1', 'root@pam', token_id='lab', token_secret=conn['api_token_secret'],
                       port=conn['api_port'], ca_path=conn['ca_path'] if source == 'ca_path' else None,
                       sleep=lambda s: None)
    with pytest.raises(PveConnectionError) as err:
        client.get('/version')
    assert err.value.sent is False
    assert "is not issued for '127.1'" in str(err.value) and 'api_host' in str(err.value)
    assert lab.pve.api_requests() == []


def test_get_all_with_a_password_logs_in_once(lab):
    client = client_for(lab, auth='password')
    assert [bool(r) for r in client.get_all(['/version', '/nodes'])] == [True, True]
    assert client.stats['logins'] == 1
    assert sorted(r[1] for r in lab.pve.api_requests()) == ['/access/ticket', '/nodes', '/version']
