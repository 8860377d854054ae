"""tests/unit is plain logic: no built collection (tests/conftest.py imports it from this checkout), no lab and
no network. A test here that asks for the lab, or opens an internet socket, fails and says where it belongs."""

import socket

import pytest
# urllib3 (under requests, which the client imports) probes for IPv6 once, when it is first imported, by binding
# ::1 port 0; nothing is sent. Importing it here, before the guard below, keeps that probe out of every test.
import requests  # noqa: F401  pylint: disable=unused-import

MISPLACED = ('this test needs {0}: it belongs in tests/lab/ (the lab\'s own behaviour, with the `api` fixture) or '
             'tests/integration/ (the client or playbooks against the lab), not in tests/unit/')


@pytest.fixture
def lab():
    pytest.fail(MISPLACED.format('the lab (fixture `lab`)'), pytrace=False)


@pytest.fixture
def api():
    pytest.fail(MISPLACED.format('the lab (fixture `api`)'), pytrace=False)


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Connecting or binding an internet socket fails the test (a local AF_UNIX socket stays allowed)."""
    def refuse(action, real):
        def guarded(sock, address, *args):
            if sock.family in (socket.AF_INET, socket.AF_INET6):
                reason = 'the network (socket.{0} to {1!r})'.format(action, address)
                pytest.fail(MISPLACED.format(reason), pytrace=False)
            return real(sock, address, *args)
        return guarded
    for action in ('connect', 'connect_ex', 'bind'):
        monkeypatch.setattr(socket.socket, action, refuse(action, getattr(socket.socket, action)))
