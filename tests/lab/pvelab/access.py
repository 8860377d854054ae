"""Access management: users, groups, roles, ACLs and API tokens, stateful.

fakepve answers /access/users, /access/groups, /access/roles, /access/acl and the token endpoints
generically (a write succeeds and stores nothing) and keeps permissions in `pve.acl` (userid -> grants)
filled by tests through grant(). PVE keeps all of this in one file, user.cfg; the handlers here follow
pve-access-control's src/PVE/API2/{User,Group,Role,ACL}.pm and src/PVE/AccessControl.pm for behaviour
and wording, and what is written through the API takes part in permission checks as PVE's `roles()` /
`permission()` compute it: the nearest ACL node on the path wins, token over user over group entries,
`propagate` reaches sub-paths, a privilege-separated token holds only what both it and its user hold.
"""

import base64
import hashlib
import hmac
import re
import secrets
import time
import uuid

from fakepve import shapes
from fakepve.model import PveError
from fakepve.routing import die, param_error, split_list
from fakepve.server import USER, bad_request, ok, params

# pve-access-control src/PVE/AccessControl.pm $privgroups (PVE 9): category -> (root, admin, user, audit).
PRIV_GROUPS = {
    'VM': ((), ('VM.Config.Disk', 'VM.Config.CPU', 'VM.Config.Memory', 'VM.Config.Network', 'VM.Config.HWType',
                'VM.Config.Options', 'VM.Allocate', 'VM.Clone', 'VM.GuestAgent.Unrestricted', 'VM.Migrate',
                'VM.Replicate', 'VM.Snapshot', 'VM.Snapshot.Rollback'),
           ('VM.Config.CDROM', 'VM.Config.Cloudinit', 'VM.Console', 'VM.Backup', 'VM.GuestAgent.FileRead',
            'VM.GuestAgent.FileSystemMgmt', 'VM.GuestAgent.FileWrite', 'VM.PowerMgmt'),
           ('VM.Audit', 'VM.GuestAgent.Audit')),
    'Sys': (('Sys.PowerMgmt', 'Sys.Modify', 'Sys.Incoming', 'Sys.AccessNetwork'), ('Sys.Console', 'Sys.Syslog'), (),
            ('Sys.Audit',)),
    'Datastore': ((), ('Datastore.Allocate', 'Datastore.AllocateTemplate'), ('Datastore.AllocateSpace',),
                  ('Datastore.Audit',)),
    'SDN': ((), ('SDN.Allocate', 'SDN.Audit'), ('SDN.Use',), ('SDN.Audit',)),
    'User': (('Realm.Allocate',), ('User.Modify', 'Group.Allocate', 'Realm.AllocateUser'), (), ()),
    'Pool': ((), ('Pool.Allocate',), ('Pool.Audit',), ('Pool.Audit',)),
    'Mapping': ((), ('Mapping.Modify',), ('Mapping.Use',), ('Mapping.Audit',)),
}
VALID_PRIVS = frozenset(shapes.PRIVILEGES)
# pve-access-control 8.2.x (PVE 8.4) src/PVE/AccessControl.pm $privgroups: VM.Monitor instead of the
# VM.GuestAgent.* privileges, and no VM.Replicate (both came with 9.0).
PVE8_PRIVS = (VALID_PRIVS - {p for p in VALID_PRIVS if p.startswith('VM.GuestAgent.')} - {'VM.Replicate'}) | {
    'VM.Monitor'}
USER_FIELDS = ('firstname', 'lastname', 'email', 'comment', 'keys')


def special_roles():
    """AccessControl.pm create_roles: the built-in roles, each a set of privileges."""
    roles = {'NoAccess': set(), 'Administrator': set(VALID_PRIVS), 'PVEAdmin': set(), 'PVEAuditor': set()}
    for cat, (_root, admin, user, audit) in PRIV_GROUPS.items():
        roles.setdefault('PVE{0}Admin'.format(cat), set()).update(admin + user + audit)
        roles['PVEAdmin'].update(admin + user + audit)
        if user:
            roles.setdefault('PVE{0}User'.format(cat), set()).update(user + audit)
        roles['PVEAuditor'].update(audit)
    roles['PVEAdmin'].discard('Mapping.Modify')
    roles['PVETemplateUser'] = {'VM.Clone', 'VM.Audit'}
    return roles


SPECIAL_ROLES = special_roles()


def normalize_path(path):
    """AccessControl.pm normalize_path: '//' collapsed, a trailing '/' dropped, a leading one added."""
    if not path:
        return None
    while '//' in path:
        path = path.replace('//', '/')
    path = path.rstrip('/') if path != '/' else path
    path = path or '/'
    return path if path.startswith('/') else '/' + path


NAME = r'[A-Za-z0-9._-]+'
ACL_PATHS = [
    r'/', r'/access', r'/access/groups', r'/access/groups/' + NAME, r'/access/realm', r'/access/realm/' + NAME,
    r'/nodes', r'/nodes/' + NAME, r'/pool', r'/pool/' + NAME + r'(?:/' + NAME + r'){0,2}', r'/sdn',
    r'/sdn/zones', r'/sdn/zones/' + NAME, r'/sdn/zones/' + NAME + '/' + NAME,
    r'/sdn/zones/' + NAME + '/' + NAME + r'/[1-9][0-9]{0,3}', r'/sdn/controllers', r'/sdn/controllers/' + NAME,
    r'/sdn/ipams', r'/sdn/ipams/[A-Za-z0-9]+', r'/sdn/dns', r'/sdn/dns/[A-Za-z0-9]+', r'/storage',
    r'/storage/' + NAME, r'/vms', r'/vms/[1-9][0-9]{2,}', r'/mapping', r'/mapping/' + NAME,
    r'/mapping/' + NAME + '/' + NAME,
]


def check_path(path):
    """AccessControl.pm check_path: the ACL paths PVE accepts."""
    return any(re.fullmatch(rx, path) for rx in ACL_PATHS)


class AccessApi(object):
    """Mixin for the lab's FakePve: user.cfg (users, groups, roles, ACL, tokens) through the API."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # userid -> {enable, expire, firstname, lastname, email, comment, keys}; root@pam always exists.
        self.access_users = {'root@pam': {'enable': 1, 'expire': 0}}
        self.user_groups = {}  # userid -> {groupid}
        self.access_groups = {}  # groupid -> {'comment': ...}
        self.access_roles = {}  # custom roles: roleid -> {privs}
        self.user_tokens = {}  # userid -> {tokenid: {privsep, expire, comment}}
        self.acl_entries = {}  # (path, type, ugid, roleid) -> propagate (1/0)
        # The privileges PVE knows (use_pve8_privileges() for PVE 8.4's).
        self.valid_privileges = VALID_PRIVS

    def use_pve8_privileges(self):
        """Answer as PVE 8.4 does about privileges: VM.Monitor exists, VM.GuestAgent.* and VM.Replicate do not."""
        self.valid_privileges = PVE8_PRIVS

    def _routes_access(self):
        users, user = '/access/users', '/access/users/{userid}'
        token = user + '/token/{tokenid}'
        return list(super()._routes_access()) + [
            ('GET', users, self._user_index), ('POST', users, self._user_create),
            ('GET', user, self._user_read), ('PUT', user, self._user_update), ('DELETE', user, self._user_delete),
            ('GET', user + '/token', self._token_index), ('GET', token, self._token_read),
            ('POST', token, self._token_create), ('PUT', token, self._token_update),
            ('DELETE', token, self._token_delete),
            ('GET', '/access/groups', self._group_index), ('POST', '/access/groups', self._group_create),
            ('GET', '/access/groups/{groupid}', self._group_read),
            ('PUT', '/access/groups/{groupid}', self._group_update),
            ('DELETE', '/access/groups/{groupid}', self._group_delete),
            ('GET', '/access/roles', self._role_index), ('POST', '/access/roles', self._role_create),
            ('GET', '/access/roles/{roleid}', self._role_read), ('PUT', '/access/roles/{roleid}', self._role_update),
            ('DELETE', '/access/roles/{roleid}', self._role_delete),
            ('GET', '/access/acl', self._acl_read), ('PUT', '/access/acl', self._acl_update),
        ]

    # ---------------------------------------------------------------- state

    def roles_all(self):
        out = dict((k, set(v) & self.valid_privileges) for k, v in SPECIAL_ROLES.items())
        out['Administrator'] = set(self.valid_privileges)
        out.update((k, set(v)) for k, v in self.access_roles.items())
        return out

    def _enforce(self):
        """Users made through the API are checked like any user but root@pam (fakepve checks nobody until
        the first grant)."""
        if self.acl is None:
            self.acl = {}

    def _user(self, userid):
        """AccessControl.pm check_user_exist."""
        if userid not in self.access_users:
            raise die("no such user ('{0}')".format(userid))
        return self.access_users[userid]

    def _set_groups(self, userid, groups, fail):
        for group in split_list(groups):
            if group not in self.access_groups:
                raise die("{0}: no such group '{1}'".format(fail, group))
            self.user_groups.setdefault(userid, set()).add(group)

    # ---------------------------------------------------------------- users

    def _user_entry(self, userid, full):
        data = self.access_users[userid]
        out = dict((k, data[k]) for k in ('enable', 'expire') + USER_FIELDS if data.get(k) is not None)
        if full:
            out['groups'] = sorted(self.user_groups.get(userid, ()))
            out['tokens'] = dict((t, dict(info)) for t, info in self.user_tokens.get(userid, {}).items())
        return out

    async def _user_index(self, v, user):
        out = []
        for userid in sorted(self.access_users):
            if v.get('enabled') and not self.access_users[userid].get('enable'):
                continue
            entry = dict(self._user_entry(userid, False), userid=userid, **{'realm-type': userid.rsplit('@', 1)[1]})
            groups = sorted(self.user_groups.get(userid, ()))
            # User.pm index: extract_user_data adds groups and tokens only with `full`.
            if groups and v.get('full'):
                entry['groups'] = ','.join(groups)
            if v.get('full'):
                entry['tokens'] = [dict(info, tokenid=t) for t, info in sorted(self.user_tokens.get(userid, {}).items())]
            out.append(entry)
        return out

    async def _user_create(self, v, user):
        """API2/User.pm create_user."""
        userid = v['userid']
        fail = 'create user failed'
        if userid in self.access_users:
            raise die("{0}: user '{1}' already exists".format(fail, userid))
        realm = userid.rsplit('@', 1)[1]
        if v.get('password') is not None and realm != 'pve':
            # Auth/PAM.pm store_password (and the other non-pve plugins): the realm keeps its own passwords.
            raise die('{0}: setting password for \'{1}\' realm is not implemented'.format(fail, realm))
        for group in split_list(v.get('groups')):
            if group not in self.access_groups:
                raise die("{0}: no such group '{1}'".format(fail, group))
        data = {'enable': v['enable'] if v.get('enable') is not None else 1, 'expire': v.get('expire') or 0}
        data.update((k, v[k]) for k in USER_FIELDS if v.get(k))
        self.access_users[userid] = data
        self._set_groups(userid, v.get('groups'), fail)
        if v.get('password') is not None:
            self.users[userid] = v['password']
        self._enforce()

    async def _user_read(self, v, user):
        self._user(v['userid'])
        return self._user_entry(v['userid'], True)

    async def _user_update(self, v, user):
        """API2/User.pm update_user: given fields replace the stored ones; `groups` replaces the user's
        groups unless `append`."""
        userid = v['userid']
        fail = 'update user failed'
        if userid not in self.access_users:
            raise die("{0}: no such user ('{1}')".format(fail, userid))
        data = self.access_users[userid]
        for key in ('enable', 'expire') + USER_FIELDS:
            if v.get(key) is not None:
                data[key] = v[key]
        if v.get('groups') is not None and not v.get('append'):
            self.user_groups.pop(userid, None)
        self._set_groups(userid, v.get('groups'), fail)

    async def _user_delete(self, v, user):
        """API2/User.pm delete_user: the user leaves its groups and its ACL entries go (delete_user_group,
        delete_user_acl); its tokens go with it."""
        userid = v['userid']
        if userid not in self.access_users:
            raise die("delete user failed: no such user ('{0}')".format(userid))
        del self.access_users[userid]
        self.user_groups.pop(userid, None)
        for tokenid in self.user_tokens.pop(userid, {}):
            self.apitokens.pop('{0}!{1}'.format(userid, tokenid), None)
        for key in [k for k in self.acl_entries if k[1] == 'user' and k[2] == userid]:
            del self.acl_entries[key]
        self.users.pop(userid, None)

    # ------------------------------------------------------------ CSRF tokens

    def issue_ticket(self, user):
        """fakepve's ticket, with PVE's CSRF token: pve-common src/PVE/Ticket.pm assemble_csrf_prevention_token,
        `<time as 8 hex digits>:<HMAC-SHA256 (base64) of "<time>:<user>" with the node's secret>`: bound to the
        user and its age, not to the ticket (fakepve made one per ticket)."""
        ticket, _csrf = super().issue_ticket(user)
        csrf = self.csrf_token(user)
        self.tickets[ticket]['csrf'] = csrf
        return ticket, csrf

    def csrf_token(self, user, when=None):
        if '_csrf_secret' not in self.__dict__:
            self.__dict__['_csrf_secret'] = secrets.token_bytes(32)
        stamp = '{0:08X}'.format(int(time.time() if when is None else when))
        digest = hmac.new(self.__dict__['_csrf_secret'], '{0}:{1}'.format(stamp, user).encode(), hashlib.sha256)
        return '{0}:{1}'.format(stamp, base64.b64encode(digest.digest()).decode().rstrip('='))

    def csrf_valid(self, user, token):
        """pve-common src/PVE/Ticket.pm verify_csrf_prevention_token (called by pve-access-control
        AccessControl.pm with -$auth_graceperiod and $ticket_lifetime): the token's HMAC matches the user and
        its age is between -300 s and the ticket lifetime. The token's time has whole seconds and the lab's
        tickets expire to the fraction (tests set lifetimes below a second), so a second is added: a token lasts
        at least as long as a ticket issued with it."""
        match = re.match(r'^([A-Z0-9]{8}):(\S+)$', token or '')
        if not match:
            return False
        age = time.time() - int(match.group(1), 16)
        return hmac.compare_digest(self.csrf_token(user, int(match.group(1), 16)), token) and \
            -300 < age < self.ticket_ttl + 1

    def _authenticate(self, request):
        """pve-manager PVE/HTTPServer.pm auth_handler: a write with a ticket needs a CSRF token valid for the
        ticket's user (verify_csrf_prevention_token), whichever login issued it; the rest is fakepve's check."""
        ticket = request.cookies.get('PVEAuthCookie')
        session = self.tickets.get(ticket) if ticket else None
        if session is None or session['expires'] < time.time() or request.method in ('GET', 'HEAD') or \
                request.path.endswith('/access/ticket') or \
                request.headers.get('Authorization', '').startswith('PVEAPIToken='):
            return super()._authenticate(request)
        if not self.csrf_valid(session['user'], request.headers.get('CSRFPreventionToken')):
            raise PveError(401, 'Permission denied - invalid csrf token')
        return session['user']

    async def _ticket(self, request):
        """API2/AccessControl.pm create_ticket_do: the password may be a valid ticket (AccessControl.pm
        verify_ticket, within its age range) of the same user, or of root@pam for any user; a new ticket is then
        issued without authenticate_user. This is how clients renew a ticket before it expires (proxmoxer after an
        hour). fakepve took passwords only; anything else is still its check."""
        values = await params(request)
        user, given = str(values.get('username', '')), str(values.get('password', ''))
        if '@' not in user:
            user += '@pam'
        session = self.tickets.get(given) if given.startswith('PVE:') else None
        if session is None or session['expires'] < time.time() or session['user'] not in (user, 'root@pam'):
            return await super()._ticket(request)
        ticket, csrf = self.issue_ticket(user)
        return ok({'ticket': ticket, 'CSRFPreventionToken': csrf, 'username': user, 'cap': {}})

    async def _password(self, request):
        """API2/AccessControl.pm change_password: besides its own, a user may change the password of another
        with Realm.AllocateUser on /access/realm/<realm> and User.Modify on /access/groups or on a group of that
        user (check ['or', ['userid-param', 'self'], ['and', ['userid-param', 'Realm.AllocateUser'],
        ['userid-group', ['User.Modify']]]]), but never root@pam's nor a pam user's (raise_perm_exc); it confirms
        with its own password (RPCEnvironment.pm reauth_user_for_user_modification). fakepve lets only root
        change another user's password; the rest (tokens, own password, root) is fakepve's."""
        user = request[USER]
        values = await params(request)
        userid = values.get('userid')
        if '!' in user or user == 'root@pam' or userid in (None, user) or userid not in self.access_users:
            return await super()._password(request)
        groups = self.user_groups.get(userid, ())
        if not (self._has(user, '/access/realm/' + userid.rsplit('@', 1)[1], 'Realm.AllocateUser') and (
                self._has(user, '/access/groups', 'User.Modify') or
                any(self._has(user, '/access/groups/' + g, 'User.Modify') for g in groups))):
            return await super()._password(request)
        values = self._verify(request, values)
        confirmation = values.get('confirmation-password')
        if confirmation is None:
            raise bad_request(**{'confirmation-password': 'password is required to modify user'})
        if not self.check_password(user, confirmation):
            raise PveError(500, 'authentication failure')
        if userid == 'root@pam' or userid.endswith('@pam'):
            raise PveError(403, 'Permission check failed')
        self.users[userid] = values['password']
        return ok()

    # ---------------------------------------------------------------- tokens

    def _token(self, userid, tokenid):
        """AccessControl.pm check_token_exist."""
        self._user(userid)
        info = self.user_tokens.get(userid, {}).get(tokenid)
        if info is None:
            raise die("no such token '{0}' for user '{1}'".format(tokenid, userid))
        return info

    async def _token_index(self, v, user):
        self._user(v['userid'])
        return [dict(info, tokenid=t) for t, info in sorted(self.user_tokens.get(v['userid'], {}).items())]

    async def _token_read(self, v, user):
        return dict(self._token(v['userid'], v['tokenid']))

    async def _token_create(self, v, user):
        """API2/User.pm generate_token: the secret (a UUID, PVE::TokenConfig::generate_token) is in this
        answer only; privsep defaults to 1."""
        userid, tokenid = v['userid'], v['tokenid']
        self._user(userid)
        if tokenid in self.user_tokens.get(userid, {}):
            raise param_error(tokenid='Token already exists.')
        info = {'privsep': v['privsep'] if v.get('privsep') is not None else 1}
        if v.get('expire') is not None:
            info['expire'] = v['expire']
        if v.get('comment'):
            info['comment'] = v['comment']
        self.user_tokens.setdefault(userid, {})[tokenid] = info
        full = '{0}!{1}'.format(userid, tokenid)
        secret = str(uuid.uuid4())
        self.apitokens[full] = secret
        self._enforce()
        return {'info': dict(info), 'value': secret, 'full-tokenid': full}

    async def _token_update(self, v, user):
        """API2/User.pm update_token_info: `regenerate` makes a new secret, returned in this answer only."""
        userid, tokenid = v['userid'], v['tokenid']
        info = self._token(userid, tokenid)
        for key in ('privsep', 'expire', 'comment'):
            if v.get(key) is not None:
                info[key] = v[key]
        if not info.get('comment'):
            info.pop('comment', None)
        for key in split_list(v.get('delete')):
            if key != 'comment':
                raise param_error(delete="unknown option '{0}'".format(key))
            info.pop(key, None)
        out = dict(info)
        if v.get('regenerate'):
            full = '{0}!{1}'.format(userid, tokenid)
            out['value'] = self.apitokens[full] = str(uuid.uuid4())
            out['full-tokenid'] = full
        return out

    async def _token_delete(self, v, user):
        """API2/User.pm remove_token; its ACL entries go too (parse_user_config drops entries of tokens that
        do not exist: 'ignore invalid acl token')."""
        userid, tokenid = v['userid'], v['tokenid']
        self._token(userid, tokenid)
        del self.user_tokens[userid][tokenid]
        full = '{0}!{1}'.format(userid, tokenid)
        self.apitokens.pop(full, None)
        for key in [k for k in self.acl_entries if k[1] == 'token' and k[2] == full]:
            del self.acl_entries[key]

    # ---------------------------------------------------------------- groups

    async def _group_index(self, v, user):
        out = []
        for groupid in sorted(self.access_groups):
            entry = {'groupid': groupid}
            if self.access_groups[groupid].get('comment'):
                entry['comment'] = self.access_groups[groupid]['comment']
            members = sorted(u for u, gs in self.user_groups.items() if groupid in gs)
            if members:
                entry['users'] = ','.join(members)
            out.append(entry)
        return out

    async def _group_create(self, v, user):
        """API2/Group.pm create_group."""
        groupid = v['groupid']
        if groupid in self.access_groups:
            raise die("create group failed: group '{0}' already exists".format(groupid))
        self.access_groups[groupid] = {'comment': v['comment']} if v.get('comment') else {}

    async def _group_read(self, v, user):
        group = self.access_groups.get(v['groupid'])
        if group is None:
            raise die("group '{0}' does not exist".format(v['groupid']))
        out = {'members': sorted(u for u, gs in self.user_groups.items() if v['groupid'] in gs)}
        if group.get('comment'):
            out['comment'] = group['comment']
        return out

    async def _group_update(self, v, user):
        group = self.access_groups.get(v['groupid'])
        if group is None:
            raise die("update group failed: group '{0}' does not exist".format(v['groupid']))
        if v.get('comment') is not None:
            group['comment'] = v['comment']

    async def _group_delete(self, v, user):
        """API2/Group.pm delete_group: members leave it and its ACL entries go (delete_group_acl)."""
        groupid = v['groupid']
        if groupid not in self.access_groups:
            raise die("delete group failed: group '{0}' does not exist".format(groupid))
        del self.access_groups[groupid]
        for groups in self.user_groups.values():
            groups.discard(groupid)
        for key in [k for k in self.acl_entries if k[1] == 'group' and k[2] == groupid]:
            del self.acl_entries[key]

    # ---------------------------------------------------------------- roles

    def _check_privs(self, privs):
        """The `pve-priv-list` format (AccessControl.pm verify_privname) PVE checks before the handler."""
        for priv in split_list(privs):
            if priv not in self.valid_privileges:
                raise param_error(privs="invalid format - invalid privilege '{0}'\n".format(priv))
        return set(split_list(privs))

    async def _role_index(self, v, user):
        return [{'roleid': name, 'privs': ','.join(sorted(privs)), 'special': 1 if name in SPECIAL_ROLES else 0}
                for name, privs in sorted(self.roles_all().items())]

    async def _role_create(self, v, user):
        """API2/Role.pm create_role."""
        roleid = v['roleid']
        privs = self._check_privs(v.get('privs'))
        if roleid.lower().startswith('pve'):
            raise param_error(roleid="cannot use role ID starting with the (case-insensitive) 'PVE' namespace")
        if roleid in self.roles_all():
            raise die("create role failed: role '{0}' already exists".format(roleid))
        self.access_roles[roleid] = privs

    async def _role_read(self, v, user):
        roles = self.roles_all()
        if v['roleid'] not in roles:
            raise die("role '{0}' does not exist".format(v['roleid']))
        return dict((p, 1) for p in sorted(roles[v['roleid']]))

    async def _role_update(self, v, user):
        """API2/Role.pm update_role: `privs` replaces the list unless `append`."""
        roleid = v['roleid']
        privs = self._check_privs(v.get('privs'))
        if roleid in SPECIAL_ROLES:
            raise die("auto-generated role '{0}' cannot be modified".format(roleid))
        if roleid not in self.access_roles:
            raise die("update role failed: role '{0}' does not exist".format(roleid))
        if not v.get('append'):
            self.access_roles[roleid] = set()
        self.access_roles[roleid].update(privs)

    async def _role_delete(self, v, user):
        roleid = v['roleid']
        if roleid in SPECIAL_ROLES:
            raise die("auto-generated role '{0}' cannot be deleted".format(roleid))
        if roleid not in self.access_roles:
            raise die("delete role failed: role '{0}' does not exist".format(roleid))
        del self.access_roles[roleid]
        # AccessControl.pm parse_user_config drops ACL entries of roles that do not exist.
        for key in [k for k in self.acl_entries if k[3] == roleid]:
            del self.acl_entries[key]

    # ---------------------------------------------------------------- ACL

    async def _acl_read(self, v, user):
        """API2/ACL.pm read_acl: entries on paths the caller may audit (Sys.Audit on /access) or modify."""
        audit = user is None or self._has(user, '/access', 'Sys.Audit')
        out = []
        for (path, kind, ugid, roleid), propagate in sorted(self.acl_entries.items()):
            if audit or self._has(user, path, 'Permissions.Modify'):
                out.append({'path': path, 'type': kind, 'ugid': ugid, 'roleid': roleid, 'propagate': propagate})
        return out

    async def _acl_update(self, v, user):
        """API2/ACL.pm update_acl."""
        if not (v.get('users') or v.get('groups') or v.get('tokens')):
            raise param_error(**dict((k, "either 'users', 'groups' or 'tokens' is required.")
                                     for k in ('users', 'groups', 'tokens')))
        path = normalize_path(v['path'])
        if not path or (not v.get('delete') and not check_path(path)):
            raise param_error(path="invalid ACL path '{0}'".format(v['path']))
        fail = 'ACL update failed'
        propagate = 1 if v.get('propagate') is None else (1 if v['propagate'] else 0)
        roles = self.roles_all()
        changes = []
        for role in split_list(v['roles']):
            if role not in roles:
                raise die("{0}: role '{1}' does not exist".format(fail, role))
            for group in split_list(v.get('groups')):
                if group not in self.access_groups:
                    raise die("{0}: group '{1}' does not exist".format(fail, group))
                changes.append((path, 'group', group, role))
            for userid in split_list(v.get('users')):
                if userid not in self.access_users:
                    raise die("{0}: user '{1}' does not exist".format(fail, userid))
                changes.append((path, 'user', userid, role))
            for full in split_list(v.get('tokens')):
                owner, _bang, tokenid = full.partition('!')
                try:
                    self._token(owner, tokenid)
                except PveError as exc:
                    raise die('{0}: {1}'.format(fail, exc.message))
                changes.append((path, 'token', full, role))
        for key in changes:
            if v.get('delete'):
                self.acl_entries.pop(key, None)
            else:
                self.acl_entries[key] = propagate
        self._enforce()

    # ---------------------------------------------------------------- permissions

    def _roles_at(self, ugid, kind, path):
        """AccessControl.pm roles(): walking from / to path, the nearest node with entries that apply (on the
        path itself, or propagated) decides; for a user its own entries win over its groups'."""
        nodes = ['/']
        for seg in [s for s in path.split('/') if s]:
            nodes.append(nodes[-1].rstrip('/') + '/' + seg)
        roles = {}
        for index, node in enumerate(nodes):
            final = index == len(nodes) - 1
            own = dict((k[3], p) for k, p in self.acl_entries.items()
                       if k[0] == node and k[1] == kind and k[2] == ugid and (final or p))
            if own:
                roles = own
                continue
            if kind != 'user':
                continue
            groups = self.user_groups.get(ugid, set())
            new = dict((k[3], p) for k, p in self.acl_entries.items()
                       if k[0] == node and k[1] == 'group' and k[2] in groups and (final or p))
            if new:
                roles = new
        return roles

    def _privs_at(self, ugid, kind, path):
        roles = self._roles_at(ugid, kind, path)
        if 'NoAccess' in roles:
            return set()
        known = self.roles_all()
        out = set()
        for role in roles:
            out.update(known.get(role, ()))
        return out

    def api_privileges(self, who, path):
        """The privileges the ACL written through the API gives a user or token on path (RPCEnvironment.pm
        permissions: a privilege-separated token holds what both it and its user hold)."""
        userid, bang, tokenid = who.partition('!')
        if userid not in self.access_users:
            return set()
        held = self._privs_at(userid, 'user', path)
        if not bang:
            return held
        info = self.user_tokens.get(userid, {}).get(tokenid)
        if info is None:
            return set()
        if not info.get('privsep'):
            return held
        return held & self._privs_at(who, 'token', path)

    def allowed(self, user, path, priv):
        if super().allowed(user, path, priv):
            return True
        paths = [path]
        if path.startswith('/vms/'):
            vmid = int(path.split('/')[2])
            paths += ['/pool/' + name for name, ids in self.pools.items() if vmid in ids]
        elif path.startswith('/storage/'):
            sid = path.split('/')[2]
            paths += ['/pool/' + name for name, meta in self.pool_info.items() if sid in meta['storage']]
        return any(priv in self.api_privileges(user, p) for p in paths)
