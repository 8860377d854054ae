"""Access management end to end (iac.proxmox.pve_user, pve_group, pve_role, pve_acl, pve_token): real playbooks
against the lab, asserting on results, the lab's user.cfg state and its request log."""

import os

import yaml

from labtools import ROOT, run_playbook
from test_privileges import project

GROUP = {'groupid': 'ops', 'comment': 'Operators'}
ROLE = {'roleid': 'Auto', 'privileges': ['VM.Audit', 'Sys.Audit']}
USER = {'userid': 'ci@pve', 'comment': 'CI', 'email': 'ci@example.com', 'groups': ['ops']}


def task(module, name=None, **args):
    return {'name': name or module, 'iac.proxmox.pve_' + module: args, 'register': 'out'}


def merged(base, **changes):
    """base with some options changed."""
    out = dict(base)
    out.update(changes)
    return out


def failing(module, name, **args):
    """A task expected to fail, so the play goes on to the next one."""
    return dict(task(module, name, **args), ignore_errors=True)


# ------------------------------------------------------------------ groups

def test_group_create_rerun_change_check_diff_absent(lab, play):
    first = play([task('group', **GROUP)]).assert_ok()
    assert first.write_calls == [('POST', '/access/groups')]
    assert lab.pve.access_groups == {'ops': {'comment': 'Operators'}}
    again = play([task('group', **GROUP)]).assert_ok()
    assert again.changed == 0 and again.writes == []
    check = play([task('group', groupid='ops', comment='Ops team')], check=True, diff=True).assert_ok()
    result = check.task('group')
    assert check.writes == [] and result['plan'] == ['update group ops: comment']
    assert result['diff'] == {'before': {'groupid': 'ops', 'comment': 'Operators', 'members': []},
                              'after': {'groupid': 'ops', 'comment': 'Ops team', 'members': []}}
    change = play([task('group', groupid='ops', comment='Ops team')]).assert_ok()
    assert change.write_calls == [('PUT', '/access/groups/ops')]
    assert lab.pve.access_groups['ops']['comment'] == 'Ops team'
    gone = play([task('group', groupid='ops', state='absent')]).assert_ok()
    assert gone.write_calls == [('DELETE', '/access/groups/ops')] and lab.pve.access_groups == {}
    assert play([task('group', groupid='ops', state='absent')]).assert_ok().writes == []


# ------------------------------------------------------------------ roles

def test_role_create_rerun_change_check_diff_absent(lab, play):
    first = play([task('role', **ROLE)]).assert_ok()
    assert first.write_calls == [('POST', '/access/roles')]
    assert lab.pve.access_roles == {'Auto': {'VM.Audit', 'Sys.Audit'}}
    # A set: order and duplicates do not count.
    again = play([task('role', roleid='Auto', privileges=['Sys.Audit', 'VM.Audit', 'Sys.Audit'])]).assert_ok()
    assert again.changed == 0 and again.writes == []
    wanted = ['VM.Audit', 'VM.PowerMgmt']
    check = play([task('role', roleid='Auto', privileges=wanted)], check=True, diff=True).assert_ok()
    result = check.task('role')
    assert check.writes == [] and result['plan'] == ['update role Auto: privileges']
    assert result['diff']['before']['privileges'] == ['Sys.Audit', 'VM.Audit']
    assert result['diff']['after']['privileges'] == ['VM.Audit', 'VM.PowerMgmt']
    change = play([task('role', roleid='Auto', privileges=wanted)]).assert_ok()
    assert change.write_calls == [('PUT', '/access/roles/Auto')]
    assert lab.pve.access_roles['Auto'] == {'VM.Audit', 'VM.PowerMgmt'}
    gone = play([task('role', roleid='Auto', state='absent')]).assert_ok()
    assert gone.write_calls == [('DELETE', '/access/roles/Auto')] and lab.pve.access_roles == {}


def test_a_privilege_pve_does_not_know_is_refused_before_any_write(lab, play):
    run = play([task('role', roleid='Auto', privileges=['VM.Audit', 'VM.Monitor'])])
    result = run.task('role')
    assert run.failed and run.writes == []
    assert result['option'] == 'privileges'
    assert "'VM.Monitor' is invalid: invalid privilege" in result['msg'] and 'VM.GuestAgent.Audit' in result['msg']


def test_built_in_roles_are_not_changed(lab, play):
    run = play([task('role', roleid='PVEAuditor', privileges=['VM.Audit'])])
    assert run.failed and run.writes == []
    assert "auto-generated role 'PVEAuditor' cannot be modified" in run.task('role')['msg']
    unchanged = play([task('role', roleid='PVEVMUser', privileges=sorted(
        lab.pve.roles_all()['PVEVMUser']))]).assert_ok()
    assert unchanged.changed == 0 and unchanged.writes == []


# ------------------------------------------------------------------ users

def test_user_create_rerun_change_check_diff_absent(lab, play):
    play([task('group', **GROUP), task('group', 'dev', groupid='dev')]).assert_ok()
    first = play([task('user', **USER)]).assert_ok()
    assert first.write_calls == [('POST', '/access/users')]
    assert lab.pve.access_users['ci@pve']['comment'] == 'CI' and lab.pve.user_groups['ci@pve'] == {'ops'}
    again = play([task('user', **USER)]).assert_ok()
    assert again.changed == 0 and again.writes == []
    change = merged(USER, groups=['dev'], enable=False, comment='CI runner')
    check = play([task('user', **change)], check=True, diff=True).assert_ok()
    result = check.task('user')
    assert check.writes == [] and result['plan'] == ['update user ci@pve: comment, enable, groups']
    assert (result['diff']['before']['groups'], result['diff']['after']['groups']) == (['ops'], ['dev'])
    assert (result['diff']['before']['enable'], result['diff']['after']['enable']) == (True, False)
    applied = play([task('user', **change)]).assert_ok()
    assert applied.write_calls == [('PUT', '/access/users/ci@pve')]
    assert lab.pve.user_groups['ci@pve'] == {'dev'} and lab.pve.access_users['ci@pve']['enable'] == 0
    assert play([task('user', **change)]).assert_ok().writes == []
    # PVE reads `comment=` as not given: an empty text cannot be written, so it is refused before any write.
    empty = play([task('user', **merged(change, comment=''))])
    assert empty.failed and empty.writes == [] and 'PVE cannot empty a user' in empty.task('user')['msg']
    gone = play([task('user', userid='ci@pve', state='absent')]).assert_ok()
    assert gone.write_calls == [('DELETE', '/access/users/ci@pve')] and 'ci@pve' not in lab.pve.access_users


def test_user_leaves_all_groups_with_an_empty_list(lab, play):
    """`groups: []` empties the user's groups. PVE reads `groups=` as not given (pve-http-server
    decode_urlencoded) and User.pm update_user keeps the groups then; ',' is given and names none."""
    play([task('group', **GROUP), task('user', **USER)]).assert_ok()
    run = play([task('user', userid='ci@pve', groups=[])], diff=True).assert_ok()
    assert run.write_calls == [('PUT', '/access/users/ci@pve')] and lab.pve.user_groups.get('ci@pve', set()) == set()
    assert run.task('user')['diff']['after']['groups'] == []
    again = play([task('user', userid='ci@pve', groups=[])]).assert_ok()
    assert again.changed == 0 and again.writes == []
    created = play([task('user', userid='new@pve', groups=[])]).assert_ok()
    assert created.write_calls == [('POST', '/access/users')]
    assert play([task('user', userid='new@pve', groups=[])]).assert_ok().writes == []


def test_user_password_is_set_on_create_and_only_with_update_password_always(lab, play):
    user = {'userid': 'ops@pve', 'password': 'first-password'}
    first = play([task('user', **user)], diff=True).assert_ok()
    assert lab.pve.check_password('ops@pve', 'first-password')
    assert first.task('user')['diff']['after']['password'] == '******** (changed)'
    kept = play([task('user', userid='ops@pve', password='second-password')]).assert_ok()
    assert kept.changed == 0 and kept.writes == [] and lab.pve.check_password('ops@pve', 'first-password')
    # PVE does not let API tokens change passwords (AccessControl.pm change_password: allowtoken => 0): refused
    # before any write, so the comment is not changed either.
    token = play([task('user', userid='ops@pve', comment='new', password='second-password', update_password='always')])
    assert token.failed and token.writes == [] and token.task('user')['option'] == 'update_password'
    assert 'PVE does not let API tokens change passwords' in token.task('user')['msg']
    # A ticket login does it.
    always = play([task('user', userid='ops@pve', password='second-password', update_password='always')],
                  auth='password').assert_ok()
    assert always.changed == 1 and always.write_calls == [('PUT', '/access/password')]
    assert lab.pve.check_password('ops@pve', 'second-password')
    assert 'second-password' not in always.stdout + always.stderr


def test_a_user_other_than_root_confirms_a_password_change_with_its_own(lab, play):
    """pve-access-control RPCEnvironment.pm reauth_user_for_user_modification: for any login but root@pam,
    PUT /access/password needs `confirmation-password`, the caller's own password."""
    play([task('user', userid='ops@pve', password='first-password')]).assert_ok()
    conn = dict(lab.connection(auth='password'), api_user='ops@pve', api_password='first-password')
    own = dict(task('user', userid='ops@pve', password='second-password', update_password='always'),
               module_defaults={'group/iac.proxmox.pve': conn})
    run = play([own], auth=None, args=['-vvv']).assert_ok()
    assert run.write_calls == [('PUT', '/access/password')] and lab.pve.check_password('ops@pve', 'second-password')
    assert 'second-password' not in run.stdout + run.stderr and 'first-password' not in run.stdout + run.stderr
    # Another user's password, by a user with Realm.AllocateUser and User.Modify.
    play([task('role', roleid='UserAdmin', privileges=['Realm.AllocateUser', 'User.Modify']),
          task('user', userid='admin@pve', password='admin-password'),
          task('acl', path='/', roles=['UserAdmin'], users=['admin@pve'])]).assert_ok()
    conn = dict(conn, api_user='admin@pve', api_password='admin-password')
    other = dict(task('user', userid='ops@pve', password='third-password', update_password='always'),
                 module_defaults={'group/iac.proxmox.pve': conn})
    play([other], auth=None).assert_ok()
    assert lab.pve.check_password('ops@pve', 'third-password')


def test_user_bad_inputs_fail_before_any_write(lab, play):
    run = play([failing('user', 'pam password', userid='alice@pam', password='some-password'),
                failing('user', 'no group', userid='alice@pve', groups=['nope']),
                failing('user', 'bad id', userid='alice')])
    assert run.writes == []
    assert "only users of the 'pve' realm" in run.task('pam password')['msg']
    assert "no such group 'nope'" in run.task('no group')['msg']
    assert 'user@realm' in run.task('bad id')['msg']


# ------------------------------------------------------------------ ACL

def acl_setup(lab, play):
    play([task('group', **GROUP), task('role', **ROLE), task('user', userid='ci@pve')]).assert_ok()


def test_acl_create_rerun_change_check_diff_absent(lab, play):
    acl_setup(lab, play)
    entry = {'path': '/vms', 'roles': ['Auto', 'PVEAuditor'], 'users': ['ci@pve'], 'groups': ['ops']}
    first = play([task('acl', **entry)]).assert_ok()
    assert first.write_calls == [('PUT', '/access/acl')]
    assert lab.pve.acl_entries == {('/vms', 'user', 'ci@pve', 'Auto'): 1, ('/vms', 'user', 'ci@pve', 'PVEAuditor'): 1,
                                   ('/vms', 'group', 'ops', 'Auto'): 1, ('/vms', 'group', 'ops', 'PVEAuditor'): 1}
    again = play([task('acl', **merged(entry, path='/vms/'))]).assert_ok()
    assert again.changed == 0 and again.writes == []
    # `path` is a PVE path: no facts about a local file of that name (ansible-core's add_path_info) in the result.
    assert not set(again.task('acl')) & {'state', 'owner', 'mode', 'uid'}
    check = play([task('acl', **merged(entry, propagate=False))], check=True, diff=True).assert_ok()
    result = check.task('acl')
    assert check.writes == [] and len(result['plan']) == 1 and result['plan'][0].startswith('set ACL entries on /vms')
    assert {e['propagate'] for e in result['diff']['before']['entries']} == {True}
    assert {e['propagate'] for e in result['diff']['after']['entries']} == {False}
    change = play([task('acl', **merged(entry, propagate=False))]).assert_ok()
    assert change.write_calls == [('PUT', '/access/acl')] and set(lab.pve.acl_entries.values()) == {0}
    gone = play([task('acl', path='/vms', roles=['Auto'], users=['ci@pve'], state='absent')]).assert_ok()
    assert gone.write_calls == [('PUT', '/access/acl')]
    assert ('/vms', 'user', 'ci@pve', 'Auto') not in lab.pve.acl_entries and len(lab.pve.acl_entries) == 3
    assert play([task('acl', path='/vms', roles=['Auto'], users=['ci@pve'], state='absent')]).assert_ok().writes == []
    # A member or role listed twice is one entry, planned once.
    root = play([task('acl', path='/', roles=['PVEAuditor', 'PVEAuditor'], users=['ci@pve', 'ci@pve'])]).assert_ok()
    assert root.task('acl')['plan'] == ['set ACL entries on /: ci@pve PVEAuditor']
    assert root.task('acl')['path'] == '/' and not set(root.task('acl')) & {'state', 'owner', 'mode', 'uid'}


def test_an_acl_path_with_dotdot_is_refused_before_any_write(lab, play):
    acl_setup(lab, play)
    run = play([task('acl', path='/vms/../storage', roles=['Auto'], users=['ci@pve'])])
    result = run.task('acl')
    assert run.failed and run.writes == [] and result['option'] == 'path'
    assert '".." segments' in result['msg'] and "invalid ACL path '/vms/../storage'" in result['msg']


def test_acl_members_and_roles_must_exist(lab, play):
    acl_setup(lab, play)
    run = play([failing('acl', 'role', path='/', roles=['Nope'], users=['ci@pve']),
                failing('acl', 'user', path='/', roles=['Auto'], users=['nobody@pve']),
                failing('acl', 'token', path='/', roles=['Auto'], tokens=['ci@pve!none'])])
    assert run.writes == []
    assert "role 'Nope' does not exist" in run.task('role')['msg']
    assert "user 'nobody@pve' does not exist" in run.task('user')['msg']
    assert "no such token 'none' for user 'ci@pve'" in run.task('token')['msg']


# ------------------------------------------------------------------ tokens

def secret_tasks(tmp_path, name='secret'):
    """Store the token's secret in a file (as a play would), without showing it."""
    copy = {'content': '{{ out.secret }}', 'dest': str(tmp_path / name), 'mode': '0600'}
    return [{'name': 'store', 'ansible.builtin.copy': copy, 'when': 'out.secret is defined', 'no_log': True}]


def test_token_create_rerun_change_check_diff_absent(lab, play, tmp_path):
    play([task('user', userid='ci@pve')]).assert_ok()
    token = {'user': 'ci@pve', 'tokenid': 'ansible', 'privsep': False, 'comment': 'automation'}
    check = play([task('token', **token)], check=True).assert_ok()
    assert check.writes == [] and check.task('token')['plan'] == ['create API token ci@pve!ansible']
    first = play([task('token', **token)] + secret_tasks(tmp_path)).assert_ok()
    assert first.write_calls == [('POST', '/access/users/ci@pve/token/ansible')]
    secret = (tmp_path / 'secret').read_text()
    assert lab.pve.apitokens['ci@pve!ansible'] == secret
    assert oct(os.stat(str(tmp_path / 'secret')).st_mode & 0o777) == '0o600'
    assert lab.pve.user_tokens['ci@pve']['ansible'] == {'privsep': 0, 'comment': 'automation'}
    again = play([task('token', **token)]).assert_ok()
    result = again.task('token')
    assert again.changed == 0 and again.writes == [] and 'secret' not in result
    assert result['full_tokenid'] == 'ci@pve!ansible' and result['token']['privsep'] is False
    diff = play([task('token', **merged(token, comment='', privsep=True))], check=True, diff=True).assert_ok()
    result = diff.task('token')
    assert diff.writes == [] and result['plan'] == ['update API token ci@pve!ansible: comment, privsep']
    assert result['diff']['before']['comment'] == 'automation' and result['diff']['after']['comment'] == ''
    change = play([task('token', **merged(token, comment='', privsep=True))]).assert_ok()
    [(_m, _p, body)] = change.writes
    assert b'delete=comment' in body and b'privsep=1' in body
    assert lab.pve.user_tokens['ci@pve']['ansible'] == {'privsep': 1}
    assert lab.pve.apitokens['ci@pve!ansible'] == secret
    gone = play([task('token', user='ci@pve', tokenid='ansible', state='absent')]).assert_ok()
    assert gone.write_calls == [('DELETE', '/access/users/ci@pve/token/ansible')]
    assert 'ci@pve!ansible' not in lab.pve.apitokens


def test_the_secret_never_shows_in_verbose_output(lab, play, tmp_path):
    play([task('user', userid='ci@pve')]).assert_ok()
    run = play([task('token', user='ci@pve', tokenid='ansible')] + secret_tasks(tmp_path), diff=True,
               args=['-vvv']).assert_ok()
    secret = lab.pve.apitokens['ci@pve!ansible']
    assert (tmp_path / 'secret').read_text() == secret
    assert secret not in run.stdout + run.stderr
    assert "the output has been hidden due to the fact that 'no_log: true' was specified" in run.stdout
    rotated = play([task('token', user='ci@pve', tokenid='ansible', rotate=True)] + secret_tasks(tmp_path, 'new'),
                   diff=True, args=['-vvv']).assert_ok()
    new = lab.pve.apitokens['ci@pve!ansible']
    assert new != secret and (tmp_path / 'new').read_text() == new
    assert new not in rotated.stdout + rotated.stderr
    assert rotated.write_calls == [('PUT', '/access/users/ci@pve/token/ansible')]


def test_rotate_without_regenerate_recreates_the_token_and_its_acl(lab, play, tmp_path):
    """An older PVE has no `regenerate` (pve-access-control before 9.1): its schema refuses the property."""
    play([task('user', userid='ci@pve'),
          task('token', user='ci@pve', tokenid='ansible', privsep=True, comment='kept'),
          task('acl', path='/vms', roles=['PVEAuditor'], tokens=['ci@pve!ansible'], propagate=False)]).assert_ok()
    old = lab.pve.apitokens['ci@pve!ansible']
    lab.pve.fail_fields('PUT', '/token/ansible', {
        'regenerate': 'property is not defined in schema and the schema does not allow additional properties'},
        times=1)
    run = play([task('token', user='ci@pve', tokenid='ansible', rotate=True)] + secret_tasks(tmp_path)).assert_ok()
    assert run.write_calls == [('PUT', '/access/users/ci@pve/token/ansible'),
                               ('DELETE', '/access/users/ci@pve/token/ansible'),
                               ('POST', '/access/users/ci@pve/token/ansible'), ('PUT', '/access/acl')]
    new = lab.pve.apitokens['ci@pve!ansible']
    assert new != old and (tmp_path / 'secret').read_text() == new
    assert lab.pve.user_tokens['ci@pve']['ansible'] == {'privsep': 1, 'comment': 'kept'}
    assert lab.pve.acl_entries == {('/vms', 'token', 'ci@pve!ansible', 'PVEAuditor'): 0}


def test_token_of_a_missing_user_is_refused_before_any_write(lab, play):
    run = play([task('token', user='nobody@pve', tokenid='ansible')])
    assert run.failed and run.writes == []
    assert "no such user ('nobody@pve')" in run.task('token')['msg']


# ------------------------------------------------------------------ playbooks/bootstrap-access.yml

def root_env(lab):
    conn = lab.connection()
    return {'PROXMOX_HOST': conn['api_host'], 'PROXMOX_PORT': str(conn['api_port']), 'PROXMOX_USER': 'root@pam',
            'PROXMOX_PASSWORD': lab.pve.password, 'PROXMOX_CA_PATH': conn['ca_path']}


def bootstrap_vars():
    with open(os.path.join(ROOT, 'playbooks', 'vars', 'access.yml')) as fh:
        return yaml.safe_load(fh)


def test_bootstrap_access_then_site_yml_as_the_token(lab, tmp_path):
    """The bootstrap playbook, run as root@pam, makes the role, user, ACL entry and token of
    playbooks/vars/access.yml; a rerun writes nothing; then site.yml runs as that token, whose privileges come
    only from the ACL the playbook wrote."""
    wanted = bootstrap_vars()
    secret_file = tmp_path / 'automation-token'
    playbook = os.path.join(ROOT, 'playbooks', 'bootstrap-access.yml')
    args = ['-e', 'iac_access_secret_file={0}'.format(secret_file)]
    first = run_playbook(lab, tmp_path, playbook, env=root_env(lab), args=args, name='bootstrap').assert_ok()
    assert first.write_calls == [('POST', '/access/roles'), ('POST', '/access/users'), ('PUT', '/access/acl'),
                                 ('POST', '/access/users/automation@pve/token/ansible')]
    assert lab.pve.access_roles == {'IacProxmox': set(wanted['iac_access_privileges'])}
    assert lab.pve.acl_entries == {('/', 'user', 'automation@pve', 'IacProxmox'): 1}
    assert lab.pve.user_tokens['automation@pve'] == {'ansible': {'privsep': 0, 'comment': 'iac.proxmox'}}
    secret = secret_file.read_text()
    assert lab.pve.apitokens['automation@pve!ansible'] == secret
    assert oct(os.stat(str(secret_file)).st_mode & 0o777) == '0o600'
    assert secret not in first.stdout + first.stderr
    again = run_playbook(lab, tmp_path, playbook, env=root_env(lab), args=args, name='again').assert_ok()
    assert again.writes == [] and again.changed == 0
    assert secret_file.read_text() == secret

    conn = lab.connection()
    env = {'PROXMOX_HOST': conn['api_host'], 'PROXMOX_PORT': str(conn['api_port']),
           'PROXMOX_USER': 'automation@pve', 'PROXMOX_TOKEN_ID': 'ansible', 'PROXMOX_TOKEN_SECRET': secret,
           'PROXMOX_CA_PATH': conn['ca_path']}
    assert lab.pve.acl == {}  # no grant() of the lab: only the ACL written through the API counts
    target = project(tmp_path)
    site = run_playbook(lab, tmp_path, target / 'site.yml', env=env, inventory=target / 'inventory' / 'lab',
                        name='site')
    site.assert_ok()
    assert sorted(vm.name for vm in lab.pve.vms if vm.name.startswith('demo-')) == ['demo-web-01', 'demo-web-02']
    assert not any(m.startswith('POST') and 'token' in p for m, p in site.write_calls)


def test_bootstrap_creates_the_secret_files_directory_before_anything_else(lab, tmp_path):
    """The secret is shown once: a secret file in a directory that does not exist used to fail after the token
    was created, and the secret was lost. The directory is made first (mode 0700)."""
    playbook = os.path.join(ROOT, 'playbooks', 'bootstrap-access.yml')
    secret_file = tmp_path / 'new' / 'dir' / 'automation-token'
    args = ['-e', 'iac_access_secret_file={0}'.format(secret_file)]
    check = run_playbook(lab, tmp_path, playbook, env=root_env(lab), args=args, check=True, name='check').assert_ok()
    assert check.writes == [] and not (tmp_path / 'new').exists()
    run_playbook(lab, tmp_path, playbook, env=root_env(lab), args=args, name='made').assert_ok()
    assert secret_file.read_text() == lab.pve.apitokens['automation@pve!ansible']
    assert oct(os.stat(str(secret_file.parent)).st_mode & 0o777) == '0o700'


def test_bootstrap_check_mode_writes_nothing_and_can_print_the_secret(lab, tmp_path):
    playbook = os.path.join(ROOT, 'playbooks', 'bootstrap-access.yml')
    check = run_playbook(lab, tmp_path, playbook, env=root_env(lab), check=True, diff=True, name='check').assert_ok()
    assert check.writes == [] and lab.pve.access_roles == {} and check.changed >= 4
    shown = run_playbook(lab, tmp_path, playbook, env=root_env(lab), name='shown').assert_ok()
    assert lab.pve.apitokens['automation@pve!ansible'] in shown.stdout


def test_bootstrap_on_pve8_uses_vm_monitor(lab, tmp_path):
    """PVE 8.4 does not know VM.GuestAgent.Audit: the playbook's probe (check mode, no write) finds that out and
    the role gets VM.Monitor in its place."""
    lab.pve.use_pve8_privileges()
    wanted = bootstrap_vars()
    playbook = os.path.join(ROOT, 'playbooks', 'bootstrap-access.yml')
    run = run_playbook(lab, tmp_path, playbook, env=root_env(lab), name='pve8').assert_ok()
    expected = set(wanted['iac_access_privileges']) - {'VM.GuestAgent.Audit'} | {'VM.Monitor'}
    assert lab.pve.access_roles == {'IacProxmox': expected}
    assert run.write_calls[0] == ('POST', '/access/roles')
    again = run_playbook(lab, tmp_path, playbook, env=root_env(lab), name='again').assert_ok()
    assert again.writes == []
