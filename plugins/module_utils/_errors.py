# -*- coding: utf-8 -*-
# Copyright: iac.proxmox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection's error types. Private to the collection: not a public API.

Everything that can go wrong in a module run ends as one of these, and the module base turns each into
one `fail_json` with a message that names what failed and why.
"""

from __future__ import annotations

from ._regex import regex

# The config changed since the digest sent with a write was read: qemu-server's and pve-container's update
# (`checksum mismatch`, spelt `missmatch` before PVE 8) and PVE::Tools::assert_if_modified (mappings).
DIGEST_CONFLICT = regex(r'checksum mis+match|detected modified configuration')


class PveError(Exception):
    """Base of the collection's errors."""


class PveApiError(PveError):
    """An API request failed: HTTP status, PVE's message and its per-field errors."""

    def __init__(self, message, status=None, errors=None, method=None, path=None):
        super().__init__(message)
        self.message = (message or '').strip()
        self.status = status
        self.errors = dict(errors or {})
        self.method = method
        self.path = path

    def __str__(self):
        where = '{0} {1}'.format(self.method, self.path) if self.method else 'PVE API request'
        status = ' (HTTP {0})'.format(self.status) if self.status else ''
        text = '{0} failed{1}: {2}'.format(where, status, self.message or 'no message')
        if self.errors:
            text += ' ' + '; '.join('{0}: {1}'.format(k, ' '.join(str(v).split())) for k, v in sorted(self.errors.items()))
        return text

    def to_result(self):
        """Fields a failure result carries besides `msg`."""
        return {'status': self.status, 'pve_message': self.message, 'pve_errors': self.errors}


def is_hotplug_problem(exc):
    """A config write to a running VM whose only errors are failed hotplugs: PVE wrote the change, applied
    the rest and left these keys pending (qemu-server QemuServer.pm vmconfig_hotplug_pending: `hotplug
    problem - <msg>` per key; API2/Qemu.pm $update_vm_api raise_param_exc, HTTP 400)."""
    errors = getattr(exc, 'errors', None) or {}
    return bool(errors) and all(str(v).startswith('hotplug problem - ') for v in errors.values())


class PveConnectionError(PveApiError):
    """The request did not get an answer: refused, reset, timed out, TLS verification failed.

    `sent` is False when the request is known not to have reached PVE (nothing can have happened), and
    None when it may or may not have been processed.
    """

    def __init__(self, message, method=None, path=None, sent=None):
        super().__init__(message, method=method, path=path)
        self.sent = sent


class PveTaskError(PveApiError):
    """A task ended with an error status; carries the UPID and the tail of the task log."""

    def __init__(self, message, upid=None, exitstatus=None, log=None, method=None, path=None):
        super().__init__(message, method=method, path=path)
        self.upid = upid
        self.exitstatus = exitstatus
        self.log = list(log or [])
        self.hint = None  # what the failure left behind, when known

    def __str__(self):
        text = 'task {0} failed: {1}'.format(self.upid, self.exitstatus)
        if self.hint:
            text += '\n' + self.hint
        if self.log:
            text += '\ntask log (last {0} lines):\n{1}'.format(len(self.log), '\n'.join(self.log))
        return text

    def to_result(self):
        return {'upid': self.upid, 'exitstatus': self.exitstatus, 'task_log': self.log}


class PveTimeoutError(PveError):
    """Waiting for something (a task, a lock, a shutdown) took longer than allowed."""


class ValidationError(PveError):
    """An option value is invalid; raised before any write request."""

    def __init__(self, option, value, reason):
        super().__init__(reason)
        self.option = option
        self.value = value
        self.reason = reason

    def __str__(self):
        if self.value is None:
            return '{0}: {1}'.format(self.option, self.reason)
        return '{0}: {1!r} is invalid: {2}'.format(self.option, self.value, self.reason)


def is_lost_answer(exc):
    """A request that may or may not have been processed: sent, but no answer came."""
    return isinstance(exc, PveConnectionError) and exc.sent is None


def is_digest_conflict(exc):
    """PVE refused a write because someone else changed the config after it was read."""
    return isinstance(exc, PveApiError) and bool(DIGEST_CONFLICT.search(exc.message or ''))
