"""Connection options: environment fallbacks, TLS verification against the lab CA, ca_path precedence."""

import certifi
import pytest


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
