# -*- coding: utf-8 -*-
# Copyright: iac.proxmox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The PVE API client. Private to the collection: not a public API.

One object per module run. proxmoxer provides the login (ticket and CSRF token, or an API token
header) and the HTTP session; this layer adds what a module needs on top:

* every failure becomes one error type (`PveApiError` and its subclasses) with the HTTP status, PVE's
  message and its per-field errors, never a library traceback;
* retries with backoff, only where repeating cannot do harm: idempotent requests, and any request known
  not to have reached PVE (connection refused, TLS handshake);
* one re-login when a ticket expires mid-run;
* task waiting by adaptive polling: the first poll at once, then back-off capped at 2 s, no sleep once
  the task has ended; a failed task raises with the tail of its log;
* TLS verified by default; `ca_path` is passed with every request, so REQUESTS_CA_BUNDLE and friends can
  never override it.
"""

from __future__ import annotations

import json
import random
import re
import time
import traceback

try:
    import requests
    from proxmoxer.backends.https import Backend
    from proxmoxer.core import AuthenticationError
except ImportError:  # reported by the module base with missing_required_lib
    HAS_CLIENT_LIBS = False
    CLIENT_LIBS_IMPORT_ERROR = traceback.format_exc()
else:
    HAS_CLIENT_LIBS = True
    CLIENT_LIBS_IMPORT_ERROR = None

from ._errors import PveApiError, PveConnectionError, PveTaskError, PveTimeoutError

DEFAULT_PORT = 8006
DEFAULT_TIMEOUT = 30
# HTTP answers that mean "try again": proxy and gateway trouble, pveproxy's connection errors.
TRANSIENT_STATUS = (502, 503, 504, 596, 599)
TASK_LOG_TAIL = 20


def poll_delays(first=0.05, factor=1.5, cap=2.0):
    """Seconds to sleep between task status polls: short at first (most tasks end quickly), then longer,
    never more than `cap`. The first poll itself happens before any sleep."""
    delay = first
    while True:
        yield delay
        delay = min(cap, delay * factor)


def retry_delay(attempt, base=0.25, cap=2.0, rand=random.random):
    """Backoff before retry number `attempt` (1-based): exponential with jitter, capped."""
    ceiling = min(cap, base * (2 ** (attempt - 1)))
    return ceiling * (0.5 + rand() / 2)


def parse_upid(upid):
    """The fields of a task id: UPID:node:pid:pstart:starttime:type:id:user:"""
    parts = str(upid).split(':')
    if len(parts) < 9 or parts[0] != 'UPID':
        raise ValueError('not a task id: {0!r}'.format(upid))
    return {'node': parts[1], 'type': parts[5], 'id': parts[6], 'user': parts[7]}


def is_upid(value):
    return isinstance(value, str) and value.startswith('UPID:')


def encode(data):
    """Form values as PVE reads them: booleans as 1/0, None dropped, lists as repeated keys."""
    if not data:
        return None
    out = {}
    for key, value in data.items():
        if value is None:
            continue
        if isinstance(value, bool):
            value = 1 if value else 0
        elif isinstance(value, (list, tuple)):
            value = [str(v) for v in value]
        out[key] = value
    return out


class PveClient(object):
    """A session to one PVE API endpoint."""

    def __init__(self, host, user, password=None, token_id=None, token_secret=None, port=DEFAULT_PORT,
                 validate_certs=True, ca_path=None, timeout=DEFAULT_TIMEOUT, attempts=4, sleep=time.sleep,
                 clock=time.monotonic):
        self.host = host
        self.port = int(port or DEFAULT_PORT)
        self.user = user
        self.password = password
        self.token_id = token_id
        self.token_secret = token_secret
        # requests' `verify`: a CA bundle path, True (system CAs) or False (only if the user turned it off).
        self.verify = (ca_path or True) if validate_certs else False
        self.timeout = timeout
        self.attempts = max(1, int(attempts))
        self.sleep = sleep
        self.clock = clock
        self.stats = {'requests': 0, 'logins': 0, 'retries': 0, 'polls': 0}
        self._backend = None
        self._session = None

    # ------------------------------------------------------------ connection

    @property
    def base_url(self):
        host = self.host
        if ':' in host and not host.startswith('['):
            host = '[{0}]'.format(host)
        return 'https://{0}:{1}/api2/json'.format(host, self.port)

    def _connect(self):
        """Build the proxmoxer backend: for a password this logs in (one request), for a token nothing."""
        if self.token_id:
            backend = Backend(self.host, user=self.user, port=self.port, verify_ssl=self.verify,
                              timeout=self.timeout, token_name=self.token_id, token_value=self.token_secret)
        else:
            self.stats['logins'] += 1
            self.stats['requests'] += 1
            backend = Backend(self.host, user=self.user, password=self.password, port=self.port,
                              verify_ssl=self.verify, timeout=self.timeout)
        self._backend = backend
        self._session = backend.get_session()

    def _ensure_session(self, method, path):
        attempt = 0
        while self._session is None:
            attempt += 1
            try:
                self._connect()
            except AuthenticationError as exc:
                status = 401 if 'code: 401' in str(exc) else None
                raise PveApiError('authentication failed for {0}: check api_user and api_password ({1})'.format(
                    self.user, exc), status=status, method='POST', path='/access/ticket')
            except requests.exceptions.RequestException as exc:
                error = self._connection_error(exc, 'POST', '/access/ticket')
                if attempt < self.attempts:
                    self._backoff(attempt)
                    continue
                raise error
            except ValueError as exc:  # e.g. a login answer that is not JSON (a proxy page)
                raise PveApiError('login to {0} failed: {1}'.format(self.base_url, exc), method='POST',
                                  path='/access/ticket')
        return self._session

    def _connection_error(self, exc, method, path):
        """A requests exception as a PveConnectionError, with whether the request can have reached PVE."""
        if isinstance(exc, requests.exceptions.SSLError):
            return PveConnectionError(
                'TLS verification of {0} failed ({1}). Give ca_path the CA certificate that signed the '
                "cluster's certificate (or install it in the system trust store); verification stays "
                'on.'.format(self.base_url, _reason(exc)), method=method, path=path, sent=False)
        if isinstance(exc, requests.exceptions.ConnectTimeout):
            return PveConnectionError('connecting to {0} timed out after {1}s'.format(self.base_url, self.timeout),
                                      method=method, path=path, sent=False)
        if isinstance(exc, requests.exceptions.ReadTimeout):
            return PveConnectionError('no answer from {0} within {1}s (api_timeout)'.format(
                self.base_url, self.timeout), method=method, path=path, sent=None)
        if isinstance(exc, requests.exceptions.ConnectionError):
            refused = 'NewConnectionError' in repr(exc) or 'Connection refused' in str(exc)
            return PveConnectionError('cannot reach {0}: {1}'.format(self.base_url, _reason(exc)), method=method,
                                      path=path, sent=False if refused else None)
        return PveConnectionError('request to {0} failed: {1}'.format(self.base_url, _reason(exc)), method=method,
                                  path=path, sent=None)

    def _backoff(self, attempt):
        self.stats['retries'] += 1
        self.sleep(retry_delay(attempt))

    # --------------------------------------------------------------- requests

    def request(self, method, path, params=None, data=None, idempotent=None):
        """Send one API request and return its `data`. Raises PveApiError (or a subclass) on failure.

        `idempotent` (default: true for GET) allows retrying after an answer was lost; a request known
        not to have reached PVE is retried whatever its method.
        """
        method = method.upper()
        if idempotent is None:
            idempotent = method in ('GET', 'HEAD')
        url = self.base_url + path
        body = encode(data)
        query = encode(params)
        attempt = 0
        relogged = False
        while True:
            attempt += 1
            session = self._ensure_session(method, path)
            try:
                self.stats['requests'] += 1
                resp = session.request(method, url, params=query, data=dict(body) if body else None)
            except requests.exceptions.RequestException as exc:
                error = self._connection_error(exc, method, path)
                if attempt < self.attempts and (idempotent or error.sent is False):
                    self._backoff(attempt)
                    continue
                raise error
            status = resp.status_code
            if status == 401 and self.password and not self.token_id and not relogged:
                # The ticket expired or was revoked: nothing was done; log in again and repeat once.
                relogged = True
                self._session = None
                continue
            if status in TRANSIENT_STATUS and idempotent and attempt < self.attempts:
                self._backoff(attempt)
                continue
            if status >= 400:
                raise self._api_error(resp, method, path)
            try:
                return resp.json().get('data')
            except ValueError:
                raise PveApiError('answer is not JSON: {0}'.format(resp.text[:200]), status=status, method=method,
                                  path=path)

    @staticmethod
    def _api_error(resp, method, path):
        message, errors = None, None
        try:
            payload = resp.json()
        except ValueError:
            payload = None
        if isinstance(payload, dict):
            message = payload.get('message')
            errors = payload.get('errors')
        if not message:
            message = resp.reason or (resp.text or '')[:200]
        if errors is not None and not isinstance(errors, dict):
            errors = {'errors': json.dumps(errors)}
        return PveApiError(message, status=resp.status_code, errors=errors, method=method, path=path)

    def get(self, path, **params):
        return self.request('GET', path, params=params)

    def post(self, path, **data):
        return self.request('POST', path, data=data)

    def put(self, path, **data):
        return self.request('PUT', path, data=data)

    def delete(self, path, **params):
        return self.request('DELETE', path, params=params)

    # ------------------------------------------------------------------ tasks

    def wait_task(self, upid, timeout=None):
        """Wait for a task to end; return its final status. Raises PveTaskError if it did not end OK."""
        node = parse_upid(upid)['node']
        path = '/nodes/{0}/tasks/{1}/status'.format(node, upid)
        deadline = None if timeout is None else self.clock() + timeout
        delays = poll_delays()
        while True:
            self.stats['polls'] += 1
            status = self.get(path) or {}
            if status.get('status') != 'running':
                break
            delay = next(delays)
            if deadline is not None:
                remaining = deadline - self.clock()
                if remaining <= 0:
                    raise PveTimeoutError('task {0} still running after {1}s'.format(upid, timeout))
                delay = min(delay, remaining)
            self.sleep(delay)
        exitstatus = status.get('exitstatus')
        if exitstatus == 'OK' or str(exitstatus or '').startswith('WARNINGS'):
            return status
        raise PveTaskError(exitstatus, upid=upid, exitstatus=exitstatus, log=self.task_log_tail(upid))

    def task_log_tail(self, upid, lines=TASK_LOG_TAIL):
        """The last lines of a task's log ([] if it cannot be read)."""
        node = parse_upid(upid)['node']
        try:
            entries = self.get('/nodes/{0}/tasks/{1}/log'.format(node, upid), start=0, limit=5000) or []
        except PveApiError:
            return []
        return [str(e.get('t', '')) for e in entries][-lines:]


REASONS = (
    re.compile(r'\[SSL: [A-Z_]+\] ([^(]+?)\s*\(_ssl'),
    re.compile(r'(certificate verify failed[^\'"(]*)'),
    re.compile(r'(Connection refused|Connection reset by peer|Name or service not known|'
               r'Temporary failure in name resolution|No route to host|Remote end closed connection without response'
               r'|Connection aborted)'),
)


def _reason(exc):
    """The useful part of a requests exception's text (requests nests urllib3's and ssl's messages)."""
    text = str(exc)
    for pattern in REASONS:
        found = pattern.search(text)
        if found:
            return found.group(1).strip()
    return text[:300]
