"""Connection options: environment fallbacks, TLS verification against the lab CA, ca_path precedence."""

import hashlib
import re
import socket
import ssl
import subprocess
import sys
import time

import certifi
import pytest

from labtools import WAYS, run_modules, shadow_proxmoxer


@pytest.fixture(params=WAYS)
def play(request, play):  # pylint: disable=redefined-outer-name
    """Each test of this file runs twice: modules in the worker, and each in its own process."""
    return run_modules(request.param, play)


def mapping_task(**conn):
    args = {'id': 'shared-data', 'map': [{'node': 'pve1', 'path': '/srv/shared-data'}]}
    args.update(conn)
    return {'name': 'mapping', 'iac.proxmox.pve_dir_mapping': args}


def test_environment_variables_alone_configure_the_connection(lab, play):
    conn = lab.connection()
    env = {'PROXMOX_HOST': conn['api_host'], 'PROXMOX_PORT': str(conn['api_port']),
           'PROXMOX_USER': conn['api_user'], 'PROXMOX_TOKEN_ID': conn['api_token_id'],
           'PROXMOX_TOKEN_SECRET': conn['api_token_secret'], 'PROXMOX_CA_PATH': conn['ca_path']}
    run = play([mapping_task()], auth=None, env=env).assert_ok()
    assert run.changed == 1 and 'shared-data' in lab.pve.mappings['dir']


def test_ca_path_wins_over_requests_ca_bundle(lab, play):
    # These machines (and AWX execution environments) export CA bundle variables that do not hold the lab's
    # CA; requests would let them override a session's verify path. ca_path must still be used.
    bundle = certifi.where()
    env = {'REQUESTS_CA_BUNDLE': bundle, 'CURL_CA_BUNDLE': bundle}
    run = play([mapping_task()], env=env).assert_ok()
    assert run.changed == 1


def test_tls_is_verified_by_default(lab, play):
    conn = lab.connection()
    conn.pop('ca_path')
    run = play([mapping_task(**conn)], auth=None, env={'REQUESTS_CA_BUNDLE': certifi.where()})
    result = run.task('mapping')
    assert result['failed'] is True
    assert 'TLS verification of https://127.0.0.1:{0}/api2/json failed'.format(conn['api_port']) in result['msg']
    assert 'ca_path' in result['msg']
    assert run.requests == []  # nothing reached the API


@pytest.mark.parametrize('setting,value,words', [
    ('ca_path', 'missing.pem', 'the file does not exist'),
    ('ca_path', 'not-a-cert.pem', 'holds no PEM certificate'),
    ('api_host', 'https://127.0.0.1:8006/', 'not a URL'),
    ('api_host', '127.0.0.1:8006', 'api_port'),
])
def test_bad_connection_settings_fail_naming_the_option_before_any_request(lab, play, tmp_path, setting, value,
                                                                           words):
    conn = lab.connection()
    if setting == 'ca_path':
        (tmp_path / 'not-a-cert.pem').write_text('hello\n')
        value = str(tmp_path / value)
    conn[setting] = value
    run = play([mapping_task(**conn)], auth=None)
    result = run.task('mapping')
    assert result['failed'] is True
    assert result['msg'].startswith(setting + ': ') and words in result['msg'], result['msg']
    assert 'MODULE FAILURE' not in run.output and 'Traceback' not in run.output
    assert run.requests == []


# ---------------------------------------------------------------------- what requests and urllib3 give users

def lab_fingerprint(lab):
    """The SHA-256 fingerprint of the lab's certificate, as `pvenode cert info` shows one: AB:CD:..."""
    conn = lab.connection()
    der = ssl.PEM_cert_to_DER_cert(ssl.get_server_certificate((conn['api_host'], conn['api_port'])))
    digest = hashlib.sha256(der).hexdigest().upper()
    return ':'.join(digest[i:i + 2] for i in range(0, len(digest), 2))


@pytest.fixture
def proxy(tmp_path):
    """A CONNECT proxy on loopback (pproxy); `proxy.tunnels()` lists the host:port of every tunnel it opened."""
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        port = probe.getsockname()[1]
    log_path = tmp_path / 'proxy.log'
    log = open(log_path, 'w')
    proc = subprocess.Popen([sys.executable, '-u', '-m', 'pproxy', '-l', 'http://127.0.0.1:{0}'.format(port), '-v'],
                            stdout=log, stderr=subprocess.STDOUT)
    deadline, delay = time.monotonic() + 20, 0.01
    while 'Serving on' not in log_path.read_text():
        assert proc.poll() is None and time.monotonic() < deadline, log_path.read_text()
        time.sleep(delay)
        delay = min(0.2, delay * 2)

    class Proxy(object):
        url = 'http://127.0.0.1:{0}'.format(port)

        @staticmethod
        def tunnels():
            return re.findall(r'^http \S+ -> (\S+)$', log_path.read_text(), re.M)
    try:
        yield Proxy
    finally:
        proc.terminate()
        proc.wait(10)
        log.close()


def test_https_proxy_carries_the_requests_and_no_proxy_bypasses_it(lab, play, proxy):
    target = '127.0.0.1:{0}'.format(lab.connection()['api_port'])
    env = {'HTTPS_PROXY': proxy.url, 'https_proxy': proxy.url, 'NO_PROXY': '', 'no_proxy': ''}
    run = play([mapping_task()], env=env).assert_ok()
    assert run.changed == 1 and len(run.requests) >= 2
    assert target in proxy.tunnels()
    through = len(proxy.tunnels())
    bypass = dict(env, NO_PROXY='127.0.0.1', no_proxy='127.0.0.1')
    again = play([mapping_task(description='moved')], env=bypass).assert_ok()
    assert again.changed == 1 and again.writes
    assert len(proxy.tunnels()) == through  # NO_PROXY: straight to the lab


def test_tls_fingerprint_trusts_a_self_signed_cluster_without_a_ca(lab, play):
    conn = lab.connection()
    conn.pop('ca_path')
    # The machine's CA bundles do not hold the lab's CA: only the pinned fingerprint can make this work.
    env = {'REQUESTS_CA_BUNDLE': certifi.where(), 'CURL_CA_BUNDLE': certifi.where()}
    run = play([mapping_task(tls_fingerprint=lab_fingerprint(lab), **conn)], auth=None, env=env).assert_ok()
    assert run.changed == 1 and 'WARNING' not in run.stderr
    by_env = play([mapping_task(description='by env', **conn)], auth=None,
                  env=dict(env, PROXMOX_TLS_FINGERPRINT=lab_fingerprint(lab).replace(':', '').lower())).assert_ok()
    assert by_env.changed == 1


def test_a_wrong_tls_fingerprint_fails_before_any_request_naming_the_option(lab, play):
    conn = lab.connection()
    conn.pop('ca_path')
    wrong = ':'.join(['AB'] * 32)
    for auth in ('token', 'password'):
        settings = dict(lab.connection(auth=auth), tls_fingerprint=wrong)
        settings.pop('ca_path')
        run = play([mapping_task(**settings)], auth=None)
        result = run.task('mapping')
        assert result['failed'] is True and 'tls_fingerprint' in result['msg'], result['msg']
        assert 'pvenode cert info' in result['msg'] and lab_fingerprint(lab).replace(':', '').lower() in result['msg']
        assert run.requests == []  # not even the login went out
    bad = play([mapping_task(tls_fingerprint='AB:CD', **conn)], auth=None)
    assert bad.task('mapping')['msg'].startswith("tls_fingerprint: 'AB:CD' is invalid: is not a SHA-256")
    assert bad.requests == []


def test_validate_certs_false_warns_and_names_the_secure_ways(lab, play):
    conn = lab.connection()
    conn.pop('ca_path')
    run = play([mapping_task(validate_certs=False, **conn)], auth=None).assert_ok()
    assert run.changed == 1
    text = ' '.join(run.stderr.split()) + ' '.join(run.stdout.split())
    assert 'validate_certs is false: the certificate of 127.0.0.1 is not verified' in text, run.output
    assert 'ca_path' in text and 'tls_fingerprint' in text


def test_a_missing_library_fails_with_ansibles_message_naming_it(lab, play, tmp_path):
    shadow = shadow_proxmoxer(tmp_path, "raise ImportError('No module named proxmoxer')")
    run = play([mapping_task()], env={'PYTHONPATH': shadow})
    result = run.task('mapping')
    assert result['failed'] is True
    assert result['msg'].startswith('Failed to import the required Python library (proxmoxer)'), result['msg']
    assert 'proxmoxer and requests' in result['msg'] and 'MODULE FAILURE' not in run.output
    assert run.requests == []


def test_a_malformed_proxy_url_fails_clearly_without_showing_its_password(lab, play):
    # An operator pastes a proxy password with an unencoded '#': requests cannot parse the URL.
    proxy = 'http://bob:s3c#retPW@127.0.0.1:3128'
    env = {'HTTPS_PROXY': proxy, 'https_proxy': proxy, 'NO_PROXY': '', 'no_proxy': ''}
    run = play([mapping_task()], env=env, args=('-vvv',))
    result = run.task('mapping')
    assert result['failed'] is True
    assert 'proxy URL in the environment (HTTPS_PROXY' in result['msg'] and 'nothing was sent' in result['msg']
    everything = run.stdout + run.stderr
    assert 's3c' not in everything and 'MODULE FAILURE' not in everything and 'Traceback' not in everything
    assert run.requests == []


def test_a_wrong_token_secret_fails_naming_the_token_options(lab, play):
    conn = dict(lab.connection(), api_token_secret='deadbeef-0000-1111-2222-333344445555')
    run = play([mapping_task(**conn)], auth=None, args=('-vvv',))
    result = run.task('mapping')
    assert result['failed'] is True and result['status'] == 401
    assert result['msg'].startswith('authentication failed for the API token root@pam!lab: check api_token_id and '
                                    'api_token_secret'), result['msg']
    assert 'PVE: authentication failure' in result['msg'] and 'Nothing was changed.' in result['msg']
    assert 'deadbeef' not in run.stdout + run.stderr


def test_a_token_secret_pasted_with_a_line_break_fails_naming_the_option_without_showing_it(lab, play):
    conn = lab.connection()
    secret = conn['api_token_secret']
    run = play([mapping_task(**dict(conn, api_token_secret=secret + '\n'))], auth=None, args=('-vvv',))
    result = run.task('mapping')
    assert result['failed'] is True and result['msg'].startswith('api_token_secret: holds a blank, a line break')
    assert secret not in run.stdout + run.stderr and secret[:8] not in run.stdout + run.stderr
    assert run.requests == []


def test_a_ca_bundle_variable_naming_a_missing_file_fails_clearly(lab, play):
    # An execution environment exporting REQUESTS_CA_BUNDLE to a path it does not have; no ca_path.
    conn = lab.connection()
    conn.pop('ca_path')
    for env in ({'REQUESTS_CA_BUNDLE': '/nonexistent/ca.pem'}, {'REQUESTS_CA_BUNDLE': '', 'CURL_CA_BUNDLE':
                                                                '/nonexistent/ca.pem'}):
        run = play([mapping_task(**conn)], auth=None, env=env)
        result = run.task('mapping')
        assert result['failed'] is True
        assert result['msg'].startswith('GET /cluster/mapping/dir failed: cannot verify https://127.0.0.1:'), \
            result['msg']
        assert '/nonexistent/ca.pem' in result['msg'] and 'REQUESTS_CA_BUNDLE and CURL_CA_BUNDLE' in result['msg']
        assert 'ca_path' in result['msg'] and 'Module failed' not in result['msg']
        assert run.requests == []


def test_tls_fingerprint_with_a_wrong_ca_path_says_both_are_checked(lab, play, tmp_path):
    # The advice to give tls_fingerprint misled an operator who had given it: ca_path was the failing check.
    wrong_ca = tmp_path / 'other-ca.pem'
    wrong_ca.write_text(open(certifi.where()).read())
    conn = dict(lab.connection(), ca_path=str(wrong_ca), tls_fingerprint=lab_fingerprint(lab))
    run = play([mapping_task(**conn)], auth=None)
    result = run.task('mapping')
    assert result['failed'] is True
    assert 'against ca_path {0} failed'.format(wrong_ca) in result['msg'], result['msg']
    assert 'leave ca_path out to rely on the fingerprint' in result['msg']
    assert run.requests == []
