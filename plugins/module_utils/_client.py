# -*- coding: utf-8 -*-
# Copyright: iac.proxmox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The PVE API client. Private to the collection: not a public API.

One object per module run, on the standard library's HTTPS (see _transport). It logs in (a ticket and
CSRF token for a password, nothing for an API token, whose header goes with every request) and adds
what a module needs on top:

* every failure becomes one error type (`PveApiError` and its subclasses) with the HTTP status, PVE's
  message and its per-field errors, never a library traceback;
* retries with backoff, only where repeating cannot do harm: idempotent requests, and any request known
  not to have reached PVE (connection refused, TLS handshake);
* one re-login when a ticket expires mid-run;
* task waiting by adaptive polling: the first poll at once, then back-off capped at 2 s, no sleep once
  the task has ended; a failed task raises with the tail of its log;
* TLS verified by default against the system CAs, or only against `ca_path` when given; environment
  variables such as REQUESTS_CA_BUNDLE play no part.
"""

from __future__ import annotations

import json
import random
import threading
import time

from ._errors import PveApiError, PveConnectionError, PveTaskError, PveTimeoutError
from ._transport import HttpsTransport, TransportError

DEFAULT_PORT = 8006
DEFAULT_TIMEOUT = 30
# HTTP answers that mean "try again": proxy and gateway trouble, pveproxy's connection errors.
TRANSIENT_STATUS = (502, 503, 504, 596, 599)
TASK_LOG_TAIL = 20
# Tries per request where a retry is safe: with 20 % of requests lost, 8 tries fail once in 390,000
# requests; with the backoff below they give up after about 5 s of silence.
ATTEMPTS = 8


def poll_delays(first=0.05, factor=1.5, cap=2.0):
    """Seconds to sleep between task status polls: short at first (most tasks end quickly), then longer,
    never more than `cap`. The first poll itself happens before any sleep."""
    delay = first
    while True:
        yield delay
        delay = min(cap, delay * factor)


def retry_delay(attempt, base=0.1, cap=1.0, rand=random.random):
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
                 validate_certs=True, ca_path=None, timeout=DEFAULT_TIMEOUT, attempts=ATTEMPTS, sleep=time.sleep,
                 clock=time.monotonic):
        self.host = host
        self.port = int(port or DEFAULT_PORT)
        self.user = user
        self.password = password
        self.token_id = token_id
        self.token_secret = token_secret
        self.timeout = timeout
        self.attempts = max(1, int(attempts))
        self.sleep = sleep
        self.clock = clock
        self.stats = {'requests': 0, 'logins': 0, 'retries': 0, 'polls': 0}
        self.transport = HttpsTransport(host, self.port, verify=validate_certs, ca_path=ca_path, timeout=timeout)
        self._spare = []  # more connections, for get_all
        self._ticket = None

    @property
    def root_login(self):
        """True for the user root@pam logged in with a password: the only identity PVE's `$authuser eq
        'root@pam'` checks let through (its API tokens authenticate as root@pam!<name>)."""
        return self.user == 'root@pam' and not self.token_id

    # ------------------------------------------------------------ connection

    @property
    def base_url(self):
        host = self.host
        if ':' in host and not host.startswith('['):
            host = '[{0}]'.format(host)
        return 'https://{0}:{1}/api2/json'.format(host, self.port)

    def close(self):
        for transport in [self.transport] + self._spare:
            transport.close()

    def _auth_headers(self, method):
        """The credentials for one request: the token header, or the ticket cookie (and the CSRF token
        for writes), logging in first when there is no ticket yet."""
        if self.token_id:
            return {'Authorization': 'PVEAPIToken={0}!{1}={2}'.format(self.user, self.token_id, self.token_secret)}
        if self._ticket is None:
            self._login()
        headers = {'Cookie': 'PVEAuthCookie=' + self._ticket['ticket']}
        if method not in ('GET', 'HEAD'):
            headers['CSRFPreventionToken'] = self._ticket['CSRFPreventionToken']
        return headers

    def _login(self):
        """POST /access/ticket (retried like an idempotent request: a login changes nothing)."""
        path = '/access/ticket'
        self.stats['logins'] += 1
        answer = self._exchange(self.transport, 'POST', path, True,
                                body={'username': self.user, 'password': self.password or ''})
        if answer.status == 401:
            raise PveApiError('authentication failed for {0}: check api_user and api_password (PVE answered: '
                              '{1})'.format(self.user, self._api_error(answer, 'POST', path).message or 'authentication failure'), status=401,
                              method='POST', path=path)
        if answer.status >= 400:
            raise self._api_error(answer, 'POST', path)
        try:
            data = answer.json().get('data') or {}
        except (ValueError, AttributeError):
            raise PveApiError('login to {0} failed: the answer is not PVE\'s JSON: {1}'.format(
                self.base_url, answer.text[:200]), status=answer.status, method='POST', path=path)
        if data.get('NeedTFA'):
            raise PveApiError('{0} has two-factor authentication, which a module cannot answer; use an API token '
                              '(api_token_id and api_token_secret)'.format(self.user), status=401, method='POST',
                              path=path)
        if not data.get('ticket'):
            raise PveApiError('login to {0} gave no ticket'.format(self.base_url), status=answer.status,
                              method='POST', path=path)
        self._ticket = data

    def _connection_error(self, exc, method, path, attempts=1, read_timeout=None):
        """A TransportError as a PveConnectionError, keeping whether the request can have reached PVE."""
        error = self._describe(exc, method, path, read_timeout)
        if attempts > 1:
            error.message += ' (tried {0} times)'.format(attempts)
        return error

    def _describe(self, exc, method, path, read_timeout=None):
        if exc.kind == 'tls':
            return PveConnectionError(
                'TLS verification of {0} failed ({1}). Give ca_path the CA certificate that signed the '
                "cluster's certificate (or install it in the system trust store); verification stays "
                'on.'.format(self.base_url, exc.reason), method=method, path=path, sent=False)
        if exc.kind == 'connect-timeout':
            return PveConnectionError('connecting to {0} timed out after {1}s'.format(self.base_url, self.timeout),
                                      method=method, path=path, sent=False)
        if exc.kind == 'read-timeout':
            return PveConnectionError('no answer from {0} within {1}s ({2})'.format(
                self.base_url, read_timeout or self.timeout, 'api_timeout' if read_timeout is None else
                'the time this request may take'), method=method, path=path, sent=None)
        return PveConnectionError('cannot reach {0}: {1}'.format(self.base_url, exc.reason), method=method,
                                  path=path, sent=exc.sent)

    def _backoff(self, attempt):
        self.stats['retries'] += 1
        self.sleep(retry_delay(attempt))

    # --------------------------------------------------------------- requests

    def request(self, method, path, params=None, data=None, idempotent=None, transport=None, read_timeout=None):
        """Send one API request and return its `data`. Raises PveApiError (or a subclass) on failure.

        `idempotent` (default: true for GET) allows retrying after an answer was lost; a request known
        not to have reached PVE is retried whatever its method. `read_timeout`: seconds to wait for this
        answer instead of api_timeout, for a request PVE answers only once its work is done (an LXC config
        write that allocates a volume).
        """
        transport = transport or self.transport
        method = method.upper()
        if idempotent is None:
            idempotent = method in ('GET', 'HEAD')
        body = encode(data)
        if body is None and method in ('POST', 'PUT'):
            body = {}
        query = encode(params)
        relogged = False
        while True:
            answer = self._exchange(transport, method, path, idempotent, query=query, body=body,
                                    headers=self._auth_headers(method), read_timeout=read_timeout)
            status = answer.status
            if status == 401 and self.password and not self.token_id and not relogged:
                # The ticket expired or was revoked: nothing was done; log in again and repeat once.
                relogged = True
                self._ticket = None
                continue
            if status >= 400:
                raise self._api_error(answer, method, path)
            try:
                return answer.json().get('data')
            except (ValueError, AttributeError):
                raise PveApiError('answer is not JSON: {0}'.format(answer.text[:200]), status=status, method=method,
                                  path=path)

    def _exchange(self, transport, method, path, idempotent, query=None, body=None, headers=None, read_timeout=None):
        """Send one request with the retries that are safe, and return PVE's answer: after a transport
        failure when the request is idempotent or known not to have been sent (never after a TLS
        verification failure, which will not heal), and after PVE's transient answers when idempotent."""
        attempt = 0
        while True:
            attempt += 1
            self.stats['requests'] += 1
            try:
                answer = transport.request(method, '/api2/json' + path, query=query, body=body, headers=headers,
                                           timeout=read_timeout)
            except TransportError as exc:
                if attempt < self.attempts and exc.kind != 'tls' and (idempotent or exc.sent is False):
                    self._backoff(attempt)
                    continue
                raise self._connection_error(exc, method, path, attempt, read_timeout)
            if answer.status in TRANSIENT_STATUS and idempotent and attempt < self.attempts:
                self._backoff(attempt)
                continue
            return answer

    @staticmethod
    def _api_error(answer, method, path):
        message, errors = None, None
        try:
            payload = answer.json()
        except ValueError:
            payload = None
        if isinstance(payload, dict):
            message = payload.get('message')
            errors = payload.get('errors')
        if not message:
            message = answer.reason or answer.text[:200]
        if errors is not None and not isinstance(errors, dict):
            errors = {'errors': json.dumps(errors)}
        return PveApiError(message, status=answer.status, errors=errors, method=method, path=path)

    def get(self, path, **params):
        return self.request('GET', path, params=params)

    def get_all(self, paths):
        """GET several paths at once, each on its own connection: the wall time of one round trip.

        Returns, in order, each answer's data or the exception its request raised (the caller decides
        which failures matter). Each request is retried as get() would be.
        """
        if not self.token_id and self._ticket is None:
            try:
                self._login()  # once, before fanning out
            except PveApiError as exc:
                return [exc for _path in paths]
        while len(self._spare) < len(paths) - 1:
            self._spare.append(self.transport.sibling())
        results = [None] * len(paths)

        def fetch(index, transport):
            try:
                results[index] = self.request('GET', paths[index], transport=transport)
            except Exception as exc:  # noqa: BLE001 - handed to the caller, raised there
                results[index] = exc
        threads = [threading.Thread(target=fetch, args=(index, self._spare[index - 1]))
                   for index in range(1, len(paths))]
        for thread in threads:
            thread.start()
        fetch(0, self.transport)
        for thread in threads:
            thread.join()
        return results

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
