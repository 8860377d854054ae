"""golden_image's size presets (golden_image_size, golden_image_sizes): built-in and user-defined presets set
cores, memory and the root disk's size; explicit variables win; a bad preset is refused before any request."""

import pytest

from test_roles import GOLDEN, results, role_play

GIB = 1024 ** 3


def made(lab, name):
    [vm] = [v for v in lab.pve.vms if v.name == name]
    return vm


def test_builtin_preset_sets_cores_memory_and_root_disk_and_reruns_unchanged(lab, tmp_path):
    role_vars = {'golden_image_template': GOLDEN, 'golden_image_size': 'medium'}
    first = role_play(lab, tmp_path, 'golden_image', ['size-m'], role_vars, name='medium')
    first.assert_ok()
    vm = made(lab, 'size-m')
    assert str(vm.config['cores']) == '2' and str(vm.config['memory']) == '4096'
    assert 'size=32G' in vm.config['scsi0']
    again = role_play(lab, tmp_path, 'golden_image', ['size-m'], role_vars, name='medium-again')
    again.assert_ok()
    assert again.changed == 0 and again.writes == []


def test_explicit_variables_win_over_the_preset(lab, tmp_path):
    role_vars = {'golden_image_template': GOLDEN, 'golden_image_size': 'large', 'golden_image_cores': 3,
                 'golden_image_disks': [{'slot': 'scsi0', 'size': '20G'}, {'slot': 'scsi1', 'size': '2G',
                                                                           'storage': 'local-lvm'}]}
    run = role_play(lab, tmp_path, 'golden_image', ['size-l'], role_vars, name='large')
    run.assert_ok()
    vm = made(lab, 'size-l')
    assert vm.config['cores'] == '3' and vm.config['memory'] == '8192'   # cores explicit, memory from 'large'
    assert 'size=20G' in vm.config['scsi0'] and 'size=2G' in vm.config['scsi1']


def test_user_defined_preset_and_an_override_of_a_builtin(lab, tmp_path):
    sizes = {'db': {'cores': 6, 'memory': '12G'}, 'small': {'cores': 1, 'memory': '1G', 'disk_size': '10G'}}
    run = role_play(lab, tmp_path, 'golden_image', ['size-db', 'size-s'],
                    {'golden_image_template': GOLDEN, 'golden_image_sizes': sizes}, name='user',
                    host_vars={'size-db': {'golden_image_size': 'db'}, 'size-s': {'golden_image_size': 'small'}})
    run.assert_ok()
    db, small = made(lab, 'size-db'), made(lab, 'size-s')
    assert db.config['cores'] == '6' and db.config['memory'] == '12288'
    assert 'size=8G' in db.config['scsi0']             # no disk_size in 'db': the template's disk stays
    assert small.config['memory'] == '1024' and 'size=10G' in small.config['scsi0']


@pytest.mark.parametrize('role_vars,words', [
    ({'golden_image_size': 'huge'}, ['golden_image_size=huge: no such preset', 'large, medium, small, xlarge']),
    ({'golden_image_size': 'odd', 'golden_image_sizes': {'odd': {'cores': 2, 'disk': '9G'}}},
     ['golden_image_size=odd: the preset must be a dict of cores, memory, disk_size']),
])
def test_a_bad_preset_is_refused_before_any_request(lab, tmp_path, role_vars, words):
    role_vars = dict(role_vars, golden_image_template=GOLDEN)
    run = role_play(lab, tmp_path, 'golden_image', ['size-bad'], role_vars, name='bad')
    [failed] = run.failed
    assert failed['task'].startswith('Size preset of')
    for word in words:
        assert word in failed['result']['msg']
    assert run.requests == []


def test_a_preset_smaller_than_the_template_disk_fails_before_the_clone(lab, tmp_path):
    role_vars = {'golden_image_template': GOLDEN, 'golden_image_size': 'tiny',
                 'golden_image_sizes': {'tiny': {'disk_size': '4G'}}}
    run = role_play(lab, tmp_path, 'golden_image', ['size-t'], role_vars, name='tiny')
    [failed] = run.failed
    assert 'scsi0' in failed['result']['msg'] and run.writes == []
    assert not [v for v in lab.pve.vms if v.name == 'size-t']
    assert results(run, 'Clone from the golden template and converge the spec of size-t')
