"""The diff engine: normalization, comparison modes, the write it produces, masked secrets."""

import pytest

from ansible_collections.iac.proxmox.plugins.module_utils import _diff as d
from ansible_collections.iac.proxmox.plugins.module_utils._propstring import DIR_MAP, NET

FIELDS = {
    'memory': d.Field(d.as_int),
    'onboot': d.Field(d.as_bool, default=0),
    'tags': d.Field(d.as_tags, render=d.format_tags),
    'unprivileged': d.Field(d.as_bool, mode=d.CREATE_ONLY, default=0),
    'cipassword': d.Field(d.as_str, secret=True),
    'description': d.Field(d.as_text),
    'net0': d.Field(d.props_normalizer(NET, {'firewall': d.as_bool, 'tag': d.as_int})),
}


def test_equal_after_normalization_is_no_change():
    current = {'memory': '2048', 'onboot': '1', 'tags': 'db;web', 'description': 'x\n',
               'net0': 'virtio=BC:24:11:00:00:01,bridge=vmbr0,firewall=1,tag=10'}
    desired = {'memory': 2048, 'onboot': True, 'tags': ['Web', 'db'], 'description': 'x',
               'net0': {'model': 'virtio', 'macaddr': 'BC:24:11:00:00:01', 'bridge': 'vmbr0', 'firewall': True,
                        'tag': '10'}}
    delta = d.compare(desired, current, FIELDS)
    assert not delta.changed
    assert delta.params() == {}


def test_defaults_make_absent_equal_false():
    assert not d.compare({'onboot': False}, {}, FIELDS).changed
    assert d.compare({'onboot': True}, {}, FIELDS).set == {'onboot': True}


def test_changes_produce_the_write_and_the_diff():
    delta = d.compare({'memory': 4096, 'tags': ['b', 'A'], 'description': d.ABSENT},
                      {'memory': '2048', 'tags': 'a;b', 'description': 'old'}, FIELDS)
    assert delta.set == {'memory': 4096}
    assert delta.delete == ['description']
    assert delta.params() == {'memory': 4096, 'delete': 'description'}
    assert delta.before == {'memory': 2048, 'description': 'old', 'tags': 'a;b'}  # in the key's type, as after
    assert delta.after == {'memory': 4096, 'tags': 'a;b'}  # unchanged keys show as they are
    assert delta.changed_keys == ['description', 'memory']


def test_unmanaged_keys_are_never_touched():
    delta = d.compare({'memory': None, 'onboot': None}, {'memory': '1', 'other': 'x'}, FIELDS)
    assert not delta.changed and delta.before == {} and delta.after == {}


def test_absent_of_missing_key_is_no_change():
    delta = d.compare({'description': d.ABSENT}, {}, FIELDS)
    assert not delta.changed and delta.delete == []


def test_tags_render_in_pve_order():
    delta = d.compare({'tags': ['Web', 'db', 'web']}, {}, FIELDS)
    assert delta.set == {'tags': 'db;web'}


def test_create_only_refuses_later_changes_but_allows_creation():
    with pytest.raises(d.DiffError) as err:
        d.compare({'unprivileged': False}, {'unprivileged': '1'}, FIELDS)
    assert 'can only be set when the resource is created' in err.value.message
    assert d.compare({'unprivileged': True}, {}, FIELDS, creating=True).set == {'unprivileged': True}
    assert not d.compare({'unprivileged': True}, {'unprivileged': '1'}, FIELDS).changed


def test_secrets_are_masked_in_before_and_after():
    delta = d.compare({'cipassword': 'new-secret'}, {'cipassword': 'old-secret'}, FIELDS)
    assert delta.set == {'cipassword': 'new-secret'}
    assert delta.before == {'cipassword': d.MASK_CHANGED}
    assert delta.after == {'cipassword': d.MASK_CHANGED}
    same = d.compare({'cipassword': 'hunter2'}, {'cipassword': 'hunter2'}, FIELDS)
    assert same.after == {'cipassword': d.MASK}
    assert 'hunter2' not in repr(same.before) + repr(same.after)


def test_invalid_desired_value_names_the_key():
    with pytest.raises(d.DiffError) as err:
        d.compare({'memory': 'lots'}, {'memory': '1'}, FIELDS)
    assert err.value.key == 'memory'


def test_unparseable_current_value_differs():
    assert d.compare({'memory': 512}, {'memory': 'garbage'}, FIELDS).set == {'memory': 512}


def test_keyed_list_normalizer_ignores_order():
    norm = d.list_normalizer(d.props_normalizer(DIR_MAP))
    current = ['node=pve1,path=/a', 'node=pve2,path=/b']
    assert norm(current) == norm([{'node': 'pve2', 'path': '/b'}, {'node': 'pve1', 'path': '/a'}])
    assert norm(current) != norm([{'node': 'pve1', 'path': '/a'}, {'node': 'pve2', 'path': '/c'}])
    by_node = d.list_normalizer(d.props_normalizer(DIR_MAP), key='node')
    assert set(by_node(current)) == {'pve1', 'pve2'}


@pytest.mark.parametrize('value,expected', [(True, 1), ('yes', 1), ('ON', 1), ('0', 0), ('false', 0), (0, 0)])
def test_as_bool(value, expected):
    assert d.as_bool(value) == expected


def test_as_bool_refuses_other_words():
    with pytest.raises(ValueError):
        d.as_bool('maybe')


def test_numbers_compare_as_numbers():
    assert d.as_number('12.50') == 12.5 and d.as_number('3') == 3 == d.as_number(3.0)
    assert d.as_int(2048.0) == 2048
    with pytest.raises(ValueError):
        d.as_int(1.5)


def test_create_only_values_go_into_the_create_request():
    delta = d.compare({'unprivileged': False}, {}, FIELDS, creating=True)
    assert delta.set == {'unprivileged': False}
