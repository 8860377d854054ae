"""iac.proxmox.pve_dir_mapping end to end: real playbooks against the lab, asserting on results and on the
lab's request log."""

import pytest

MAPPING = {
    'id': 'shared-data',
    'description': 'Data shared with the build VMs',
    'map': [{'node': 'pve1', 'path': '/srv/shared-data'}, {'node': 'pve2', 'path': '/srv/shared-data'}],
}


def mapping_task(name='mapping', **overrides):
    args = dict(MAPPING)
    args.update(overrides)
    args = {k: v for k, v in args.items() if v is not None}
    return {'name': name, 'iac.proxmox.pve_dir_mapping': args, 'register': 'out'}


def test_create_then_unchanged_rerun(lab, play):
    first = play([mapping_task()]).assert_ok()
    result = first.task('mapping')
    assert result['changed'] is True
    assert first.write_calls == [('POST', '/cluster/mapping/dir')]
    stored = lab.pve.mappings['dir']['shared-data']
    assert sorted(stored['map']) == ['node=pve1,path=/srv/shared-data', 'node=pve2,path=/srv/shared-data']
    assert stored['description'] == 'Data shared with the build VMs'
    assert result['mapping']['map'] == MAPPING['map']
    # The nodes are checked with one read of the node list.
    assert first.calls == [('GET', '/cluster/mapping/dir'), ('GET', '/nodes'), ('POST', '/cluster/mapping/dir')]

    second = play([mapping_task()]).assert_ok()
    assert second.changed == 0
    assert second.writes == []
    # Unchanged: one read, no node listing, no write.
    assert second.calls == [('GET', '/cluster/mapping/dir')]


def test_map_order_does_not_matter(lab, play):
    play([mapping_task()]).assert_ok()
    reordered = play([mapping_task(map=list(reversed(MAPPING['map'])))]).assert_ok()
    assert reordered.changed == 0 and reordered.writes == []


def test_check_mode_creates_nothing_and_shows_the_plan(lab, play):
    run = play([mapping_task()], check=True).assert_ok()
    result = run.task('mapping')
    assert result['changed'] is True
    assert result['plan'] == ['create dir mapping shared-data']
    assert run.writes == []
    assert lab.pve.mappings['dir'] == {}


def test_check_mode_update_and_delete_write_nothing(lab, play):
    lab.pve.add_mapping('dir', 'shared-data', ['node=pve1,path=/srv/shared-data'], description='old')
    run = play([mapping_task(), mapping_task('remove', state='absent', map=None, description=None)],
               check=True).assert_ok()
    assert run.task('mapping')['plan'] == ['update dir mapping shared-data: description, map']
    assert run.task('remove')['plan'] == ['delete dir mapping shared-data']
    assert run.writes == []
    assert lab.pve.mappings['dir']['shared-data']['description'] == 'old'


def test_update_sends_only_changes_with_the_digest(lab, play):
    lab.pve.add_mapping('dir', 'shared-data', ['node=pve1,path=/srv/shared-data', 'node=pve2,path=/srv/scratch'],
                        description='Data shared with the build VMs')
    digest = lab.pve.mapping_digest('dir')
    run = play([mapping_task()], diff=True).assert_ok()
    assert run.changed == 1
    [(method, path, body)] = run.writes
    assert (method, path) == ('PUT', '/cluster/mapping/dir/shared-data')
    assert b'digest=' + digest.encode() in body
    assert b'description' not in body  # unchanged keys are not sent
    assert sorted(lab.pve.mappings['dir']['shared-data']['map']) == [
        'node=pve1,path=/srv/shared-data', 'node=pve2,path=/srv/shared-data']
    # Diff mode shows the change.
    assert '-            "path": "/srv/scratch"' in run.stdout
    assert '+            "path": "/srv/shared-data"' in run.stdout
    assert run.task('mapping')['diff']['before']['map'][1]['path'] == '/srv/scratch'


def test_description_managed_only_when_given_and_removed_when_empty(lab, play):
    lab.pve.add_mapping('dir', 'shared-data', ['node=pve1,path=/srv/shared-data', 'node=pve2,path=/srv/shared-data'],
                        description='keep me')
    untouched = play([mapping_task(description=None)]).assert_ok()
    assert untouched.changed == 0 and untouched.writes == []
    removed = play([mapping_task(description='')]).assert_ok()
    [delete] = removed.writes
    assert b'delete=description' in delete[2]
    assert 'description' not in lab.pve.mappings['dir']['shared-data']
    again = play([mapping_task(description='')]).assert_ok()
    assert again.changed == 0 and again.writes == []


def test_absent_removes_and_is_idempotent(lab, play):
    lab.pve.add_mapping('dir', 'shared-data', ['node=pve1,path=/srv/shared-data'])
    task = mapping_task(state='absent', map=None, description=None)
    run = play([task], diff=True).assert_ok()
    assert run.write_calls == [('DELETE', '/cluster/mapping/dir/shared-data')]
    assert run.task('mapping')['diff']['after'] == {}
    assert 'shared-data' not in lab.pve.mappings['dir']
    again = play([task]).assert_ok()
    assert again.changed == 0 and again.writes == []


def test_module_defaults_group_and_password_login(lab, play):
    run = play([mapping_task()], auth='password').assert_ok()
    logins = [r for r in run.requests if r[1] == '/access/ticket']
    assert len(logins) == 1
    assert b'password=***' in logins[0][2]  # the lab never records the secret itself


BAD_INPUTS = [
    # (overrides, option named in the message, words the message must contain)
    ({'id': 'x'}, 'id', 'at least two characters'),
    ({'id': '1data'}, 'id', 'must start with a letter'),
    ({'id': 'data;rm'}, 'id', 'must start with a letter'),
    ({'map': [{'node': 'pve1', 'path': 'srv/data'}]}, 'map[0].path', 'absolute path'),
    ({'map': [{'node': 'pve1', 'path': '/srv/a,node=pve2'}]}, 'map[0].path', 'must not contain'),
    ({'map': [{'node': 'pve1', 'path': '/srv/a=b'}]}, 'map[0].path', 'must not contain'),
    ({'map': [{'node': 'pve1', 'path': '/srv/../etc'}]}, 'map[0].path', '".." segments'),
    ({'map': [{'node': 'pve1', 'path': '/srv/data\nnode=pve2'}]}, 'map[0].path', 'control characters'),
    ({'map': [{'node': 'pve 1', 'path': '/srv/data'}]}, 'map[0].node', 'not a valid node name'),
    ({'map': [{'node': 'pve9', 'path': '/srv/data'}]}, 'map[0].node', 'no such node in the cluster (nodes: pve1, pve2)'),
    ({'map': [{'node': 'pve1', 'path': '/srv/a'}, {'node': 'pve1', 'path': '/srv/b'}]}, 'map[1].node',
     'one path per node'),
    ({'map': []}, 'map', 'at least one node entry'),
    ({'map': None}, 'map', 'does not exist yet'),
]


def test_bad_input_fails_before_any_write(lab, play):
    tasks = []
    for index, (overrides, _option, _words) in enumerate(BAD_INPUTS):
        task = mapping_task('bad{0}'.format(index), **overrides)
        if 'map' in overrides and overrides['map'] is None:
            task['iac.proxmox.pve_dir_mapping'].pop('map', None)
        task['ignore_errors'] = True
        tasks.append(task)
    run = play(tasks)
    assert run.writes == []
    assert lab.pve.mappings['dir'] == {}
    for index, (_overrides, option, words) in enumerate(BAD_INPUTS):
        result = run.task('bad{0}'.format(index))
        assert result.get('failed') is True, result
        assert result['msg'].startswith(option + ':'), result['msg']
        assert words in result['msg'], result['msg']
        assert 'Traceback' not in result['msg']


def test_pve_errors_are_shown_with_their_field_messages(lab, play):
    errors = {'map[1]': 'invalid format - format error\npath: bad',
              'description': 'value may only be 4096 characters long'}
    lab.pve.fail_fields('POST', '/cluster/mapping/dir', errors)
    run = play([mapping_task()])
    result = run.task('mapping')
    assert result['failed'] is True
    assert result['msg'] == ('POST /cluster/mapping/dir failed (HTTP 400): Parameter verification failed. '
                             'description: value may only be 4096 characters long; '
                             'map[1]: invalid format - format error path: bad')
    assert result['pve_errors']['map[1]'].startswith('invalid format')
    assert result['status'] == 400
    assert 'Traceback' not in run.stdout + run.stderr


def test_pve_path_check_on_the_api_node_is_reported(lab, play):
    run = play([mapping_task(map=[{'node': 'pve1', 'path': '/srv/missing'}])])
    result = run.task('mapping')
    assert result['failed'] is True
    assert result['msg'] == 'POST /cluster/mapping/dir failed (HTTP 500): Path /srv/missing does not exist'


def test_permission_error_names_path_and_privilege(lab, play):
    lab.pve.apitokens['ci@pve!deploy'] = 'tok-secret'
    lab.pve.grant('ci@pve', '/mapping/dir', 'Mapping.Audit')
    conn = lab.connection()
    conn.update(api_user='ci@pve', api_token_id='deploy', api_token_secret='tok-secret')
    task = mapping_task()
    task['iac.proxmox.pve_dir_mapping'].update(conn)
    run = play([task], auth=None)
    result = run.task('mapping')
    assert result['failed'] is True
    assert 'HTTP 403' in result['msg'] and 'Permission check failed (/mapping/dir, Mapping.Modify)' in result['msg']


@pytest.mark.parametrize('case', ['no-host', 'no-credentials'])
def test_missing_connection_settings_are_named(lab, play, case):
    conn = lab.connection()
    if case == 'no-host':
        conn.pop('api_host')
        expected = 'api_host: the PVE API host is required'
    else:
        conn.pop('api_token_id')
        conn.pop('api_token_secret')
        expected = 'api_password: give api_password, or an API token'
    task = mapping_task()
    task['iac.proxmox.pve_dir_mapping'].update(conn)
    run = play([task], auth=None)
    assert run.task('mapping')['msg'].startswith(expected)
    assert run.requests == []
