"""The API client's own logic, no server: form encoding, the poll schedule, the retry policy, how library
exceptions become PveConnectionErrors, UPIDs. (The client against the lab: tests/integration/test_client.py.)"""

import itertools

import pytest

import requests
from urllib3.exceptions import ConnectTimeoutError, MaxRetryError, NewConnectionError, ProtocolError

from ansible_collections.iac.proxmox.plugins.module_utils._client import (
    PveClient, encode, parse_upid, poll_delays, retry_policy)
from ansible_collections.iac.proxmox.plugins.module_utils._errors import PveConnectionError


def offline_client():
    """A client for an endpoint nobody is asked: building one sends nothing (a token needs no login)."""
    return PveClient('pve.example', 'root@pam', token_id='ci', token_secret='secret', sleep=lambda s: None)


def test_form_values_cannot_add_fields():
    # A value with & and = stays one value: requests encodes the form key by key, lists as repeated keys.
    body = requests.Request('POST', 'https://pve.example/api2/json/x', data=encode(
        {'name': 'a&cores=64', 'tags': ['x', 'y z'], 'onboot': True, 'skip': None})).prepare().body
    assert body == 'name=a%26cores%3D64&tags=x&tags=y+z&onboot=1'


def test_poll_schedule_starts_short_and_is_capped():
    delays = list(itertools.islice(poll_delays(), 30))
    assert delays[0] <= 0.1
    assert all(a <= b for a, b in zip(delays, delays[1:]))
    assert max(delays) == 2.0
    assert sum(delays[:5]) < 1.0  # a task ending within a second is noticed quickly


def test_retries_back_off_within_about_five_seconds_in_all():
    # Eight tries wait at most about 5 s in all: a network blip is ridden out, an outage reported soon.
    retry = retry_policy(offline_client(), True)
    waits = []
    for _attempt in range(7):
        retry = retry.increment(method='GET', url='/version', error=ConnectTimeoutError('timed out'))
        waits.append(retry.get_backoff_time())
    assert waits[0] == 0 and all(a <= b for a, b in zip(waits, waits[1:])) and max(waits) <= 1.0
    assert sum(waits) < 5
    with pytest.raises(MaxRetryError):
        retry.increment(method='GET', url='/version', error=ConnectTimeoutError('timed out'))


def test_only_idempotent_requests_are_retried_after_the_request_went_out():
    client = offline_client()
    lost = ProtocolError('Connection aborted.', ConnectionResetError(104, 'Connection reset by peer'))
    assert retry_policy(client, True).increment(method='POST', url='/x', error=lost)
    with pytest.raises(ProtocolError):
        retry_policy(client, False).increment(method='POST', url='/x', error=lost)
    # Not connected at all: safe to repeat for any method.
    refused = NewConnectionError(None, 'Failed to establish a new connection: [Errno 111] Connection refused')
    assert retry_policy(client, False).increment(method='POST', url='/x', error=refused)


def wrapped(outer, inner):
    return outer(MaxRetryError(None, '/api2/json/x', inner))


@pytest.mark.parametrize('exc,sent,words', [
    (requests.exceptions.ConnectTimeout('connect timed out'), False, 'timed out after'),
    (requests.exceptions.ReadTimeout('read timed out'), None, 'no answer from'),
    (requests.exceptions.SSLError('certificate verify failed: self-signed certificate'), False, 'TLS verification'),
    (requests.exceptions.SSLError('Fingerprints did not match. Expected "aa", got "bb".'), False, 'tls_fingerprint'),
    (requests.exceptions.SSLError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: IP address mismatch, "
                                  "certificate is not valid for '192.0.2.10'. (_ssl.c:1006)"), False, 'give api_host a name'),
    (requests.exceptions.ProxyError('Cannot connect to proxy.'), False, 'HTTPS_PROXY'),
    (wrapped(requests.exceptions.ConnectionError,
             NewConnectionError(None, 'Failed to establish a new connection: [Errno 111] Connection refused')), False,
     'Connection refused'),
    (requests.exceptions.ConnectionError(ProtocolError('Connection aborted.', ConnectionResetError(
        104, 'Connection reset by peer'))), None, 'Connection reset by peer'),
    (requests.exceptions.ChunkedEncodingError('Connection broken: IncompleteRead'), None, 'IncompleteRead'),
])
def test_library_exceptions_say_whether_the_request_can_have_reached_pve(exc, sent, words):
    error = offline_client()._connection_error(exc, 'POST', '/nodes/pve1/qemu')
    assert isinstance(error, PveConnectionError) and error.sent is sent
    assert words in str(error), str(error)
    assert error.method == 'POST' and error.path == '/nodes/pve1/qemu'


def test_parse_upid():
    upid = 'UPID:pve2:000ABC:0001:65A0B0C0:qmstart:100:root@pam!ci:'
    assert parse_upid(upid) == {'node': 'pve2', 'type': 'qmstart', 'id': '100', 'user': 'root@pam!ci'}
    with pytest.raises(ValueError):
        parse_upid('nope')


@pytest.mark.parametrize('proxy', ['http://bob:s3c#retPW@proxy.example:3128', 'http://bob:s3cretPW@proxy.example:abc',
                                   'ftp://bob:s3cretPW@proxy.example:3128', 'socks5://bob:s3cretPW@proxy.example:1080'])
def test_a_malformed_proxy_url_fails_without_its_password_and_says_nothing_was_sent(monkeypatch, proxy):
    # An unencoded '#' in the proxy password cuts the URL there: urllib3's parse error quoted the password's start.
    for name in ('NO_PROXY', 'no_proxy', 'HTTP_PROXY', 'http_proxy', 'ALL_PROXY', 'all_proxy'):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv('HTTPS_PROXY', proxy)
    client = offline_client()
    with pytest.raises(PveConnectionError) as raised:
        client.get('/version')
    assert 's3c' not in str(raised.value) and 'bob' not in str(raised.value)
    assert 'proxy URL in the environment (HTTPS_PROXY' in str(raised.value) and 'percent-encode' in str(raised.value)
    assert 'nothing was sent' in str(raised.value) and raised.value.sent is False
