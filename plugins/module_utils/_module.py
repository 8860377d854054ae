# -*- coding: utf-8 -*-
# Copyright: iac.proxmox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The module base: connection options, the check-mode guard, results and errors. Private to the collection.

Every module builds a `PveModule` with its own argument spec (the connection options are merged in),
reads through `module.client`, and sends every write through `module.write()`, which in check mode
records the planned request instead of sending it. `call_or_fail()` is the one place that turns the
collection's errors into `fail_json` with a message that names what failed.
"""

from __future__ import annotations

import ipaddress
import re

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib

from ._client import (DEFAULT_PORT, DEFAULT_TIMEOUT, HAS_PROXMOXER, HAS_REQUESTS, LIBRARIES_URL, LIBRARY_IMPORT_ERROR,
                      PveClient, is_upid, normalize_fingerprint)
from ._diff import DiffError
from ._errors import (PveApiError, PveConnectionError, PveError, PveTaskError, ValidationError, is_digest_conflict,
                      is_lost_answer)
from ._regex import regex

# A write whose answer was lost is settled (re-read, then sent again if it did not happen) this many times.
LOST_ANSWER_RETRIES = 6
# A digest-guarded write is sent again (after reading the state anew) at most this often in all: see write_fresh.
WRITE_ATTEMPTS = 8
NO_QUORUM = regex(r'no quorum', re.I)
NODE_IN_PATH = regex(r'^/nodes/([^/]+)')
# A DNS host name (RFC 1123 labels); addresses are checked with the ipaddress module.
HOST_NAME = regex(r'^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?'
                  r'(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$')
PEM_CERTIFICATE = b'-----BEGIN CERTIFICATE-----'
# What cannot be in the API token's header value: blanks, control and non-ASCII characters.
HEADER_UNSAFE = regex(r'[^\x21-\x7e]')

# The `state` option of a resource (and of a device in a list) that is either there or not.
PRESENT_ABSENT = dict(type='str', choices=['present', 'absent'], default='present')

CONNECTION_ARGSPEC = dict(
    api_host=dict(type='str', fallback=(env_fallback, ['PROXMOX_HOST'])),
    api_port=dict(type='int', default=DEFAULT_PORT, fallback=(env_fallback, ['PROXMOX_PORT'])),
    api_user=dict(type='str', fallback=(env_fallback, ['PROXMOX_USER'])),
    api_password=dict(type='str', no_log=True, fallback=(env_fallback, ['PROXMOX_PASSWORD'])),
    api_token_id=dict(type='str', no_log=False, fallback=(env_fallback, ['PROXMOX_TOKEN_ID'])),
    api_token_secret=dict(type='str', no_log=True, fallback=(env_fallback, ['PROXMOX_TOKEN_SECRET'])),
    validate_certs=dict(type='bool', default=True, fallback=(env_fallback, ['PROXMOX_VALIDATE_CERTS'])),
    ca_path=dict(type='path', fallback=(env_fallback, ['PROXMOX_CA_PATH'])),
    tls_fingerprint=dict(type='str', fallback=(env_fallback, ['PROXMOX_TLS_FINGERPRINT'])),
    api_timeout=dict(type='int', default=DEFAULT_TIMEOUT),
)


def connection_settings(params):
    """Checked client settings from the connection options. Raises ValidationError."""
    host = params.get('api_host')
    if not host:
        raise ValidationError('api_host', None, 'the PVE API host is required (option api_host or '
                                                'environment variable PROXMOX_HOST)')
    host = check_host(host)
    user = params.get('api_user')
    token_id = params.get('api_token_id')
    if token_id and '!' in token_id:
        # A full token ID (user@realm!name) names its user too.
        token_user, token_id = token_id.split('!', 1)
        if user and user != token_user:
            raise ValidationError('api_token_id', params.get('api_token_id'),
                                  'the token belongs to {0} but api_user is {1}'.format(token_user, user))
        user = token_user
    if not user:
        raise ValidationError('api_user', None, 'the PVE user is required (option api_user or environment '
                                                'variable PROXMOX_USER), e.g. root@pam or automation@pve')
    if '@' not in user:
        raise ValidationError('api_user', user, 'a PVE user ID has a realm: user@realm (root@pam, ci@pve)')
    if token_id:
        if not params.get('api_token_secret'):
            raise ValidationError('api_token_secret', None, 'api_token_id is set, so the token secret is '
                                                            'required (api_token_secret or PROXMOX_TOKEN_SECRET)')
        # The token goes into a header, where a pasted line break made http.client fail quoting the whole secret.
        # PVE's user IDs, token names and secrets (UUIDs) never hold blanks (pve-access-control
        # PVE/Auth/Plugin.pm $user_regex, PVE/AccessControl.pm $token_subid_regex).
        for option, value in (('api_user', user), ('api_token_id', params.get('api_token_id'))):
            if HEADER_UNSAFE.search(value):
                raise ValidationError(option, value, 'holds a blank, a line break or another character a PVE user '
                                                     'or token ID never has (pasted with a line break?)')
        if HEADER_UNSAFE.search(params['api_token_secret']):
            raise ValidationError('api_token_secret', None, 'holds a blank, a line break or a non-ASCII character '
                                                            '(pasted with a line break?); a PVE token secret is a '
                                                            'UUID (the value is not shown)')
    elif not params.get('api_password'):
        raise ValidationError('api_password', None, 'give api_password, or an API token with api_token_id and '
                                                    'api_token_secret')
    if params.get('api_timeout') is not None and params['api_timeout'] < 1:
        raise ValidationError('api_timeout', params['api_timeout'], 'must be at least 1 second')
    if params.get('ca_path'):
        check_ca_path(params['ca_path'])
    fingerprint = params.get('tls_fingerprint')
    if fingerprint and not normalize_fingerprint(fingerprint):
        raise ValidationError('tls_fingerprint', fingerprint, "is not a SHA-256 certificate fingerprint: give the "
                                                              "value `pvenode cert info` shows on the node, 32 "
                                                              "hex byte pairs separated by colons (AB:CD:...)")
    return dict(host=host, port=params.get('api_port') or DEFAULT_PORT, user=user,
                password=None if token_id else params.get('api_password'), token_id=token_id or None,
                token_secret=params.get('api_token_secret') if token_id else None,
                validate_certs=params.get('validate_certs', True), ca_path=params.get('ca_path'),
                tls_fingerprint=fingerprint or None, timeout=params.get('api_timeout') or DEFAULT_TIMEOUT)


def unverified_warning(settings):
    """The warning for a connection whose server certificate nothing checks, or None."""
    if settings.get('validate_certs', True) or settings.get('tls_fingerprint'):
        return None
    return ('validate_certs is false: the certificate of {0} is not verified, so anyone on the path can read the '
            'credentials and change what is sent. Give ca_path (the CA that signed it; /etc/pve/pve-root-ca.pem on '
            'a node) or tls_fingerprint (its SHA-256 fingerprint, from `pvenode cert info`) and leave validate_certs '
            'on.'.format(settings['host']))


def token_refused(exc, client):
    """The message for an API error that is PVE refusing the client's API token (HTTP 401), or None. (A refused
    password login says which options to check already: _client.login_data.)"""
    if exc.status != 401 or isinstance(exc, PveConnectionError) or not getattr(client, 'token_id', None):
        return None
    return ('authentication failed for the API token {0}!{1}: check api_token_id and api_token_secret, and that the '
            'token exists and has not expired (PVE: {2}; {3} {4}).'.format(client.user, client.token_id, exc.message,
                                                                           exc.method, exc.path))


def check_host(host):
    """`api_host` as a host name, an IPv4 address or an IPv6 address (brackets allowed); raises ValidationError
    for anything else, such as a URL or host:port, with what to give instead."""
    value = str(host).strip()
    if '://' in value or '/' in value:
        raise ValidationError('api_host', host, 'give the host name or address only, not a URL: the API is always '
                                                'https://<api_host>:<api_port>/api2/json')
    bare = value[1:-1] if value.startswith('[') and value.endswith(']') else value
    try:
        if ipaddress.ip_address(bare).version == 6 and '%' in bare:
            # urllib3 cannot connect to a scoped address: it would report "Name or service not known".
            raise ValidationError('api_host', host, 'an IPv6 address with a zone (%<interface>) cannot be used: give '
                                                    'a global or unique-local address of the node, or its host name')
        return bare
    except ValueError:
        pass
    if ':' in value:
        raise ValidationError('api_host', host, 'is neither a host name nor an IP address; give the port in '
                                                'api_port, not in api_host')
    if not HOST_NAME.match(value):
        raise ValidationError('api_host', host, 'is neither a host name nor an IP address (host names are letters, '
                                                'digits and hyphens in dot-separated labels)')
    return value


def check_ca_path(path):
    """`ca_path` must be a readable PEM file holding at least one certificate; raises ValidationError naming
    the option before any request is sent (the TLS library would only say 'No such file' or 'no certificate')."""
    try:
        with open(path, 'rb') as handle:
            head = handle.read(1024 * 1024)
    except FileNotFoundError:
        raise ValidationError('ca_path', path, 'the file does not exist; give the PEM file of the CA that signed the '
                                               "cluster's certificate (/etc/pve/pve-root-ca.pem on a node)")
    except IsADirectoryError:
        raise ValidationError('ca_path', path, 'is a directory; give the PEM file of the CA certificate')
    except OSError as exc:
        raise ValidationError('ca_path', path, 'cannot be read: {0}'.format(exc.strerror or exc))
    if PEM_CERTIFICATE not in head:
        raise ValidationError('ca_path', path, 'holds no PEM certificate (no "-----BEGIN CERTIFICATE-----" line); '
                                               'give the CA certificate in PEM form')


class _AnsibleModule(AnsibleModule):
    """AnsibleModule without its file facts: ansible-core adds the local file's owner, mode and `state` to any
    result carrying `path` (add_path_info), and a `path` here is a PVE path (pve_acl), not a local file."""

    def add_path_info(self, kwargs):
        return kwargs


class PveModule(object):
    """An AnsibleModule with the connection options, a lazily built client and a check-mode guard."""

    def __init__(self, argument_spec, **kwargs):
        spec = dict(CONNECTION_ARGSPEC)
        spec.update(argument_spec)
        kwargs.setdefault('supports_check_mode', True)
        self.ansible = _AnsibleModule(argument_spec=spec, **kwargs)
        if not (HAS_REQUESTS and HAS_PROXMOXER):
            self.ansible.fail_json(msg=missing_required_lib('requests' if not HAS_REQUESTS else 'proxmoxer',
                                                            url=LIBRARIES_URL,
                                                            reason='the PVE API client of iac.proxmox (it needs '
                                                                   'proxmoxer and requests)'),
                                   exception=LIBRARY_IMPORT_ERROR)
        self.params = self.ansible.params
        self.check_mode = self.ansible.check_mode
        self.diff_mode = self.ansible._diff
        self.plan = []
        self.done = []  # the plan's steps that took effect
        self._client = None

    @property
    def client(self):
        if self._client is None:
            settings = connection_settings(self.params)
            warning = unverified_warning(settings)
            if warning:
                self.warn(warning)
            self._client = PveClient(**settings)
        return self._client

    def warn(self, message):
        """An Ansible warning the user sees after the task (secrets are masked by no_log as everywhere)."""
        self.ansible.warn(message)

    def write(self, method, path, data=None, action=None, wait=True, timeout=None, idempotent=None, settle=None,
              read_timeout=None):
        """Send a write request, or in check mode only record it in the plan (`action` says what it does).

        If PVE answers with a task ID and `wait` is set, waits for the task (raising if it fails).
        Returns the answer's data (None in check mode, and when `settle` found the work done).

        `settle` makes a write that cannot simply be repeated safe on a flaky network: when the answer is
        lost (the request may or may not have been processed), settle() re-reads the state and returns True
        if the write took effect (its task, if any, finished) or False if it did not, and only then is the
        request sent again. If that repeat fails (say "already exists"), settle() is asked once more.
        """
        step = {'method': method, 'path': path}
        if action:
            step['action'] = action
        self.plan.append(step)
        if self.check_mode:
            return None
        lost = 0
        while True:
            try:
                if method == 'DELETE':
                    answer = self.client.request(method, path, params=data, idempotent=idempotent)
                else:
                    answer = self.client.request(method, path, data=data, idempotent=idempotent,
                                                 read_timeout=read_timeout)
            except PveConnectionError as exc:
                if exc.sent is not None or settle is None or lost >= LOST_ANSWER_RETRIES:
                    raise
                lost += 1
                if settle():
                    self.done.append(step)
                    return None
                continue
            except PveApiError:
                if lost and settle():
                    self.done.append(step)
                    return None
                raise
            break
        if wait and is_upid(answer):
            self.client.wait_task(answer, timeout=timeout)
        self.done.append(step)
        return answer

    def write_fresh(self, send, reread, attempts=WRITE_ATTEMPTS):
        """A write guarded by a digest, made safe against a lost answer and against another writer.

        send() makes the write from the state last read. If its answer is lost, or PVE refuses it because the
        config changed since it was read (digest), reread() reads the state anew and recomputes what is still
        missing: it returns False when nothing is (the lost write took effect, or the other writer wrote the
        same), else send() goes again with the new digest. The write is planned once however often it is sent.
        """
        for attempt in range(1, attempts + 1):
            try:
                return send()
            except PveApiError as exc:
                if attempt == attempts or not (is_lost_answer(exc) or is_digest_conflict(exc)):
                    raise
            self.plan.pop()
            if not reread():
                return None

    def exit(self, changed=False, **result):
        result['changed'] = bool(changed)
        if self.plan and (self.check_mode or changed):
            result.setdefault('plan', [step.get('action') or '{0} {1}'.format(step['method'], step['path'])
                                       for step in self.plan])
        self.ansible.exit_json(**result)

    def fail(self, msg, **result):
        self.ansible.fail_json(msg=msg, **result)

    def call_or_fail(self, func):
        """Call func(self), the module's one call into module_utils; every collection error becomes one clear
        failure. The client's connections are closed however the run ends (a module run in the task's worker
        process, see plugins/plugin_utils/module_action.py, does not end with its process)."""
        try:
            func(self)
        except ValidationError as exc:
            self.fail(str(exc), option=exc.option)
        except DiffError as exc:
            self.fail(exc.message, option=exc.key)
        except PveTaskError as exc:
            self.fail(str(exc), **exc.to_result())
        except PveApiError as exc:
            self.fail(self.explain(exc), **exc.to_result())
        except PveError as exc:
            self.fail(str(exc))
        finally:
            if self._client is not None:
                self._client.close()

    def explain(self, exc):
        """The failure message for an API error, with what it means where PVE's own words are terse, and
        what this run changed before it."""
        text = str(exc)
        if NO_QUORUM.search(exc.message or ''):
            text = ('the cluster has lost quorum, so PVE refuses every change until it is back (PVE: {0}). '
                    '{1}'.format(exc.message, self.changes_so_far()))
        elif exc.status == 595 and not isinstance(exc, PveConnectionError) and NODE_IN_PATH.search(exc.path or ''):
            text = ('node {0} is offline or unreachable, so nothing on it can be managed until it is back (PVE: '
                    '{1}; {2} {3}). {4}'.format(NODE_IN_PATH.search(exc.path).group(1), exc.message, exc.method,
                                                exc.path, self.changes_so_far()))
        elif token_refused(exc, self._client):
            text = '{0} {1}'.format(token_refused(exc, self._client), self.changes_so_far())
        return text

    def changes_so_far(self):
        if not self.done:
            return 'Nothing was changed.'
        return 'Done before it: {0}.'.format('; '.join(step.get('action') or '{0} {1}'.format(
            step['method'], step['path']) for step in self.done))
