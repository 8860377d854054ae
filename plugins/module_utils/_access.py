# -*- coding: utf-8 -*-
# Copyright: iac.proxmox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Access management: users, groups, roles, ACL entries and API tokens. Private to the collection.

PVE keeps all of them in one file (user.cfg) behind /access. Each `converge_*` function does one run of one
module: one read of the current state, validation of the play against it (names, privileges PVE knows, ACL
paths, members that must exist) before anything is written, the comparison, the writes (or in check mode only
the plan) and the before/after for diff mode. Facts from pve-access-control: src/PVE/API2/User.pm,
Group.pm, Role.pm, ACL.pm and src/PVE/AccessControl.pm.
"""

from __future__ import annotations

import re

from ._diff import MASK, MASK_CHANGED, Field, as_bool, as_int, as_set, as_text, compare
from ._errors import PveApiError, ValidationError
from ._regex import regex

# AccessControl.pm verify_groupname / verify_rolename, and the token-subid pattern of User.pm.
GROUP_ID = regex(r'^[A-Za-z0-9._-]+$')
ROLE_ID = regex(r'^[A-Za-z0-9._-]+$')
TOKEN_ID = regex(r'^[A-Za-z][A-Za-z0-9._-]+$')
# PVE::Auth::Plugin::verify_username: user@realm, no white space, ':' or '/' in the user part.
USER_ID = regex(r'^[^\s:/]+@[A-Za-z][A-Za-z0-9._-]+$')
# Set on an existing token with `rotate` when the cluster's pve-access-control predates `regenerate`
# (User.pm update_token_info; added in 9.1): its schema has no such property.
NO_REGENERATE = regex(r'property is not defined in schema|not allowed', re.I)

TEXT = Field(as_text, default='')


def check_userid(option, value):
    if not isinstance(value, str) or not USER_ID.match(value) or not 3 <= len(value) <= 64:
        raise ValidationError(option, value, 'is not a PVE user ID: give user@realm (automation@pve, ci@pam), at most '
                                             '64 characters, without white space, ":" or "/"')
    return value


def check_name(option, value, pattern, what):
    if not isinstance(value, str) or not pattern.match(value):
        raise ValidationError(option, value, '{0} contains invalid characters (PVE allows {1})'.format(
            what, 'letters, digits, ".", "-" and "_"' if pattern is not TOKEN_ID else
            'a letter, then one or more letters, digits, ".", "-" and "_": at least 2 characters'))
    return value


def check_tokenid(option, value):
    """A full token ID, user@realm!name."""
    user, bang, name = str(value).partition('!')
    if not bang:
        raise ValidationError(option, value, 'is not a full API token ID: give user@realm!name (automation@pve!ansible)')
    check_userid(option, user)
    check_name(option, name, TOKEN_ID, 'token name {0!r}'.format(name))
    return value


def refuse_clearing(delta, keys, what):
    """PVE reads an empty form value as not given (pve-http-server decode_urlencoded: Perl's split drops the
    empty value), and User.pm update_user / Group.pm update_group set a text field only when it is given, with
    no `delete`: a text field can be changed but not emptied through the API."""
    for key in keys:
        if delta.set.get(key) == '':
            raise ValidationError(key, '', "PVE cannot empty a {0}'s {1} through its API (an empty value counts as "
                                           "not given and update has no delete); give a new text, or leave the "
                                           "option out".format(what, key))


def missing(module, option, value, reason):
    """Something the play refers to does not exist: an error, except in check mode, where an earlier task of
    the same play would have created it (a role before its ACL entry, a user before its token)."""
    if module.check_mode:
        module.warn('{0}: {1} (check mode: assuming an earlier task creates it)'.format(option, reason))
        return
    raise ValidationError(option, value, reason)


def _by(items, key, value):
    for item in items or []:
        if item.get(key) == value:
            return item
    return None


def finish(module, changed, key, name, before, after, **extra):
    """Exit with the before/after of the object (empty when absent)."""
    module.exit(changed=changed, diff={'before': before, 'after': after}, **dict(extra, **{key: name}))


# ---------------------------------------------------------------- groups

def converge_group(module):
    params = module.params
    client = module.client
    groupid = check_name('groupid', params['groupid'], GROUP_ID, 'group name {0!r}'.format(params['groupid']))
    current = _by(client.get('/access/groups'), 'groupid', groupid)
    path = '/access/groups/' + groupid
    before = _group_view(current)
    if params['state'] == 'absent':
        if current is not None:
            module.write('DELETE', path, action='delete group {0}'.format(groupid))
        return finish(module, current is not None, 'groupid', groupid, before, {}, group={})
    delta = compare({'comment': params['comment']}, current or {}, {'comment': TEXT}, creating=current is None)
    if current is not None:
        refuse_clearing(delta, ('comment',), 'group')
    if current is None:
        module.write('POST', '/access/groups', dict(delta.set, groupid=groupid), action='create group ' + groupid)
    elif delta.changed:
        module.write('PUT', path, delta.set, action='update group {0}: comment'.format(groupid))
    after = dict(before or {'groupid': groupid, 'comment': '', 'members': []})
    if params['comment'] is not None:
        after['comment'] = params['comment']
    return finish(module, current is None or delta.changed, 'groupid', groupid, before, after, group=after)


def _group_view(entry):
    if entry is None:
        return {}
    return {'groupid': entry['groupid'], 'comment': entry.get('comment', ''),
            'members': sorted(u for u in str(entry.get('users') or '').split(',') if u)}


# ---------------------------------------------------------------- roles

def known_privileges(roles):
    """Every privilege the cluster knows: the special role Administrator holds all of them (AccessControl.pm
    $special_roles: Administrator => $valid_privs). None when the list does not show it."""
    admin = _by(roles, 'roleid', 'Administrator')
    if admin is None or not admin.get('privs'):
        return None
    return as_set(str(admin['privs']).replace(',', ';'))


def converge_role(module):
    params = module.params
    client = module.client
    roleid = check_name('roleid', params['roleid'], ROLE_ID, 'role name {0!r}'.format(params['roleid']))
    roles = client.get('/access/roles') or []
    current = _by(roles, 'roleid', roleid)
    path = '/access/roles/' + roleid
    before = _role_view(current)
    special = current is not None and as_bool(current.get('special') or 0)
    if params['state'] == 'absent':
        if special:
            raise ValidationError('roleid', roleid, "auto-generated role '{0}' cannot be deleted (a built-in role of "
                                                    "PVE)".format(roleid))
        if current is not None:
            module.write('DELETE', path, action='delete role {0}'.format(roleid))
        return finish(module, current is not None, 'roleid', roleid, before, {}, role={})
    privileges = params['privileges']
    if privileges is not None:
        wanted = [str(p).strip() for p in privileges if str(p).strip()]
        known = known_privileges(roles)
        unknown = [p for p in wanted if known is not None and p not in known]
        if unknown:
            raise ValidationError('privileges', unknown[0] if len(unknown) == 1 else unknown,
                                  "invalid privilege: this cluster's privileges are {0}".format(', '.join(sorted(known))))
        privileges = sorted(set(wanted))
    if current is None and roleid.lower().startswith('pve'):
        raise ValidationError('roleid', roleid, "cannot use role ID starting with the (case-insensitive) 'PVE' "
                                                "namespace")
    fields = {'privs': Field(lambda v: as_set(str(v).replace(',', ';')) if not isinstance(v, (list, tuple)) else
                             as_set(v), render=','.join, default='')}
    delta = compare({'privs': privileges}, current or {}, fields, creating=current is None)
    if special and delta.changed:
        raise ValidationError('roleid', roleid, "auto-generated role '{0}' cannot be modified (a built-in role of "
                                                "PVE; create your own role)".format(roleid))
    if current is None:
        data = {'roleid': roleid}
        if privileges:
            data['privs'] = ','.join(privileges)
        module.write('POST', '/access/roles', data, action='create role ' + roleid)
    elif delta.changed:
        module.write('PUT', path, {'privs': ','.join(privileges)}, action='update role {0}: privileges'.format(roleid))
    after = {'roleid': roleid, 'privileges': privileges if privileges is not None else before.get('privileges', []),
             'special': bool(special)}
    return finish(module, current is None or delta.changed, 'roleid', roleid, before, after, role=after)


def _role_view(entry):
    if entry is None:
        return {}
    return {'roleid': entry['roleid'], 'privileges': sorted(p for p in str(entry.get('privs') or '').split(',') if p),
            'special': bool(as_bool(entry.get('special') or 0))}


# ---------------------------------------------------------------- users

USER_TEXT = ('comment', 'email', 'firstname', 'lastname')


def user_fields():
    fields = dict((key, TEXT) for key in USER_TEXT)
    fields.update(enable=Field(as_bool, default=1), expire=Field(as_int, default=0),
                  groups=Field(lambda v: as_set(str(v).replace(',', ';')) if not isinstance(v, (list, tuple)) else
                               as_set(v), render=lambda v: ','.join(sorted(v)), default=''))
    return fields


def _user_view(entry):
    if entry is None:
        return {}
    out = {'userid': entry['userid'], 'enable': bool(as_bool(entry.get('enable', 1))),
           'expire': as_int(entry.get('expire') or 0),
           'groups': sorted(g for g in str(entry.get('groups') or '').split(',') if g)}
    out.update((key, entry.get(key, '')) for key in USER_TEXT)
    return out


def read_users(client):
    """Every user the caller may see, with groups and tokens (User.pm index: `full` adds them)."""
    return client.get('/access/users', full=1) or []


def _check_user_options(params, userid):
    """Validation before any request: a password only for the pve realm and of a length PVE takes, expire."""
    realm = userid.rsplit('@', 1)[1]
    password = params['password']
    if password is not None:
        if realm != 'pve':
            raise ValidationError('password', None, "only users of the 'pve' realm have a password PVE keeps; {0} is "
                                                    "in the '{1}' realm, whose passwords are managed there".format(
                                                        userid, realm))
        if not 8 <= len(password) <= 64:
            raise ValidationError('password', None, 'must be 8 to 64 characters long (PVE: value must be at least 8 '
                                                    'characters long)')
    if params['expire'] is not None and params['expire'] < 0:
        raise ValidationError('expire', params['expire'], 'must be 0 (never) or a Unix time')


def _check_groups_exist(module, groups):
    """Each group a user is to join must exist (else the module fails, or warns in check mode: `missing`)."""
    known = set(g.get('groupid') for g in module.client.get('/access/groups') or [])
    for group in groups:
        if group not in known:
            reason = "no such group '{0}' (groups: {1}); create it with iac.proxmox.pve_group first".format(
                group, ', '.join(sorted(known)) or 'none')
            missing(module, 'groups', group, reason)


def converge_user(module):
    params = module.params
    client = module.client
    userid = check_userid('userid', params['userid'])
    password = params['password']
    _check_user_options(params, userid)
    current = _by(read_users(client), 'userid', userid)
    path = '/access/users/' + userid
    before = _user_view(current)
    if params['state'] == 'absent':
        if userid == 'root@pam':
            raise ValidationError('userid', userid, 'root@pam cannot be removed')
        if current is not None:
            module.write('DELETE', path, action='delete user {0}'.format(userid))
        return finish(module, current is not None, 'userid', userid, before, {}, user={})
    desired = dict((key, params[key]) for key in USER_TEXT + ('enable', 'expire'))
    desired['groups'] = None if params['groups'] is None else sorted(set(params['groups']))
    delta = compare(desired, current or {}, user_fields(), creating=current is None)
    if desired['groups'] and 'groups' in delta.set:
        _check_groups_exist(module, desired['groups'])
    if current is not None:
        refuse_clearing(delta, USER_TEXT, 'user')
    set_password = password is not None and (current is None or params['update_password'] == 'always')
    if set_password and current is not None and params.get('api_token_id'):
        # AccessControl.pm (API2) change_password: allowtoken => 0; refused here before the other changes are
        # written, rather than after them.
        raise ValidationError('update_password', 'always', 'setting the password of an existing user needs a ticket '
                                                           'login (api_user with api_password): PVE does not let API '
                                                           'tokens change passwords')
    if current is None:
        data = dict(delta.set, userid=userid)
        if password is not None:
            data['password'] = password
        module.write('POST', '/access/users', data, action='create user ' + userid)
    else:
        if delta.changed:
            data = dict(delta.set)
            if data.get('groups') == '':
                # An empty form value counts as not given (see refuse_clearing) and User.pm update_user then
                # keeps the groups; ',' is given, makes it drop them (delete_user_group) and names none
                # (PVE::Tools::split_list).
                data['groups'] = ','
            module.write('PUT', path, data, action='update user {0}: {1}'.format(
                userid, ', '.join(delta.changed_keys)))
        if set_password:
            data = {'userid': userid, 'password': password}
            if params.get('api_user') != 'root@pam' and params.get('api_password'):
                # RPCEnvironment.pm reauth_user_for_user_modification: a user other than root@pam confirms
                # with its own password ('password is required to modify user').
                data['confirmation-password'] = params['api_password']
            module.write('PUT', '/access/password', data, action='set the password of ' + userid)
    after = dict(before or {'userid': userid, 'enable': True, 'expire': 0, 'groups': [],
                            'comment': '', 'email': '', 'firstname': '', 'lastname': ''})
    for key, value in desired.items():
        if value is not None:
            after[key] = bool(value) if key == 'enable' else value
    diff_before, diff_after = dict(before), dict(after)
    if set_password:
        if current is not None:
            diff_before['password'] = MASK
        diff_after['password'] = MASK_CHANGED
    changed = current is None or delta.changed or set_password
    module.exit(changed=changed, userid=userid, user=after, diff={'before': diff_before, 'after': diff_after})


# ---------------------------------------------------------------- ACL

def check_acl_path(option, path):
    """An ACL path as PVE stores it (AccessControl.pm normalize_path), refusing what check_path never accepts:
    relative paths, '.' and '..' segments, white space."""
    if not isinstance(path, str) or not path.startswith('/'):
        raise ValidationError(option, path, 'must be an absolute ACL path such as /, /vms/100, /pool/team or '
                                            '/storage/<id>')
    segments = [s for s in path.split('/') if s]
    if any(s in ('.', '..') for s in segments):
        raise ValidationError(option, path, 'must not contain "." or ".." segments: PVE takes ACL paths literally '
                                            "(its check_path refuses them: invalid ACL path '{0}')".format(path))
    if re.search(r'\s', path):
        raise ValidationError(option, path, 'must not contain white space')
    return '/' + '/'.join(segments)


def _acl_view(path, entries):
    return {'path': path, 'entries': [dict(type=e['type'], ugid=e['ugid'], roleid=e['roleid'],
                                           propagate=bool(as_bool(e.get('propagate', 1)))) for e in entries]}


def converge_acl(module):
    params = module.params
    client = module.client
    path = check_acl_path('path', params['path'])
    roles = [r for r in (params['roles'] or []) if r]
    if not roles:
        raise ValidationError('roles', params['roles'], 'give at least one role')
    members = []
    for option, kind in (('users', 'user'), ('groups', 'group'), ('tokens', 'token')):
        for index, ugid in enumerate(params[option] or []):
            name = '{0}[{1}]'.format(option, index)
            if kind == 'user':
                check_userid(name, ugid)
            elif kind == 'group':
                check_name(name, ugid, GROUP_ID, 'group name {0!r}'.format(ugid))
            else:
                check_tokenid(name, ugid)
            members.append((kind, ugid))
    if not members:
        raise ValidationError('users', None, 'give at least one of users, groups or tokens')
    for index, role in enumerate(roles):
        check_name('roles[{0}]'.format(index), role, ROLE_ID, 'role name {0!r}'.format(role))
    propagate = 1 if params['propagate'] else 0
    current = dict(((e['type'], e['ugid'], e['roleid']), as_bool(e.get('propagate', 1)))
                   for e in client.get('/access/acl') or [] if e.get('path') == path)
    wanted = list(dict.fromkeys((kind, ugid, role) for kind, ugid in members for role in roles))
    absent = params['state'] == 'absent'
    if absent:
        todo = [key for key in wanted if key in current]
    else:
        todo = [key for key in wanted if current.get(key) != propagate]
    involved = sorted(key for key in current if key in wanted)
    before = _acl_view(path, [dict(type=k[0], ugid=k[1], roleid=k[2], propagate=current[k]) for k in involved])
    if todo and not absent:
        check_acl_members(module, [k[:2] for k in todo], sorted(set(k[2] for k in todo)))
    if todo:
        data = {'path': path, 'roles': ','.join(sorted(set(k[2] for k in todo)))}
        for kind, option in (('user', 'users'), ('group', 'groups'), ('token', 'tokens')):
            ugids = sorted(set(k[1] for k in todo if k[0] == kind))
            if ugids:
                data[option] = ','.join(ugids)
        if absent:
            data['delete'] = 1
            action = 'remove ACL entries on {0}: {1}'
        else:
            data['propagate'] = propagate
            action = 'set ACL entries on {0}: {1}'
        module.write('PUT', '/access/acl', data, action=action.format(path, ', '.join(
            '{0} {1}'.format(k[1], k[2]) for k in todo)))
    after_keys = {} if absent else dict((k, propagate) for k in wanted)
    if not absent:
        after_keys.update((k, current[k]) for k in involved if k not in after_keys)
    after = _acl_view(path, [dict(type=k[0], ugid=k[1], roleid=k[2], propagate=p) for k, p in sorted(after_keys.items())])
    module.exit(changed=bool(todo), path=path, acl=after['entries'], diff={'before': before, 'after': after})


def check_acl_members(module, members, roles):
    """The roles, users, groups and tokens exist (PVE would fail inside 'ACL update failed: ...')."""
    client = module.client
    known_roles = set(r.get('roleid') for r in client.get('/access/roles') or [])
    for role in roles:
        if role not in known_roles:
            missing(module, 'roles', role, "role '{0}' does not exist; create it with iac.proxmox.pve_role "
                                           "first".format(role))
    kinds = set(kind for kind, _ugid in members)
    users = read_users(client) if kinds & {'user', 'token'} else []
    groups = set(g.get('groupid') for g in client.get('/access/groups') or []) if 'group' in kinds else set()
    for kind, ugid in members:
        if kind == 'group' and ugid not in groups:
            missing(module, 'groups', ugid, "group '{0}' does not exist".format(ugid))
        if kind == 'user' and _by(users, 'userid', ugid) is None:
            missing(module, 'users', ugid, "user '{0}' does not exist".format(ugid))
        if kind == 'token':
            owner, _bang, name = ugid.partition('!')
            user = _by(users, 'userid', owner)
            if user is None or _by(user.get('tokens'), 'tokenid', name) is None:
                missing(module, 'tokens', ugid, "no such token '{0}' for user '{1}'".format(name, owner))


# ---------------------------------------------------------------- tokens

TOKEN_FIELDS = {'comment': TEXT, 'privsep': Field(as_bool, default=1), 'expire': Field(as_int, default=0)}


def _token_view(full, entry):
    if entry is None:
        return {}
    return {'full_tokenid': full, 'privsep': bool(as_bool(entry.get('privsep', 1))),
            'expire': as_int(entry.get('expire') or 0), 'comment': entry.get('comment', '')}


def converge_token(module):
    params = module.params
    client = module.client
    userid = check_userid('user', params['user'])
    tokenid = check_name('tokenid', params['tokenid'], TOKEN_ID, 'token name {0!r}'.format(params['tokenid']))
    if params['expire'] is not None and params['expire'] < 0:
        raise ValidationError('expire', params['expire'], 'must be 0 (the user\'s expiry) or a Unix time')
    full = '{0}!{1}'.format(userid, tokenid)
    user = _by(read_users(client), 'userid', userid)
    if user is None and params['state'] == 'present':
        missing(module, 'user', userid, "no such user ('{0}'); create it with iac.proxmox.pve_user "
                                        "first".format(userid))
    current = _by((user or {}).get('tokens'), 'tokenid', tokenid)
    path = '/access/users/{0}/token/{1}'.format(userid, tokenid)
    before = _token_view(full, current)
    if params['state'] == 'absent':
        if current is not None:
            module.write('DELETE', path, action='delete API token ' + full)
        return finish(module, current is not None, 'full_tokenid', full, before, {}, token={})
    desired = {'comment': params['comment'], 'privsep': params['privsep'], 'expire': params['expire']}
    delta = compare(desired, current or {}, TOKEN_FIELDS, creating=current is None)
    data = dict((k, (1 if v else 0) if isinstance(v, bool) else v) for k, v in delta.set.items())
    secret = None
    rotate = bool(params['rotate']) and current is not None
    if current is None:
        answer = module.write('POST', path, data, action='create API token ' + full)
        secret = (answer or {}).get('value')
    elif rotate:
        secret = rotate_token(module, userid, tokenid, path, data, current)
    elif delta.changed:
        if data.get('comment') == '':
            data.pop('comment')
            data['delete'] = 'comment'
        module.write('PUT', path, data, action='update API token {0}: {1}'.format(full, ', '.join(delta.changed_keys)))
    after = dict(before or {'full_tokenid': full, 'privsep': True, 'expire': 0, 'comment': ''})
    for key, value in desired.items():
        if value is not None:
            after[key] = bool(value) if key == 'privsep' else value
    diff_before, diff_after = dict(before), dict(after)
    if current is None or rotate:
        if current is not None:
            diff_before['secret'] = MASK
        diff_after['secret'] = MASK_CHANGED
    result = {'full_tokenid': full, 'token': after, 'diff': {'before': diff_before, 'after': diff_after}}
    if secret:
        result['secret'] = secret
    module.exit(changed=current is None or rotate or delta.changed, **result)


def rotate_token(module, userid, tokenid, path, data, current):
    """A new secret for an existing token: PUT with `regenerate` (User.pm update_token_info, pve-access-control
    9.1 and later). Where the cluster does not know `regenerate`, the token is removed and created again with
    the same settings, and its ACL entries (which PVE drops with the token) are put back."""
    full = '{0}!{1}'.format(userid, tokenid)
    try:
        answer = module.write('PUT', path, dict(data, regenerate=1), action='regenerate the secret of API token ' + full)
        return (answer or {}).get('value')
    except PveApiError as exc:
        if exc.status != 400 or not NO_REGENERATE.search(str((exc.errors or {}).get('regenerate', ''))):
            raise
    module.plan.pop()
    module.warn('this PVE version cannot regenerate a token secret in place (pve-access-control before 9.1): API '
                'token {0} was removed and created again with the same settings and ACL entries'.format(full))
    entries = [e for e in module.client.get('/access/acl') or [] if e.get('type') == 'token' and e.get('ugid') == full]
    settings = {'privsep': as_bool(current.get('privsep', 1))}
    if current.get('expire'):
        settings['expire'] = current['expire']
    if current.get('comment'):
        settings['comment'] = current['comment']
    settings.update(data)
    if settings.get('comment') == '':
        settings.pop('comment')
    module.write('DELETE', path, action='delete API token {0} (to rotate its secret)'.format(full))
    answer = module.write('POST', path, settings, action='create API token {0} again'.format(full))
    for entry in entries:
        module.write('PUT', '/access/acl', {'path': entry['path'], 'tokens': full, 'roles': entry['roleid'],
                                            'propagate': as_bool(entry.get('propagate', 1))},
                     action='put back ACL entry {0} {1} of {2}'.format(entry['path'], entry['roleid'], full))
    return (answer or {}).get('value')
