"""The rules tests/unit/conftest.py enforces: a unit test reaches neither the lab nor the network."""

import socket

import pytest


@pytest.mark.parametrize('fixture', ['lab', 'api'])
def test_asking_for_the_lab_fails_and_says_where_the_test_belongs(request, fixture):
    with pytest.raises(pytest.fail.Exception, match='belongs in tests/lab/ .* or tests/integration/'):
        request.getfixturevalue(fixture)


def test_an_internet_socket_can_neither_connect_nor_bind():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        for action in (sock.connect, sock.connect_ex, sock.bind):
            with pytest.raises(pytest.fail.Exception, match='needs the network'):
                action(('127.0.0.1', 9))


def test_a_local_unix_socket_is_allowed(tmp_path):
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.bind(str(tmp_path / 'sock'))
        assert sock.getsockname() == str(tmp_path / 'sock')
