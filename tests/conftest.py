"""Shared test set-up: the helpers and the lab on sys.path, the collection imported from this checkout, a fresh
lab per test (the `lab` fixture; tests/unit refuses it)."""

import importlib.machinery
import importlib.util
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'lab'))

from labtools import ROOT  # noqa: E402
from pvelab import LabServer  # noqa: E402


def import_collection_from_source():
    """`import ansible_collections.iac.proxmox...` in the tests reads this checkout's files: the three
    namespace levels are registered as packages whose last one looks in the repository root, as if the
    checkout sat at ansible_collections/iac/proxmox. No `make collection` is needed for that, and nothing
    is written. (Playbooks run the installed collection instead: tests/integration/conftest.py checks it.)"""
    for name, where in (('ansible_collections', []), ('ansible_collections.iac', []),
                        ('ansible_collections.iac.proxmox', [ROOT])):
        spec = importlib.machinery.ModuleSpec(name, None, is_package=True)
        spec.submodule_search_locations = where
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        if '.' in name:
            parent, child = name.rsplit('.', 1)
            setattr(sys.modules[parent], child, module)


import_collection_from_source()


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
