"""LabPve: fakepve extended with what iac.proxmox needs, and the seeded lab cluster.

fakepve validates every request against PVE's API schema and answers with PVE's status codes and
wording. The mixins here add stateful behaviour where fakepve answers generically; each follows PVE's
own sources (named in the mixin's docstring).
"""

import asyncio
import json
import secrets
import time

from aiohttp import web
from fakepve import FakePve
from fakepve.server import error

from .access import AccessApi
from .backup import BackupApi
from .content import StorageContent
from .guestfiles import GuestFiles
from .guests import GuestChecks
from .hardware import HardwareApi
from .hotplug import HotplugRules
from .linkedclone import LinkedCloneFeature
from .mapping import MappingApi
from .normalize import ReadBack
from .passthrough import PassthroughChecks
from .pverules import PveRules
from .qemu import QemuExtras
from .sizes import SizeRules
from .snapjobs import SnapJobsApi
from .topology import seed
from .usb import UsbApi
from .vmrules import VmRules

TOKEN_NAME = 'lab'
API_PREFIX = '/api2/json'


def is_write(method, path):
    """A request that can change state: anything but GET, except logging in."""
    return method not in ('GET', 'HEAD') and not path.endswith('/access/ticket')


# Every lab node's CPU threads: what a VM's cores x sockets is checked against.
NODE_CPUS = 32


class LabPve(GuestChecks, PveRules, ReadBack, GuestFiles, SizeRules, BackupApi, PassthroughChecks, VmRules,
             HotplugRules, QemuExtras, MappingApi, HardwareApi, UsbApi, StorageContent, SnapJobsApi, AccessApi,
             LinkedCloneFeature, FakePve):
    """The lab: a FakePve with mappings, node hardware, QEMU disk handling, a request log file and real
    per-request latency."""

    def __init__(self, host='127.0.0.1', port=0, password=None, seeded=True):
        super().__init__(user='root@pam', password=password or secrets.token_urlsafe(12), host=host, port=port)
        self.token_id = 'root@pam!' + TOKEN_NAME
        self.token_secret = secrets.token_hex(16)
        self.apitokens[self.token_id] = self.token_secret
        # Real seconds added before every answer, whatever time_scale is (the benchmark's network).
        self.real_latency = 0.0
        # When set, every recorded request is appended to this file as a JSON line.
        self.request_log_path = None
        # (method, path suffix) -> a 400 with per-field errors to answer with (see fail_fields).
        self.field_failures = {}
        # Requests answered by dropping the connection after processing them, and hooks run before a request.
        self.lost_answers = []
        self.before_rules = []
        # PVE seconds each task type takes (qmclone, qmstart, ...), on top of what fakepve models.
        self.task_secs = {}
        # When set, every finished task is appended here as a JSON line: upid, type, start and end times.
        self.task_log_path = None
        # Requests received and not yet answered (a hung request counts until its late answer goes out).
        self.in_flight = 0
        if seeded:
            seed(self)

    @staticmethod
    def _node_stats(online):
        stats = FakePve._node_stats(online)
        if stats:
            stats['maxcpu'] = NODE_CPUS
        return stats

    # ------------------------------------------------------------ the request log

    def _record(self, request, body):
        super()._record(request, body)
        if self.request_log_path:
            entry = {'t': round(time.time(), 4), 'method': request.method, 'path': request.path}
            with open(self.request_log_path, 'a', encoding='utf-8') as out:
                out.write(json.dumps(entry) + '\n')

    def api_requests(self, since=0):
        """(method, path without /api2/json, body) of every request since the index `since`."""
        out = []
        for method, path, body in self.requests[since:]:
            out.append((method, path[len(API_PREFIX):] if path.startswith(API_PREFIX) else path, body))
        return out

    def writes(self, since=0):
        """The requests since `since` that could change state (not GETs, not logins)."""
        return [r for r in self.api_requests(since) if is_write(r[0], r[1])]

    def mark(self):
        """An index into the request log; pass it to writes()/api_requests() to see what came after."""
        return len(self.requests)

    # ------------------------------------------------------------ pending

    # PVE's GET .../pending lists every key of the parsed config, and parsing adds the file's digest
    # (PVE::GuestHelpers::config_with_pending_array over load_config; `qm pending` skips the `digest`
    # item when it prints). fakepve leaves it out; clients use it to write without reading the config.

    async def _pending(self, request):
        response = await super()._pending(request)
        body = json.loads(response.text)
        body['data'].append({'key': 'digest', 'value': self._vm(request).digest()})
        return web.json_response(body)

    async def _lxc_pending(self, user, v):
        data = await super()._lxc_pending(user, v)
        data.append({'key': 'digest', 'value': self._find_ct(v['node'], v['vmid']).digest()})
        return data

    # ------------------------------------------------------------ tasks

    async def task(self, node, ttype, tid, user, body, vm=None, lock=True, log=()):
        """fakepve's task, taking task_secs[ttype] PVE seconds longer, its end time logged when asked."""
        extra = self.task_secs.get(ttype, 0)
        holder = {}

        async def timed():
            started = time.time()
            try:
                if extra:
                    await self.pause(extra)
                return await body()
            finally:
                if self.task_log_path:
                    entry = {'upid': holder.get('upid'), 'type': ttype, 'start': round(started, 4),
                             'end': round(time.time(), 4)}
                    holder['entry'] = entry
                    if holder.get('upid'):
                        self._log_task(entry)
        upid = await super().task(node, ttype, tid, user, timed, vm=vm, lock=lock, log=log)
        holder['upid'] = upid
        if 'entry' in holder:  # the body ran before the UPID was known (time_scale 0)
            holder['entry']['upid'] = upid
            self._log_task(holder['entry'])
        return upid

    def _log_task(self, entry):
        with open(self.task_log_path, 'a', encoding='utf-8') as out:
            out.write(json.dumps(entry) + '\n')

    # ------------------------------------------------------------ faults

    def fail_fields(self, method, suffix, errors, message='Parameter verification failed.', times=None):
        """Answer requests whose path ends with suffix with PVE's 400 and these per-field errors
        (fakepve's fail() has no per-field errors). times: that many requests, then stop."""
        self.field_failures[(method, suffix)] = {'errors': dict(errors), 'message': message, 'times': times}

    async def _answer(self, request, handler, generic, path_node):
        for key, rule in list(self.field_failures.items()):
            if request.method == key[0] and request.path.endswith(key[1]):
                if rule['times'] is not None:
                    rule['times'] -= 1
                    if rule['times'] <= 0:
                        del self.field_failures[key]
                return error(400, rule['message'], rule['errors'])
        return await super()._answer(request, handler, generic, path_node)

    # ------------------------------------------------------------ the network

    def _build_app(self):
        app = super()._build_app()
        app.middlewares.insert(0, self._real_latency_middleware)
        return app

    @web.middleware
    async def _real_latency_middleware(self, request, handler):
        self.in_flight += 1
        try:
            if self.real_latency:
                await asyncio.sleep(self.real_latency)
            before = self._take_rule(self.before_rules, request)
            if before:
                before['fn']()
            response = await handler(request)
            if self._take_rule(self.lost_answers, request):
                # Processed (a task may be running), but the client never hears back: the connection drops.
                request.transport.close()
                raise ConnectionResetError('pvelab: the answer was lost')
            return response
        finally:
            self.in_flight -= 1

    @staticmethod
    def _take_rule(rules, request):
        for rule in list(rules):
            if request.method == rule['method'] and request.path.endswith(rule['suffix']):
                rule['times'] -= 1
                if rule['times'] <= 0:
                    rules.remove(rule)
                return rule
        return None

    def lose_answers(self, method, suffix, times=1):
        """Process the next `times` requests whose path ends with suffix, then drop their connection before
        the answer goes out: the request happened, the client cannot know."""
        self.lost_answers.append({'method': method, 'suffix': suffix, 'times': times})

    def before_next(self, method, suffix, fn, times=1):
        """Call fn() just before the next `times` requests whose path ends with suffix are handled (another
        client's change landing between a read and a write, say)."""
        self.before_rules.append({'method': method, 'suffix': suffix, 'fn': fn, 'times': times})

    # ------------------------------------------------------------ connection settings

    def connection(self, ca_path, auth='token'):
        """The settings a client needs: the modules' option names, ready for module_defaults."""
        settings = {'api_host': self.host, 'api_port': self.port, 'ca_path': ca_path, 'api_user': 'root@pam'}
        if auth == 'token':
            settings.update(api_token_id=TOKEN_NAME, api_token_secret=self.token_secret)
        else:
            settings.update(api_password=self.password)
        return settings
