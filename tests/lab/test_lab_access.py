"""The lab's access management (users, groups, roles, ACL, API tokens) against pve-access-control's source."""

import time

import requests
from labtools import error_of

from ansible_collections.iac.proxmox.plugins.module_utils._client import PveClient


def token_client(lab, full, secret):
    conn = lab.connection()
    user, token = full.split('!')
    return PveClient(conn['api_host'], user, token_id=token, token_secret=secret, port=conn['api_port'],
                     ca_path=conn['ca_path'])


def acl(api, **data):
    """PUT /access/acl (its `path` parameter clashes with the client's own argument name)."""
    return api.request('PUT', '/access/acl', data=data)


def test_a_user_is_created_read_updated_and_deleted(api):
    """pve-access-control src/PVE/API2/User.pm create_user, read_user (extract_user_data: groups as a sorted
    list), update_user (`groups` replaces the user's groups) and delete_user."""
    api.post('/access/groups', groupid='ops', comment='Operators')
    api.post('/access/groups', groupid='dev')
    api.post('/access/users', userid='ci@pve', comment='CI', email='ci@example.com', groups='ops')
    user = api.get('/access/users/ci@pve')
    assert user['comment'] == 'CI' and user['enable'] == 1 and user['expire'] == 0 and user['groups'] == ['ops']
    api.put('/access/users/ci@pve', groups='dev', enable=0)
    user = api.get('/access/users/ci@pve')
    assert user['groups'] == ['dev'] and user['enable'] == 0
    assert [g['users'] for g in api.get('/access/groups') if g['groupid'] == 'dev'] == ['ci@pve']
    assert 'ci@pve' in [u['userid'] for u in api.get('/access/users')]
    api.delete('/access/users/ci@pve')
    assert error_of(api.get, '/access/users/ci@pve').message == "no such user ('ci@pve')"


def test_user_errors_use_pves_words(api):
    """User.pm create_user: 'user ... already exists' and 'no such group' inside 'create user failed: '."""
    api.post('/access/users', userid='ci@pve')
    assert error_of(api.post, '/access/users', userid='ci@pve').message == \
        "create user failed: user 'ci@pve' already exists"
    assert error_of(api.post, '/access/users', userid='x@pve', groups='nope').message == \
        "create user failed: no such group 'nope'"


def test_a_pve_realm_password_lets_the_user_log_in(lab, api):
    """User.pm create_user calls domain_set_password for the pve realm: the user can then get a ticket."""
    api.post('/access/users', userid='ops@pve', password='s3cret-pass')
    assert lab.pve.check_password('ops@pve', 's3cret-pass')


def test_roles_check_privileges_and_keep_the_special_ones(api):
    """Role.pm create_role/update_role and AccessControl.pm verify_privname (the pve-priv-list format):
    an unknown privilege is a 400 on `privs`; special roles cannot be changed; a PVE prefix is refused."""
    api.post('/access/roles', roleid='Auto', privs='VM.Audit,Sys.Audit')
    assert sorted(api.get('/access/roles/Auto')) == ['Sys.Audit', 'VM.Audit']
    api.put('/access/roles/Auto', privs='VM.Audit')
    assert sorted(api.get('/access/roles/Auto')) == ['VM.Audit']
    err = error_of(api.post, '/access/roles', roleid='Bad', privs='VM.Audit,VM.Fly')
    assert err.status == 400 and err.errors == {'privs': "invalid format - invalid privilege 'VM.Fly'\n"}
    assert error_of(api.put, '/access/roles/PVEAuditor', privs='VM.Audit').message == \
        "auto-generated role 'PVEAuditor' cannot be modified"
    assert error_of(api.post, '/access/roles', roleid='pveMine').errors == {
        'roleid': "cannot use role ID starting with the (case-insensitive) 'PVE' namespace"}
    roles = dict((r['roleid'], r) for r in api.get('/access/roles'))
    assert roles['Auto']['special'] == 0 and roles['Administrator']['special'] == 1
    assert 'VM.GuestAgent.Audit' in roles['Administrator']['privs'].split(',')
    assert 'VM.Monitor' not in roles['Administrator']['privs'].split(',')


def test_acl_entries_are_listed_per_role_and_ugid(api):
    """ACL.pm update_acl/read_acl: one entry per path, ugid and role, propagate defaults to 1."""
    api.post('/access/users', userid='ci@pve')
    acl(api, path='/vms/', users='ci@pve', roles='PVEAuditor,PVEVMUser', propagate=0)
    assert api.get('/access/acl') == [
        {'path': '/vms', 'type': 'user', 'ugid': 'ci@pve', 'roleid': 'PVEAuditor', 'propagate': 0},
        {'path': '/vms', 'type': 'user', 'ugid': 'ci@pve', 'roleid': 'PVEVMUser', 'propagate': 0}]
    acl(api, path='/vms', users='ci@pve', roles='PVEVMUser', delete=1)
    assert [e['roleid'] for e in api.get('/access/acl')] == ['PVEAuditor']


def test_acl_path_and_members_are_checked(api):
    """ACL.pm update_acl: AccessControl.pm check_path refuses paths it does not know ('..' included), and
    unknown roles and users fail inside 'ACL update failed: '."""
    api.post('/access/users', userid='ci@pve')
    err = error_of(acl, api, path='/vms/../storage', users='ci@pve', roles='PVEAuditor')
    assert err.status == 400 and err.errors == {'path': "invalid ACL path '/vms/../storage'"}
    assert error_of(acl, api, path='/', users='no@pve', roles='PVEAuditor').message == \
        "ACL update failed: user 'no@pve' does not exist"
    assert error_of(acl, api, path='/', users='ci@pve', roles='Nope').message == \
        "ACL update failed: role 'Nope' does not exist"
    assert error_of(acl, api, path='/', roles='PVEAuditor').errors['users'] == \
        "either 'users', 'groups' or 'tokens' is required."


def test_a_token_secret_comes_once_and_authenticates(lab, api):
    """User.pm generate_token: the secret (a UUID) is in the create answer only; read_token has none.
    update_token_info `regenerate` returns a new one and the old one stops working."""
    api.post('/access/users', userid='ci@pve')
    created = api.post('/access/users/ci@pve/token/ansible', privsep=0, comment='automation')
    assert created['full-tokenid'] == 'ci@pve!ansible' and len(created['value']) == 36
    assert created['info'] == {'privsep': 0, 'comment': 'automation'}
    assert api.get('/access/users/ci@pve/token/ansible') == {'privsep': 0, 'comment': 'automation'}
    assert token_client(lab, 'ci@pve!ansible', created['value']).get('/version')
    err = error_of(api.post, '/access/users/ci@pve/token/ansible')
    assert err.errors == {'tokenid': 'Token already exists.'}
    renewed = api.put('/access/users/ci@pve/token/ansible', regenerate=1)
    assert renewed['value'] != created['value']
    assert error_of(token_client(lab, 'ci@pve!ansible', created['value']).get, '/version').status == 401


def test_acl_roles_give_privileges_as_pve_computes_them(lab, api):
    """AccessControl.pm roles() and RPCEnvironment.pm permissions: entries propagate to sub-paths unless
    propagate=0; a deeper entry replaces what the parent gave; a privilege-separated token holds what both it
    and its user hold; a token without privsep holds its user's privileges."""
    api.post('/access/groups', groupid='ops')
    api.post('/access/users', userid='ci@pve', groups='ops')
    api.post('/access/roles', roleid='Reader', privs='VM.Audit,Sys.Audit')
    acl(api, path='/', groups='ops', roles='Reader')
    acl(api, path='/vms/100', users='ci@pve', roles='PVEVMUser', propagate=0)
    api.post('/access/users/ci@pve/token/full', privsep=0)
    api.post('/access/users/ci@pve/token/sep')
    acl(api, path='/', tokens='ci@pve!sep', roles='PVEAuditor')
    assert lab.pve.api_privileges('ci@pve', '/nodes/pve1') == {'VM.Audit', 'Sys.Audit'}
    assert 'VM.PowerMgmt' in lab.pve.api_privileges('ci@pve', '/vms/100')
    assert 'Sys.Audit' not in lab.pve.api_privileges('ci@pve', '/vms/100')
    assert lab.pve.api_privileges('ci@pve!full', '/vms/100') == lab.pve.api_privileges('ci@pve', '/vms/100')
    assert lab.pve.api_privileges('ci@pve!sep', '/nodes/pve1') == {'Sys.Audit', 'VM.Audit'}
    assert lab.pve.api_privileges('ci@pve!sep', '/vms/100') == {'VM.Audit', 'VM.GuestAgent.Audit'}
    assert lab.pve.allowed('ci@pve!sep', '/vms/100', 'VM.Audit')
    assert not lab.pve.allowed('ci@pve!sep', '/vms/100', 'VM.PowerMgmt')


def test_deleting_a_token_or_a_user_removes_its_acl_entries(api):
    """User.pm remove_token (parse_user_config then ignores the entries of a missing token) and delete_user
    (delete_user_acl, delete_user_group)."""
    api.post('/access/users', userid='ci@pve')
    api.post('/access/users/ci@pve/token/t1')
    acl(api, path='/', tokens='ci@pve!t1', roles='PVEAuditor')
    acl(api, path='/', users='ci@pve', roles='PVEAuditor')
    api.delete('/access/users/ci@pve/token/t1')
    assert [e['type'] for e in api.get('/access/acl')] == ['user']
    api.delete('/access/users/ci@pve')
    assert api.get('/access/acl') == []


def test_an_empty_form_value_is_not_given(lab, api):
    """pve-http-server PVE/APIServer/AnyEvent.pm decode_urlencoded: `comment=` splits to a key without a value
    (Perl's split drops the empty field), and User.pm update_user only sets fields that are defined."""
    api.post('/access/users', userid='ci@pve', comment='CI')
    api.put('/access/users/ci@pve', comment='')
    assert api.get('/access/users/ci@pve')['comment'] == 'CI'


def test_pve8_knows_vm_monitor_and_not_the_guest_agent_privileges(lab, api):
    """pve-access-control src/PVE/AccessControl.pm $privgroups: 8.2.x (PVE 8.4) has VM.Monitor; 9.0 replaced it
    with VM.GuestAgent.* (and added VM.Replicate). The Administrator role holds every valid privilege."""
    lab.pve.use_pve8_privileges()
    admin = [r for r in api.get('/access/roles') if r['roleid'] == 'Administrator'][0]['privs'].split(',')
    assert 'VM.Monitor' in admin and not [p for p in admin if p.startswith('VM.GuestAgent.')]
    err = error_of(api.post, '/access/roles', roleid='Auto', privs='VM.GuestAgent.Audit')
    assert err.errors == {'privs': "invalid format - invalid privilege 'VM.GuestAgent.Audit'\n"}
    api.post('/access/roles', roleid='Auto', privs='VM.Monitor')


def test_a_user_with_realm_and_group_rights_changes_another_users_password(lab, api):
    """pve-access-control src/PVE/API2/AccessControl.pm change_password: 'or' self, or Realm.AllocateUser on the
    user's realm and User.Modify on /access/groups (or a group of the user); the caller confirms with its own
    password (RPCEnvironment.pm reauth_user_for_user_modification); pam users' passwords stay refused."""
    api.post('/access/roles', roleid='UserAdmin', privs='Realm.AllocateUser,User.Modify')
    api.post('/access/users', userid='admin@pve', password='admin-password')
    api.post('/access/users', userid='ops@pve', password='first-password')
    api.post('/access/users', userid='alice@pam')
    conn = lab.connection()
    admin = PveClient(conn['api_host'], 'admin@pve', password='admin-password', port=conn['api_port'],
                      ca_path=conn['ca_path'])
    assert error_of(admin.put, '/access/password', userid='ops@pve', password='second-password').status == 403
    acl(api, path='/', roles='UserAdmin', users='admin@pve')
    err = error_of(admin.put, '/access/password', userid='ops@pve', password='second-password')
    assert err.status == 400 and err.errors == {'confirmation-password': 'password is required to modify user'}
    admin.put('/access/password', userid='ops@pve', password='second-password',
              **{'confirmation-password': 'admin-password'})
    assert lab.pve.check_password('ops@pve', 'second-password')
    assert error_of(admin.put, '/access/password', userid='alice@pam', password='second-password',
                    **{'confirmation-password': 'admin-password'}).status == 403


def test_a_comma_for_groups_empties_them(lab, api):
    """pve-access-control src/PVE/API2/User.pm update_user: a given `groups` (',' is given; `groups=` is not, see
    pve-http-server decode_urlencoded) drops the user's groups (delete_user_group), and PVE::Tools::split_list
    finds no group in ','."""
    api.post('/access/groups', groupid='ops')
    api.post('/access/users', userid='ci@pve', groups='ops')
    api.put('/access/users/ci@pve', groups='')
    assert api.get('/access/users/ci@pve')['groups'] == ['ops']
    api.put('/access/users/ci@pve', groups=',')
    assert api.get('/access/users/ci@pve')['groups'] == []


def test_a_valid_ticket_renews_itself_as_the_password_of_a_login(lab):
    """pve-access-control src/PVE/API2/AccessControl.pm create_ticket_do: `password` may be a valid ticket
    (AccessControl.pm verify_ticket, within its age range) of the same user or of root@pam; a new ticket is issued
    (proxmoxer renews its ticket so after an hour). A forged or expired ticket is an authentication failure."""
    conn = lab.connection(auth='password')
    client = PveClient(conn['api_host'], conn['api_user'], password=conn['api_password'], port=conn['api_port'],
                       ca_path=conn['ca_path'])
    first = client.login(conn['api_password'])
    renewed = client.login(first['ticket'])
    assert renewed['ticket'] != first['ticket'] and renewed['username'] == conn['api_user']
    assert renewed['CSRFPreventionToken']
    forged = first['ticket'][:-4] + 'beef'
    assert error_of(client.login, forged).status == 401
    lab.pve.revoke_tickets()
    assert error_of(client.login, renewed['ticket']).status == 401


def test_a_csrf_token_is_bound_to_the_user_not_to_the_ticket(lab):
    """pve-common src/PVE/Ticket.pm assemble_csrf_prevention_token / verify_csrf_prevention_token, called by
    pve-access-control AccessControl.pm: the token is `<time>:<HMAC of "<time>:<user>">`, so a write with one
    ticket passes with the CSRF token of another login of the same user (as after proxmoxer renews its ticket);
    another user's token, an expired one (older than the 2 h ticket lifetime) or a made-up one is refused with
    "Permission denied - invalid csrf token"."""
    conn = lab.connection(auth='password')
    client = PveClient(conn['api_host'], conn['api_user'], password=conn['api_password'], port=conn['api_port'],
                       ca_path=conn['ca_path'])
    first = client.login(conn['api_password'])
    second = client.login(conn['api_password'])
    url = '{0}/access/groups'.format(client.base_url)

    def write(groupid, token):
        return requests.post(url, data={'groupid': groupid}, cookies={'PVEAuthCookie': first['ticket']},
                             headers={'CSRFPreventionToken': token}, verify=conn['ca_path'], timeout=30)

    assert write('own', first['CSRFPreventionToken']).status_code == 200
    assert write('other-login', second['CSRFPreventionToken']).status_code == 200
    for name, token in (('other-user', lab.pve.csrf_token('someone@pve')),
                        ('expired', lab.pve.csrf_token(conn['api_user'], time.time() - 7300)),
                        ('made-up', '{0:08X}:bm90LWEtZGlnZXN0'.format(int(time.time())))):
        answer = write(name, token)
        assert answer.status_code == 401 and 'invalid csrf token' in answer.reason, name
    tried = ('own', 'other-login', 'other-user', 'expired', 'made-up')
    assert sorted(g for g in lab.pve.access_groups if g in tried) == ['other-login', 'own']
