"""Pure logic the modules' thin wrappers call into (no lab): the size rounding note, the directory mapping's path
check, and the PCI helpers that lived in the module files."""

import pytest

from ansible_collections.iac.proxmox.plugins.module_utils._checks import KIB, MIB, rounding_note
from ansible_collections.iac.proxmox.plugins.module_utils._dir_mapping import check_path, desired_map
from ansible_collections.iac.proxmox.plugins.module_utils._errors import ValidationError
from ansible_collections.iac.proxmox.plugins.module_utils._hostpci import flag, host_identity, identity
from ansible_collections.iac.proxmox.plugins.module_utils._pci_mapping import paths


def test_rounding_note_only_for_a_fraction_of_the_unit():
    assert rounding_note('disks[0].size', '32G', KIB, 'VM disks') is None
    assert rounding_note('disks[0].size', '1025K', MIB, 'container volumes') == (
        'disks[0].size: 1025K is not a whole number of MiB; PVE keeps container volumes in whole MiB, so the volume '
        'gets 2M (2097152 bytes)')
    assert 'gets 2049K (2098176 bytes)' in rounding_note('size', 2098000, KIB, 'VM disks')
    assert rounding_note('size', 'lots', KIB, 'VM disks') is None  # not a size: the spec's check says so


@pytest.mark.parametrize('path, why', [
    ('srv/data', 'must be an absolute path'),
    ('/', 'must be an absolute path'),
    ('/srv/a(b)', 'must not contain ( or )'),
    ('/srv/a,node=pve2', 'must not contain'),
    ('/srv/../etc', '".." segments'),
    ('/srv//data', 'normalized path'),
])
def test_dir_mapping_path_check(path, why):
    with pytest.raises(ValidationError) as err:
        check_path('map[0].path', path)
    assert why in str(err.value) and err.value.option == 'map[0].path'


def test_dir_mapping_entries_one_path_per_node():
    assert desired_map([{'node': 'pve1', 'path': '/srv/data/'}]) == [{'node': 'pve1', 'path': '/srv/data/'}]
    with pytest.raises(ValidationError) as err:
        desired_map([{'node': 'pve1', 'path': '/a'}, {'node': 'pve1', 'path': '/b'}])
    assert 'one path per node' in str(err.value)


def test_hostpci_identity_and_flags():
    assert host_identity('01:00.1;0000:01:00.0') == host_identity(['0000:01:00.0', '01:00.1'])
    assert identity({'mapping': 'gpu', 'pcie': '1'}) == ('mapping', 'gpu')
    assert flag(None) is None and flag(False) is False and flag(True) == '1'
    assert flag(True, default=True) is False and flag(False, default=True) == '0'
    assert paths('01:00;0000:02:00.0') == ('0000:01:00', '0000:02:00.0')
