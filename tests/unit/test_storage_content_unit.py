"""The pure checks of pve_storage_content (plugins/module_utils/_content.py): PVE's file name rules, URLs,
checksums and how a guest config references a file."""

import pytest

from ansible_collections.iac.proxmox.plugins.module_utils._content import (
    check_checksum, check_filename, check_url, normalize_content_filename, references, shown_url)
from ansible_collections.iac.proxmox.plugins.module_utils._errors import ValidationError


@pytest.mark.parametrize('given, stored', [
    ('debian.qcow2', 'debian.qcow2'),
    ('../dir/my image.iso', 'my_image.iso'),
    ('C:\\isos\\win.iso', 'win.iso'),
    ('a+b=c.raw', 'a_b_c.raw'),
])
def test_normalize_as_pve(given, stored):
    assert normalize_content_filename(given) == stored


@pytest.mark.parametrize('content, name', [
    ('iso', 'x.iso'), ('iso', 'X.ISO'), ('iso', 'x.img'),
    ('vztmpl', 'ct.tar'), ('vztmpl', 'ct.tar.gz'), ('vztmpl', 'ct.tar.xz'), ('vztmpl', 'ct.tar.zst'),
    ('vztmpl', 'ct.tar.bz2'),
    ('import', 'disk.qcow2'), ('import', 'disk.raw'), ('import', 'disk.vmdk'), ('import', 'appliance.ova'),
])
def test_accepted_names(content, name):
    assert check_filename(content, name) == name


@pytest.mark.parametrize('content, name, words', [
    ('iso', 'x.qcow2', 'wrong file extension'),
    ('vztmpl', 'ct.tar.foo', 'wrong file extension'),
    ('vztmpl', 'ct.zip', 'wrong file extension'),
    ('import', 'disk.img', 'invalid filename or wrong extension'),
    ('import', 'disk.ovf', 'invalid filename or wrong extension'),  # importable, but not downloadable/uploadable
    ('import', 'disk.QCOW2', 'invalid filename or wrong extension'),  # UPLOAD_IMPORT_EXT_RE_1 is case-sensitive
    ('iso', 'my disk.iso', "PVE would store it as 'my_disk.iso'"),
    ('iso', '', 'give the name'),
])
def test_refused_names(content, name, words):
    with pytest.raises(ValidationError) as err:
        check_filename(content, name)
    assert err.value.option == 'filename' and words in str(err.value)


def test_urls():
    assert check_url('https://example.com/a.iso')
    assert check_url('http://127.0.0.1:8080/a.iso')
    for url in ('ftp://example.com/a.iso', 'file:///etc/passwd', 'example.com/a.iso', ' https://x/a.iso'):
        with pytest.raises(ValidationError):
            check_url(url)


def test_checksums_by_algorithm():
    assert check_checksum('AB' * 32, 'sha256') == 'ab' * 32
    assert check_checksum('0' * 32, 'md5') == '0' * 32
    for bad, algorithm in (('0' * 64, 'sha512'), ('g' * 64, 'sha256'), ('abc', 'sha1')):
        with pytest.raises(ValidationError) as err:
            check_checksum(bad, algorithm)
        assert err.value.option == 'checksum'


def test_references_in_guest_configs():
    volid = 'local:iso/tools.iso'
    config = {'ide2': 'local:iso/tools.iso,media=cdrom', 'scsi0': 'local-lvm:vm-100-disk-0,size=8G',
              'description': 'mounted local:iso/tools.iso once', 'ide0': 'local:iso/tools.iso.bak,media=cdrom',
              'digest': 'abc', 'cores': 2}
    assert references(config, volid) == ['ide2']
    assert references({'scsi1': 'local-lvm:0,import-from=local:iso/tools.iso'}, volid) == ['scsi1']
    assert references({}, volid) == []


def test_a_password_in_the_url_is_masked_in_plans():
    assert shown_url('https://u:secret@example.com:8443/a.iso') == 'https://u:********@example.com:8443/a.iso'
    assert shown_url('https://example.com/a.iso') == 'https://example.com/a.iso'
