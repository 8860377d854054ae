"""Create-only keys in the comparison and in the container spec (no lab)."""

import pytest

from ansible_collections.iac.proxmox.plugins.module_utils._diff import CREATE_ONLY, DiffError, Field, as_bool, compare
from ansible_collections.iac.proxmox.plugins.module_utils._lxcspec import CtSpec

FIELDS = {'unprivileged': Field(as_bool, mode=CREATE_ONLY, default=0)}


def test_a_create_only_key_absent_from_an_existing_config_is_its_default_and_never_written():
    with pytest.raises(DiffError) as err:
        compare({'unprivileged': True}, {'hostname': 'x'}, FIELDS)
    assert err.value.message == 'unprivileged can only be set when the resource is created (current: 0, desired: 1)'
    assert not compare({'unprivileged': False}, {'hostname': 'x'}, FIELDS).changed
    assert compare({'unprivileged': True}, {}, FIELDS, creating=True).set == {'unprivileged': True}


def spec(**params):
    base = dict.fromkeys(('name', 'unprivileged', 'features', 'cores', 'cpulimit', 'cpuunits', 'memory', 'swap',
                          'tags', 'nameserver', 'searchdomain', 'onboot', 'protection', 'startup', 'description',
                          'rootfs', 'mounts', 'nets', 'storage'))
    base.update(params)
    return CtSpec.from_params(base)


def test_only_a_container_made_from_scratch_defaults_to_unprivileged():
    assert spec(name='a', rootfs={'storage': 'local-lvm', 'size': 8 * 1024 ** 3}).plan(
        {}, creating=True).desired['unprivileged'] is True
    clone_of_privileged = {'hostname': 'a', 'rootfs': 'local-lvm:vm-1-disk-0,size=8G'}
    assert 'unprivileged' not in spec(name='a').plan(clone_of_privileged, creating=True).desired
