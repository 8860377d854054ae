# -*- coding: utf-8 -*-
# Copyright: iac.proxmox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Waiting for PVE tasks: task ids, adaptive polling of a task's status, the tail of its log. Private to the
collection.
"""

from __future__ import annotations

from ._errors import PveApiError, PveTaskError, PveTimeoutError

TASK_LOG_TAIL = 20


def poll_delays(first=0.05, factor=1.5, cap=2.0):
    """Seconds to sleep between task status polls: short at first (most tasks end quickly), then longer,
    never more than `cap`. The first poll itself happens before any sleep."""
    delay = first
    while True:
        yield delay
        delay = min(cap, delay * factor)


def parse_upid(upid):
    """The fields of a task id: UPID:node:pid:pstart:starttime:type:id:user:"""
    parts = str(upid).split(':')
    if len(parts) < 9 or parts[0] != 'UPID':
        raise ValueError('not a task id: {0!r}'.format(upid))
    return {'node': parts[1], 'type': parts[5], 'id': parts[6], 'user': parts[7]}


def is_upid(value):
    return isinstance(value, str) and value.startswith('UPID:')


class TaskWaiting(object):
    """The client's task waiting (a mixin of PveClient: it uses the client's get, stats, clock and sleep)."""

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
