"""Shared test set-up: the lab and the helpers on sys.path, the installed collection, a fresh lab per test."""

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'lab'))

from labtools import COLLECTIONS, INSTALLED, ROOT, tree_digest  # noqa: E402
from pvelab import LabServer  # noqa: E402


def pytest_configure(config):
    if not os.path.isdir(INSTALLED):
        raise pytest.UsageError('the collection is not installed at {0}: run `make collection` (make test does '
                                'it)'.format(INSTALLED))
    if tree_digest(ROOT) != tree_digest(INSTALLED):
        raise pytest.UsageError('the installed collection at {0} is older than the source tree: run `make '
                                'collection` (make test does it)'.format(INSTALLED))
    sys.path.insert(0, COLLECTIONS)


@pytest.fixture
def lab(request, tmp_path):
    """A started lab (seeded cluster) for one test; `@pytest.mark.lab(time_scale=...)` sets its clock."""
    marker = request.node.get_closest_marker('lab')
    options = dict(marker.kwargs) if marker else {}
    server = LabServer(str(tmp_path / 'lab'), time_scale=options.pop('time_scale', 0.0))
    for key, value in options.items():
        setattr(server.pve, key, value)
    server.start()
    try:
        yield server
    finally:
        server.stop()
