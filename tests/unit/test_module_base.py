"""The module base's connection settings: what is required, token forms, clear messages."""

import pytest

from ansible_collections.iac.proxmox.plugins.module_utils._errors import ValidationError
from ansible_collections.iac.proxmox.plugins.module_utils._module import CONNECTION_ARGSPEC, connection_settings

BASE = {'api_host': 'pve1.example.com', 'api_port': 8006, 'api_user': 'root@pam', 'api_password': None,
        'api_token_id': None, 'api_token_secret': None, 'validate_certs': True, 'ca_path': None, 'tls_fingerprint': None,
        'api_timeout': 30}


def settings(**overrides):
    params = dict(BASE)
    params.update(overrides)
    return connection_settings(params)


def test_token_by_name():
    out = settings(api_token_id='ci', api_token_secret='s')
    assert (out['user'], out['token_id'], out['token_secret'], out['password']) == ('root@pam', 'ci', 's', None)


def test_full_token_id_names_its_user():
    out = settings(api_user=None, api_token_id='automation@pve!deploy', api_token_secret='s')
    assert (out['user'], out['token_id']) == ('automation@pve', 'deploy')


def test_full_token_id_must_match_api_user():
    with pytest.raises(ValidationError) as err:
        settings(api_token_id='automation@pve!deploy', api_token_secret='s')
    assert err.value.option == 'api_token_id'


def test_password_used_without_token():
    out = settings(api_password='pw')
    assert out['password'] == 'pw' and out['token_id'] is None


@pytest.mark.parametrize('overrides,option', [
    ({'api_host': None}, 'api_host'),
    ({'api_user': None, 'api_password': 'x'}, 'api_user'),
    ({'api_user': 'root', 'api_password': 'x'}, 'api_user'),
    ({}, 'api_password'),
    ({'api_token_id': 'ci'}, 'api_token_secret'),
    ({'api_password': 'x', 'api_timeout': 0}, 'api_timeout'),
])
def test_missing_or_bad_settings_name_the_option(overrides, option):
    with pytest.raises(ValidationError) as err:
        settings(**overrides)
    assert err.value.option == option
    assert str(err.value).startswith(option)


def test_tls_is_verified_unless_turned_off_and_ca_path_is_passed_on(tmp_path):
    ca = tmp_path / 'ca.pem'
    ca.write_text('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n')
    assert settings(api_password='x')['validate_certs'] is True
    assert settings(api_password='x', ca_path=str(ca))['ca_path'] == str(ca)


@pytest.mark.parametrize('content,words', [
    (None, 'the file does not exist'),
    ('dir', 'is a directory'),
    ('not a certificate\n', 'holds no PEM certificate'),
])
def test_a_bad_ca_path_names_the_option_and_the_reason(tmp_path, content, words):
    path = tmp_path / 'ca.pem'
    if content == 'dir':
        path.mkdir()
    elif content is not None:
        path.write_text(content)
    with pytest.raises(ValidationError) as err:
        settings(api_password='x', ca_path=str(path))
    assert err.value.option == 'ca_path' and words in str(err.value) and str(path) in str(err.value)


@pytest.mark.parametrize('host,expected', [
    ('pve1.example.com', 'pve1.example.com'),
    ('pve1', 'pve1'),
    ('192.0.2.10', '192.0.2.10'),
    ('2001:db8::10', '2001:db8::10'),
    ('[2001:db8::10]', '2001:db8::10'),
])
def test_api_host_takes_names_and_addresses(host, expected):
    assert settings(api_password='x', api_host=host)['host'] == expected


@pytest.mark.parametrize('host,words', [
    ('https://pve1.example.com:8006', 'not a URL'),
    ('pve1.example.com/api2/json', 'not a URL'),
    ('pve1.example.com:8006', 'api_port'),
    ('pve 1', 'neither a host name nor an IP address'),
    ('pve1_.example.com', 'neither a host name nor an IP address'),
    ('-pve1', 'neither a host name nor an IP address'),
    ('fe80::1%eth0', 'with a zone'),
    ('[fe80::1%vmbr0]', 'with a zone'),
])
def test_api_host_that_is_not_a_host_is_refused(host, words):
    with pytest.raises(ValidationError) as err:
        settings(api_password='x', api_host=host)
    assert err.value.option == 'api_host' and words in str(err.value)


def test_secrets_are_no_log_and_every_option_has_its_environment_variable():
    assert CONNECTION_ARGSPEC['api_password']['no_log'] is True
    assert CONNECTION_ARGSPEC['api_token_secret']['no_log'] is True
    assert CONNECTION_ARGSPEC['validate_certs']['default'] is True
    env = {name: spec['fallback'][1][0] for name, spec in CONNECTION_ARGSPEC.items() if 'fallback' in spec}
    assert env == {'api_host': 'PROXMOX_HOST', 'api_port': 'PROXMOX_PORT', 'api_user': 'PROXMOX_USER',
                   'api_password': 'PROXMOX_PASSWORD', 'api_token_id': 'PROXMOX_TOKEN_ID',
                   'api_token_secret': 'PROXMOX_TOKEN_SECRET', 'validate_certs': 'PROXMOX_VALIDATE_CERTS',
                   'ca_path': 'PROXMOX_CA_PATH', 'tls_fingerprint': 'PROXMOX_TLS_FINGERPRINT'}


@pytest.mark.parametrize('value', ['AB:CD', 'zz' * 32, ':'.join(['AB'] * 20), 'sha256:' + 'ab' * 32])
def test_a_tls_fingerprint_that_is_not_sha256_is_refused(value):
    with pytest.raises(ValidationError) as err:
        settings(api_password='x', tls_fingerprint=value)
    assert err.value.option == 'tls_fingerprint' and 'pvenode cert info' in str(err.value)


def test_a_tls_fingerprint_with_or_without_colons_reaches_the_client():
    pinned = ':'.join(['Ab'] * 32)
    assert settings(api_password='x', tls_fingerprint=pinned)['tls_fingerprint'] == pinned
    assert settings(api_password='x', tls_fingerprint='ab' * 32)['tls_fingerprint'] == 'ab' * 32


@pytest.mark.parametrize('overrides,option', [
    (dict(api_token_secret='0b3e1c2d-1111-2222-3333-444455556666\n'), 'api_token_secret'),
    (dict(api_token_secret=' 0b3e1c2d-1111-2222-3333-444455556666'), 'api_token_secret'),
    (dict(api_token_id='ci\n'), 'api_token_id'),
    (dict(api_token_id='root@pam!ci\r\n', api_user=None), 'api_token_id'),
    (dict(api_user='root@pam\n'), 'api_user'),
])
def test_a_token_with_a_pasted_line_break_is_refused_without_showing_the_secret(overrides, option):
    # The token goes into a header: http.client refused the line break quoting the whole secret in the failure.
    params = dict(BASE, api_token_id='ci', api_token_secret='0b3e1c2d-1111-2222-3333-444455556666')
    params.update(overrides)
    with pytest.raises(ValidationError) as err:
        connection_settings(params)
    assert err.value.option == option and 'line break' in str(err.value)
    assert '0b3e1c2d' not in str(err.value)
