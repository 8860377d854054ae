"""Serve a LabPve from a background thread: what the pytest fixtures and the command line share."""

import asyncio
import json
import os
import threading
import time

from fakepve import settle

from .certs import ensure_ca, issue_server_cert
from .lab import LabPve

START_TIMEOUT = 30


class LabServer(object):
    """A LabPve listening with TLS from a certificate signed by the lab CA, on its own event loop thread."""

    def __init__(self, state_dir, host='127.0.0.1', port=0, time_scale=0.0, password=None):
        self.state_dir = state_dir
        os.makedirs(state_dir, exist_ok=True)
        self.ca_path, ca_key = ensure_ca(state_dir)
        self.pve = LabPve(host=host, port=port, password=password)
        self.pve.time_scale = time_scale
        self._pki = issue_server_cert(state_dir, (self.ca_path, ca_key), hosts=(host,))
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._run, name='pvelab', daemon=True)
        self.started = False

    def _run(self):
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def call(self, coro, timeout=START_TIMEOUT):
        """Run a coroutine on the lab's loop (a scenario such as pve.hold_config_lock) and return its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def start(self):
        self.thread.start()
        try:
            self.call(self.pve.start(*self._pki))
        except BaseException:
            self._halt()
            raise
        self.started = True
        return self

    def _halt(self):
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(START_TIMEOUT)
        if not self.thread.is_alive():
            self.loop.close()

    def stop(self):
        if not self.started:
            return
        self.started = False
        try:
            self.call(settle())
            self.call(self.pve.stop())
        finally:
            self._halt()

    def wait_idle(self, timeout=START_TIMEOUT):
        """Wait until no request is in the lab's hands: one a client gave up on (a hung request the lab
        answers late) is still processed and logged, and would otherwise land in the next play's request log."""
        deadline = time.monotonic() + timeout
        delay = 0.01
        while self.pve.in_flight:
            if time.monotonic() > deadline:
                raise TimeoutError('the lab still has {0} request(s) in flight after {1}s'.format(
                    self.pve.in_flight, timeout))
            time.sleep(delay)
            delay = min(0.2, delay * 2)

    def connection(self, auth='token'):
        return self.pve.connection(self.ca_path, auth=auth)

    def write_connection(self, path):
        """Write the connection settings, token and password both, as JSON (owner-only: it holds credentials)."""
        data = dict(self.connection(auth='token'), api_password=self.pve.password)
        tmp = path + '.tmp'
        with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), 'w') as out:
            json.dump(data, out, indent=2, sort_keys=True)
        os.replace(tmp, path)
        return data

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
