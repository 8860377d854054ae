# -*- coding: utf-8 -*-
# Copyright: iac.proxmox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""HTTPS to the PVE API on the standard library alone. Private to the collection: not a public API.

Why not requests: a module run is a fresh Python process per task and guest, and importing requests
(with urllib3, charset detection and idna) cost about 60 ms of every run, more than two API round trips.
http.client and ssl are already half-loaded by Ansible's own module code. No third-party library is
needed on the host that runs the modules.

One keep-alive connection per transport. Every failure is a `TransportError` that says whether the
request can have reached the server (`sent`): False when the connection or the TLS handshake failed
(nothing can have happened), None once the request went out (it may have been processed).
"""

from __future__ import annotations

import http.client
import json
import select
import socket
import ssl
from urllib.parse import quote, urlencode

USER_AGENT = 'iac.proxmox'
# Characters left as they are in a request path: those PVE's own clients send unescaped (UPIDs carry
# ':', '@' and '!'). Everything else, '%', '?' and '#' included, is percent-encoded.
PATH_SAFE = "/:@!$&'()*+,;=~"


class TransportError(Exception):
    """No HTTP answer. `sent` False: known not to have reached the server; None: it may have."""

    def __init__(self, reason, sent=None, kind='network'):
        super().__init__(reason)
        self.reason = reason
        self.sent = sent
        self.kind = kind  # tls, connect-timeout, read-timeout, refused, network


class Answer(object):
    """An HTTP answer, read in full."""

    def __init__(self, status, reason, body):
        self.status = status
        self.reason = reason
        self.body = body

    @property
    def text(self):
        return self.body.decode('utf-8', 'replace')

    def json(self):
        """The decoded JSON body (ValueError when it is not JSON)."""
        return json.loads(self.text)


def form(values):
    """A dict of values (str, int or lists of them) as application/x-www-form-urlencoded."""
    return urlencode(sorted((values or {}).items()), doseq=True)


def tls_context(verify, ca_path=None):
    """Verification on (system CAs, or only `ca_path` when given) unless the user turned it off."""
    if not verify:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    return ssl.create_default_context(cafile=ca_path or None)


class HttpsTransport(object):
    """Requests to https://host:port over one reused connection."""

    def __init__(self, host, port, verify=True, ca_path=None, timeout=30, context=None):
        self.host = host
        self.port = int(port)
        self.timeout = timeout
        self.context = context or tls_context(verify, ca_path)
        self._conn = None
        self.connections = 0

    def sibling(self):
        """Another transport to the same server with the same TLS settings (a second connection)."""
        return HttpsTransport(self.host, self.port, timeout=self.timeout, context=self.context)

    def close(self):
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _connection(self):
        """The open connection, or a new one (connect and TLS handshake now, so a failure here is
        known to have sent nothing)."""
        conn = self._conn
        if conn is not None and _dropped(conn.sock):
            self.close()  # the server closed the idle connection: reconnect rather than fail a request
            conn = None
        if conn is None:
            conn = http.client.HTTPSConnection(self.host.strip('[]'), self.port, timeout=self.timeout,
                                               context=self.context)
            try:
                conn.connect()
            except ssl.SSLCertVerificationError as exc:
                conn.close()
                raise TransportError('certificate verify failed: {0}'.format(exc.verify_message or exc), sent=False,
                                     kind='tls')
            except ssl.SSLError as exc:
                conn.close()
                raise TransportError('TLS handshake failed: {0}'.format(exc.reason or exc), sent=False, kind='tls')
            except socket.timeout:
                conn.close()
                raise TransportError('connect timed out', sent=False, kind='connect-timeout')
            except ConnectionRefusedError:
                conn.close()
                raise TransportError('Connection refused', sent=False, kind='refused')
            except socket.gaierror as exc:
                conn.close()
                raise TransportError('cannot resolve {0}: {1}'.format(self.host, exc.strerror or exc), sent=False)
            except OSError as exc:
                conn.close()
                raise TransportError(exc.strerror or str(exc), sent=False)
            self._conn = conn
            self.connections += 1
        return conn

    def request(self, method, path, query=None, body=None, headers=None, timeout=None):
        """Send one request; return its Answer. `path` is below the server root; `query` and `body` are
        dicts sent as a query string and a form body. `timeout`: seconds to wait for this answer instead of
        the transport's own (a request PVE answers only once slow work is done)."""
        target = quote(path, safe=PATH_SAFE)
        if query:
            target += '?' + form(query)
        send_headers = {'Accept': 'application/json', 'User-Agent': USER_AGENT}
        send_headers.update(headers or {})
        payload = None
        if body is not None:
            payload = form(body).encode('ascii')
            send_headers['Content-Type'] = 'application/x-www-form-urlencoded'
        elif method in ('POST', 'PUT'):
            payload = b''
        conn = self._connection()
        wait = self.timeout if timeout is None else timeout
        if conn.sock is not None:
            conn.sock.settimeout(wait)
        try:
            conn.request(method, target, body=payload, headers=send_headers)
            resp = conn.getresponse()
            data = resp.read()
        except socket.timeout:
            self.close()
            raise TransportError('no answer within {0}s'.format(wait), sent=None, kind='read-timeout')
        except http.client.RemoteDisconnected:
            self.close()
            raise TransportError('Remote end closed connection without response', sent=None)
        except (http.client.HTTPException, OSError) as exc:
            self.close()
            raise TransportError(_os_reason(exc), sent=None)
        if resp.will_close:
            self.close()
        elif wait != self.timeout and conn.sock is not None:
            conn.sock.settimeout(self.timeout)
        return Answer(resp.status, resp.reason, data)


def _dropped(sock):
    """True when a kept-alive socket can no longer carry a request: closed by the server (readable with
    nothing to read) or gone."""
    if sock is None:
        return True
    try:
        readable, _w, _x = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)


def _os_reason(exc):
    if isinstance(exc, ConnectionResetError):
        return 'Connection reset by peer'
    if isinstance(exc, BrokenPipeError):
        return 'Broken pipe'
    if isinstance(exc, http.client.IncompleteRead):
        return 'the answer was cut off'
    return getattr(exc, 'strerror', None) or str(exc) or type(exc).__name__
