# -*- coding: utf-8 -*-
# Copyright: iac.proxmox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The PVE API client. Private to the collection: not a public API.

One object per module run. Its HTTP layer is proxmoxer's https backend on a requests Session:

* authentication by proxmoxer: the API token header, or a ticket with its CSRF token and renewal (the
  login itself goes through the client's session, so it gets the same TLS checks and retries);
* safe retries by urllib3's `Retry` mounted on the session: a connection that failed before the request
  went out is retried whatever the method; a lost answer and PVE's transient statuses (502, 503, 504, 596,
  599) only for idempotent requests; with backoff and a cap;
* TLS verified by default against the system CAs (or REQUESTS_CA_BUNDLE, as with any requests-based tool),
  only against `ca_path` when it is given (it is passed with every request, so the environment cannot
  override it), and against a pinned SHA-256 certificate fingerprint with `tls_fingerprint`;
* HTTPS_PROXY / NO_PROXY from the environment, as requests reads them.

On top the client adds what a module needs: every failure is one error type (`PveApiError` and its
subclasses) with the HTTP status, PVE's message and its per-field errors, and for a request that got no
answer whether it can have reached PVE (`sent`); one re-login when a ticket expires mid-run; task waiting by
adaptive polling (`_tasks.py`); `get_all` for parallel reads.
"""

from __future__ import annotations

import json
import os
import re
import ssl
import stat
import threading
import time
import traceback
from urllib.parse import quote

from ._errors import PveApiError, PveConnectionError
from ._regex import regex
from ._tasks import TaskWaiting
# Imported from here by the module base, the engine and the tests.
from ._tasks import is_upid, parse_upid, poll_delays  # noqa: F401 pylint: disable=unused-import

try:
    import requests
    from requests.adapters import HTTPAdapter
    from requests.utils import DEFAULT_CA_BUNDLE_PATH
    from urllib3.exceptions import MaxRetryError, NewConnectionError, ReadTimeoutError
    from urllib3.util.retry import Retry
    from urllib3.util.ssl_ import create_urllib3_context
except ImportError:
    HAS_REQUESTS = False
    LIBRARY_IMPORT_ERROR = traceback.format_exc()
    HTTPAdapter = Retry = object
    DEFAULT_CA_BUNDLE_PATH = create_urllib3_context = None
else:
    HAS_REQUESTS = True
    LIBRARY_IMPORT_ERROR = None

# proxmoxer's https backend exits the process when requests is missing: import it only when requests is there.
HAS_PROXMOXER = False
if HAS_REQUESTS:
    try:
        from proxmoxer.backends.https import ProxmoxHttpSession, ProxmoxHTTPApiTokenAuth, ProxmoxHTTPAuth, \
            ProxmoxHTTPAuthBase
    except ImportError:
        LIBRARY_IMPORT_ERROR = traceback.format_exc()
        ProxmoxHTTPAuth = object
    else:
        HAS_PROXMOXER = True
else:
    ProxmoxHTTPAuth = object

# What a module run needs, and where to get it (for Ansible's missing_required_lib message).
LIBRARIES = 'proxmoxer and requests'
LIBRARIES_URL = 'https://pypi.org/project/proxmoxer/'

DEFAULT_PORT = 8006
DEFAULT_TIMEOUT = 30
# HTTP answers that mean "try again": proxy and gateway trouble, pveproxy's connection errors.
TRANSIENT_STATUS = (502, 503, 504, 596, 599)
# Tries per request where a retry is safe: with 20 % of requests lost, 8 tries fail once in 390,000
# requests; with the backoff below they give up after about 5 s of silence.
ATTEMPTS = 8
BACKOFF_FACTOR = 0.1  # seconds: 0.2, 0.4, 0.8, then BACKOFF_MAX, plus up to BACKOFF_JITTER
BACKOFF_MAX = 1.0
BACKOFF_JITTER = 0.05
USER_AGENT = 'iac.proxmox'
# Characters left as they are in a request path: those PVE's own clients send unescaped (UPIDs carry
# ':', '@' and '!'). Everything else, '%', '?' and '#' included, is percent-encoded.
PATH_SAFE = "/:@!$&'()*+,;=~"
# A SHA-256 fingerprint as `pvenode cert info` shows it (AB:CD:...), or the same 64 hex digits without colons.
FINGERPRINT = regex(r'^(?:[0-9A-Fa-f]{2}:){31}[0-9A-Fa-f]{2}$|^[0-9A-Fa-f]{64}$')


def normalize_fingerprint(value):
    """A SHA-256 certificate fingerprint as urllib3 compares it (64 lower-case hex digits), or None when
    `value` is not one (the caller names the option)."""
    text = str(value or '').strip()
    if not FINGERPRINT.match(text):
        return None
    return text.replace(':', '').lower()


def tls_verify(validate_certs, ca_path, fingerprint):
    """What requests verifies the chain against, passed with every request so that REQUESTS_CA_BUNDLE and
    CURL_CA_BUNDLE cannot override ca_path: the CA file, the system store (True), or nothing (False), as with a
    pinned fingerprint alone, which then is the check."""
    if ca_path and (validate_certs or fingerprint):
        return ca_path
    if fingerprint:
        return False
    return bool(validate_certs)


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


class CountingRetry(Retry):
    """urllib3's Retry, reporting each retry to the client (its stats, and its sleep for the backoff, so
    tests need not wait)."""

    client = None

    def new(self, **kw):
        retry = super().new(**kw)
        retry.client = self.client
        return retry

    def increment(self, *args, **kwargs):
        retry = super().increment(*args, **kwargs)  # raises once the tries are used up
        if self.client is not None:
            self.client.stats['retries'] += 1
            self.client.stats['requests'] += 1
        return retry

    def _sleep_backoff(self):
        backoff = self.get_backoff_time()
        if backoff > 0:
            (self.client.sleep if self.client is not None else time.sleep)(backoff)


def retry_policy(client, idempotent):
    """The Retry for one request: a connection that failed before the request went out is retried for any
    method; a lost answer (read timeout, reset) and PVE's transient statuses only when repeating is harmless.
    A TLS failure is never retried: it will not heal."""
    tries = client.attempts - 1
    # allowed_methods=None: any method may be retried when the caller says repeating is harmless (a login is a
    # POST); read=False / status=0: a request that went out is never repeated otherwise.
    retry = CountingRetry(total=tries, connect=tries, read=tries if idempotent else False,
                          status=tries if idempotent else 0, other=0, redirect=0, allowed_methods=None,
                          status_forcelist=TRANSIENT_STATUS, raise_on_status=False, raise_on_redirect=False,
                          respect_retry_after_header=False, backoff_factor=BACKOFF_FACTOR, backoff_max=BACKOFF_MAX,
                          backoff_jitter=BACKOFF_JITTER)
    retry.client = client
    return retry


class CaContexts:
    """One TLS context per CA bundle file, its certificates loaded once and shared by all the client's
    connections.

    Left to itself, requests has urllib3 build a new SSLContext for every new connection and load the CA
    bundle into it: the bundle it took from `verify` (ca_path, REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE) or, with
    verify=True, certifi's (about 230 KB, some 30 ms each time on the benchmark machine). `get_all` opens one
    connection per path at once, so a module run loaded the same bundle two or more times. The context comes
    from urllib3's own `create_urllib3_context` (its defaults: TLS 1.2 or newer, CERT_REQUIRED, hostname check),
    as urllib3 would make it.

    `get(verify)` takes the `verify` requests settled on (True, a path, or False) and returns the shared
    context, or None where requests' own handling stays: verification off, a directory of CAs, a path that is
    missing or that does not load (requests then raises its usual error, which the client reports). A bundle
    changed on disk (modification time or size) is loaded afresh. Thread-safe: parallel connections wait for
    one load.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._contexts = {}

    def get(self, verify):
        if verify is False or verify is None:
            return None
        path = DEFAULT_CA_BUNDLE_PATH if verify is True else verify
        try:
            info = os.stat(path)
        except (OSError, TypeError, ValueError):
            return None
        if not stat.S_ISREG(info.st_mode):
            return None
        key = (path, info.st_mtime_ns, info.st_size)
        with self._lock:
            context = self._contexts.get(key)
            if context is None:
                try:
                    context = create_urllib3_context(cert_reqs=ssl.CERT_REQUIRED)
                    context.load_verify_locations(cafile=path)
                except (OSError, ValueError):  # ssl.SSLError is an OSError
                    return None
                self._contexts[key] = context
            return context


class PveAdapter(HTTPAdapter):
    """requests' HTTPS adapter, pinning the server certificate's SHA-256 fingerprint when one is given
    (urllib3's assert_fingerprint, checked right after the TLS handshake, before the request is sent), and
    verifying with the client's shared TLS contexts (`CaContexts`) instead of loading the CA bundle for each
    connection.

    The context goes in through the pool key, as requests documents for a custom SSLContext
    (`build_connection_pool_key_attributes`); `cert_verify` keeps requests' checks and settings and only drops
    the bundle path from the pool, which would have urllib3 load it into the shared context again.
    """

    def __init__(self, fingerprint=None, ca_contexts=None, **kwargs):
        self.fingerprint = fingerprint
        self.ca_contexts = ca_contexts
        super().__init__(**kwargs)

    def _shared_context(self, verify):
        return self.ca_contexts.get(verify) if self.ca_contexts is not None else None

    def build_connection_pool_key_attributes(self, request, verify, cert=None):
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(request, verify, cert)
        context = self._shared_context(verify)
        if context is not None:
            pool_kwargs.pop('ca_certs', None)
            pool_kwargs['ssl_context'] = context
        return host_params, pool_kwargs

    def cert_verify(self, conn, url, verify, cert):
        super().cert_verify(conn, url, verify, cert)
        if self._shared_context(verify) is not None:
            conn.ca_certs = None

    def init_poolmanager(self, *args, **kwargs):
        if self.fingerprint:
            kwargs['assert_fingerprint'] = self.fingerprint
        return super().init_poolmanager(*args, **kwargs)

    def proxy_manager_for(self, proxy, **proxy_kwargs):
        if self.fingerprint:
            proxy_kwargs['assert_fingerprint'] = self.fingerprint
        return super().proxy_manager_for(proxy, **proxy_kwargs)


class TicketAuth(ProxmoxHTTPAuth):
    """proxmoxer's ticket authentication (the PVEAuthCookie, the CSRF token on writes, renewal once the
    ticket is an hour old), logging in through the client's own session: proxmoxer's login would go out
    on a bare connection without the client's certificate pinning and retries."""

    # proxmoxer's __init__ logs in at once, on a bare connection: this one logs in on the first request instead.
    def __init__(self, client):  # pylint: disable=super-init-not-called
        ProxmoxHTTPAuthBase.__init__(self, timeout=client.timeout, verify_ssl=client.verify)
        self.client = client
        self.username = client.user
        self.base_url = client.base_url
        self.pve_auth_ticket = ''
        self.csrf_prevention_token = None
        self.birth_time = None

    def _get_new_tokens(self, password=None, otp=None, otptype=None):
        """Log in with the password, or renew with the current ticket (what proxmoxer does by age)."""
        data = self.client.login(password if password is not None else self.pve_auth_ticket)
        self.pve_auth_ticket = data['ticket']
        self.csrf_prevention_token = data['CSRFPreventionToken']
        self.birth_time = time.monotonic()

    def __call__(self, request):
        if self.birth_time is None:
            self._get_new_tokens(password=self.client.password)
        return super().__call__(request)


class PveClient(TaskWaiting):
    """A session to one PVE API endpoint (task waiting: `TaskWaiting`)."""

    def __init__(self, host, user, password=None, token_id=None, token_secret=None, port=DEFAULT_PORT,
                 validate_certs=True, ca_path=None, tls_fingerprint=None, timeout=DEFAULT_TIMEOUT, attempts=ATTEMPTS,
                 sleep=time.sleep, clock=time.monotonic):
        if not (HAS_REQUESTS and HAS_PROXMOXER):
            raise ImportError('iac.proxmox needs the Python libraries {0}: {1}'.format(LIBRARIES, LIBRARY_IMPORT_ERROR))
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
        self.fingerprint = normalize_fingerprint(tls_fingerprint) if tls_fingerprint else None
        self.verify = tls_verify(validate_certs, ca_path, self.fingerprint)
        self.stats = {'requests': 0, 'logins': 0, 'retries': 0, 'polls': 0}
        self.ca_contexts = CaContexts()
        if token_id:
            self.auth = ProxmoxHTTPApiTokenAuth(user, token_id, token_secret, verify_ssl=self.verify, timeout=timeout)
        else:
            self.auth = TicketAuth(self)
        self.session = self._new_session()
        self._spare = []  # more sessions, for get_all
        self._lock = threading.Lock()

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

    @property
    def logged_in(self):
        return bool(self.token_id) or self.auth.birth_time is not None

    def _new_session(self):
        session = ProxmoxHttpSession()
        session.auth = self.auth
        session.headers['User-Agent'] = USER_AGENT
        session.headers['Accept'] = 'application/json'
        adapter = PveAdapter(fingerprint=self.fingerprint, ca_contexts=self.ca_contexts, pool_connections=1,
                             pool_maxsize=1, max_retries=retry_policy(self, True))
        session.mount('https://', adapter)
        return session

    def connections(self):
        """How many HTTPS connections the client has opened, per session (the first is the main one)."""
        counts = []
        for session in [self.session] + self._spare:
            adapter = session.get_adapter(self.base_url)
            pools = adapter.poolmanager.pools
            counts.append(sum(pools[key].num_connections for key in pools.keys()))
        return counts

    def close(self):
        for session in [self.session] + self._spare:
            session.close()

    def login(self, password):
        """POST /access/ticket (retried like an idempotent request: a login changes nothing); returns PVE's
        ticket data. Raises PveApiError with what to do on a wrong password or two-factor accounts."""
        path = '/access/ticket'
        self.stats['logins'] += 1
        # proxmoxer renews an hour-old ticket while preparing another request, after _send set that request's
        # retry policy on this adapter: the login's own (retry everything) must not stay for a write.
        adapter = self.session.get_adapter(self.base_url)
        outer = adapter.max_retries
        try:
            answer = self._send(self.session, 'POST', path, True, auth=ProxmoxHTTPAuthBase(),
                                data={'username': self.user, 'password': password or ''})
        finally:
            adapter.max_retries = outer
        return login_data(answer, self.user, self.base_url, path)

    def _ensure_login(self):
        if not self.logged_in:
            with self._lock:
                if not self.logged_in:
                    self.auth._get_new_tokens(password=self.password)

    # --------------------------------------------------------------- requests

    def request(self, method, path, params=None, data=None, idempotent=None, session=None, read_timeout=None,
                files=None):
        """Send one API request and return its `data`. Raises PveApiError (or a subclass) on failure.

        `idempotent` (default: true for GET) allows retrying after an answer was lost; a request known
        not to have reached PVE is retried whatever its method. `read_timeout`: seconds to wait for this
        answer instead of api_timeout, for a request PVE answers only once its work is done (an LXC config
        write that allocates a volume). `files`: multipart file parts, as requests takes them ({field:
        (file name, file object, content type)}); the form is then sent as multipart/form-data.
        """
        session = session or self.session
        method = method.upper()
        if idempotent is None:
            idempotent = method in ('GET', 'HEAD')
        body = encode(data)
        if body is None and method in ('POST', 'PUT'):
            body = {}
        query = encode(params)
        relogged = False
        while True:
            self._ensure_login()
            for part in (files or {}).values():
                part[1].seek(0)  # a repeat (after a re-login) sends the whole file again
            answer = self._send(session, method, path, idempotent, params=query, data=body, read_timeout=read_timeout,
                                files=files)
            status = answer.status_code
            if status == 401 and self.password and not self.token_id and not relogged:
                # The ticket expired or was revoked: nothing was done; log in again and repeat once.
                relogged = True
                self.auth.birth_time = None
                continue
            if status >= 400:
                raise api_error(answer, method, path)
            try:
                return answer.json().get('data')
            except (ValueError, AttributeError):
                raise PveApiError('answer is not JSON: {0}'.format(answer.text[:200]), status=status, method=method,
                                  path=path)

    def _send(self, session, method, path, idempotent, params=None, data=None, auth=None, read_timeout=None,
              files=None):
        """One request through the session and its retry policy; a requests exception becomes a
        PveConnectionError that says whether the request can have reached PVE. `read_timeout` replaces
        api_timeout for the wait on the answer (connecting keeps api_timeout). `files`: requests' multipart
        file parts."""
        session.get_adapter(self.base_url).max_retries = retry_policy(self, idempotent)
        self.stats['requests'] += 1
        timeout = self.timeout if read_timeout is None else (self.timeout, read_timeout)
        try:
            return session.request(method, self.base_url + quote(path, safe=PATH_SAFE), params=params, data=data,
                                   files=files, auth=auth, verify=self.verify, timeout=timeout)
        except requests.exceptions.RequestException as exc:
            error = self._connection_error(exc, method, path, read_timeout)
            if error.sent is None and not idempotent:
                error.message += ('; the request went out and was not repeated, so PVE may have carried it out: check '
                                  'before running it again')
            raise error
        except OSError as exc:
            # requests' check of the CA bundle path it took from REQUESTS_CA_BUNDLE or CURL_CA_BUNDLE (ca_path is
            # checked before), raised as a bare OSError before anything is sent.
            if 'CA certificate bundle' not in str(exc):
                raise
            raise PveConnectionError('cannot verify {0}: {1}; fix or unset REQUESTS_CA_BUNDLE and CURL_CA_BUNDLE, or '
                                     "give ca_path the CA certificate that signed the cluster's certificate; nothing "
                                     'was sent'.format(self.base_url, exc), method=method, path=path, sent=False)

    def _connection_error(self, exc, method, path, read_timeout=None):
        return connection_error(self, exc, method, path, read_timeout)

    def get(self, path, **params):
        return self.request('GET', path, params=params)

    def get_all(self, paths):
        """GET several paths at once, each on its own session and connection: the wall time of one round trip.

        Returns, in order, each answer's data or the exception its request raised (the caller decides
        which failures matter). Each request is retried as get() would be.
        """
        try:
            self._ensure_login()  # once, before fanning out
        except PveApiError as exc:
            return [exc for _path in paths]
        while len(self._spare) < len(paths) - 1:
            self._spare.append(self._new_session())
        results = [None] * len(paths)

        def fetch(index, session):
            try:
                results[index] = self.request('GET', paths[index], session=session)
            except Exception as exc:  # noqa: BLE001 - handed to the caller, raised there
                results[index] = exc
        threads = [threading.Thread(target=fetch, args=(index, self._spare[index - 1]))
                   for index in range(1, len(paths))]
        for thread in threads:
            thread.start()
        fetch(0, self.session)
        for thread in threads:
            thread.join()
        return results

    def post(self, path, **data):
        return self.request('POST', path, data=data)

    def put(self, path, **data):
        return self.request('PUT', path, data=data)

    def delete(self, path, **params):
        return self.request('DELETE', path, params=params)

    def upload(self, path, data, field, filename, fileobj, read_timeout=None):
        """POST a file the way PVE's upload API takes it: multipart/form-data, the form fields in `data` first,
        then the file as the part `field` whose file name is `filename` (PVE reads the target name from it).
        `fileobj` is an open binary file. Not repeated once sent (an upload is not idempotent); returns `data`
        of the answer (a task ID)."""
        return self.request('POST', path, data=data, idempotent=False, read_timeout=read_timeout,
                            files={field: (filename, fileobj, 'application/octet-stream')})


def login_data(answer, user, base_url, path):
    """PVE's ticket data from the answer to a login as `user`. Raises PveApiError with what to do on a wrong
    password or a two-factor account."""
    if answer.status_code == 401:
        raise PveApiError('authentication failed for {0}: check api_user and api_password (PVE answered: '
                          '{1})'.format(user, api_error(answer, 'POST', path).message or
                                        'authentication failure'), status=401, method='POST', path=path)
    if answer.status_code >= 400:
        raise api_error(answer, 'POST', path)
    try:
        data = answer.json().get('data') or {}
    except (ValueError, AttributeError):
        raise PveApiError('login to {0} failed: the answer is not PVE\'s JSON: {1}'.format(
            base_url, answer.text[:200]), status=answer.status_code, method='POST', path=path)
    if data.get('NeedTFA'):
        raise PveApiError('{0} has two-factor authentication, which a module cannot answer; use an API token '
                          '(api_token_id and api_token_secret)'.format(user), status=401, method='POST',
                          path=path)
    if not data.get('ticket'):
        raise PveApiError('login to {0} gave no ticket'.format(base_url), status=answer.status_code,
                          method='POST', path=path)
    return data


def connection_error(client, exc, method, path, read_timeout=None):
    """A requests exception, raised by a request of `client`, as a PveConnectionError. `sent` False: the
    connection, the proxy tunnel or the TLS handshake failed, so nothing can have happened; None: the request
    went out and may have been processed (read timeout, connection reset or cut-off answer)."""
    tries = ' (tried {0} times)'.format(client.attempts) if client.attempts > 1 else ''
    reason = _reason(exc)
    if isinstance(exc, requests.exceptions.SSLError):
        if 'Fingerprints did not match' in reason:
            return PveConnectionError(
                "the certificate of {0} does not have the SHA-256 fingerprint given in tls_fingerprint ({1}); "
                'check the value `pvenode cert info` shows on the node; nothing was sent'.format(
                    client.base_url, reason), method=method, path=path, sent=False)
        if any(text in reason for text in ('Hostname mismatch', 'IP address mismatch', "doesn't match")):
            return PveConnectionError(
                "the certificate of {0} is not issued for {1!r} ({2}): give api_host a name or address the "
                'certificate lists (its subject alternative names), as the certificate is verified for the name '
                'used; nothing was sent'.format(client.base_url, client.host, reason), method=method, path=path,
                sent=False)
        if client.fingerprint and isinstance(client.verify, str):
            return PveConnectionError(
                'TLS verification of {0} against ca_path {1} failed ({2}); with tls_fingerprint as well both are '
                'checked: give ca_path the CA certificate that signed the certificate, or leave ca_path out to rely '
                'on the fingerprint; nothing was sent'.format(client.base_url, client.verify, reason), method=method,
                path=path, sent=False)
        return PveConnectionError(
            'TLS verification of {0} failed ({1}). Give ca_path the CA certificate that signed the '
            "cluster's certificate, or tls_fingerprint the certificate's SHA-256 fingerprint (pvenode cert "
            'info); verification stays on.'.format(client.base_url, reason), method=method, path=path, sent=False)
    if isinstance(exc, requests.exceptions.ProxyError):
        return PveConnectionError('cannot reach {0} through the proxy (HTTPS_PROXY): {1}{2}'.format(
            client.base_url, reason, tries), method=method, path=path, sent=False)
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return PveConnectionError('connecting to {0} timed out after {1}s{2}'.format(
            client.base_url, client.timeout, tries), method=method, path=path, sent=False)
    if isinstance(exc, requests.exceptions.ReadTimeout) or _caused_by(exc, ReadTimeoutError):
        return PveConnectionError('no answer from {0} within {1}s ({2}){3}'.format(
            client.base_url, read_timeout or client.timeout, 'api_timeout' if read_timeout is None else
            'the time this request may take', tries if _caused_by(exc, MaxRetryError) else ''), method=method,
            path=path, sent=None)
    if isinstance(exc, requests.exceptions.ConnectionError) and _caused_by(exc, NewConnectionError):
        return PveConnectionError('cannot reach {0}: {1}{2}'.format(client.base_url, reason, tries), method=method,
                                  path=path, sent=False)
    if isinstance(exc, (requests.exceptions.InvalidURL, requests.exceptions.InvalidSchema)) and \
            requests.utils.get_environ_proxies(client.base_url):
        # api_host is checked before: the URL requests could not use is the proxy's from the environment. Its
        # text can hold the proxy's password (a '#' in it ends the URL there), so it is not repeated.
        return PveConnectionError(
            'cannot reach {0}: the proxy URL in the environment (HTTPS_PROXY, https_proxy or ALL_PROXY) cannot be '
            'used ({1}): give http://[user:password@]host:port (https:// works too; socks5:// needs the PySocks '
            'library) and percent-encode special characters (such as #, @, / and :) in its user name and password; '
            'nothing was sent'.format(client.base_url, type(exc).__name__), method=method, path=path, sent=False)
    return PveConnectionError('cannot reach {0}: {1}'.format(client.base_url, reason), method=method, path=path,
                              sent=None)


def api_error(answer, method, path):
    """An HTTP error answer as a PveApiError: the status, PVE's message and its per-field errors."""
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
    return PveApiError(message, status=answer.status_code, errors=errors, method=method, path=path)


def _root_causes(exc):
    """The chain of causes inside a requests exception: urllib3's MaxRetryError and its reason, the OS error."""
    seen = []
    current = exc
    while current is not None and current not in seen:
        seen.append(current)
        nxt = getattr(current, 'reason', None)
        if nxt is None and current.args and isinstance(current.args[0], BaseException):
            nxt = current.args[0]
        if nxt is None:
            nxt = current.__cause__ or current.__context__
        current = nxt if isinstance(nxt, BaseException) else None
    return seen


def _caused_by(exc, kind):
    """True when `kind` is among the causes of a requests exception (NewConnectionError: no connection was made,
    so the request never went out; ReadTimeoutError: it went out and no answer came; MaxRetryError: retried)."""
    return any(isinstance(cause, kind) for cause in _root_causes(exc))


def _reason(exc):
    """The most telling words of a requests exception: the innermost cause's text, without object reprs."""
    causes = _root_causes(exc)
    for cause in reversed(causes):
        text = str(cause)
        if isinstance(cause, OSError) and getattr(cause, 'strerror', None):
            return cause.strerror
        if text and 'object at 0x' not in text:
            return re.sub(r'<[^>]+object at 0x[0-9a-f]+>: ', '', text)
    return type(exc).__name__
