"""What ships: the built tarball's contents, the execution-environment metadata as ansible-builder reads it from the
installed collection."""

import glob
import os
import tarfile

from ansible_builder._target_scripts import introspect

from labtools import INSTALLED, ROOT


def test_tarball_holds_no_lab_venv_or_caches():
    [tarball] = glob.glob(os.path.join(ROOT, 'build', 'dist', 'iac-proxmox-*.tar.gz'))
    with tarfile.open(tarball) as tar:
        names = tar.getnames()
    assert 'plugins/modules/pve_vm.py' in names and 'roles/golden_image/tasks/main.yml' in names
    assert 'meta/execution-environment.yml' in names and 'playbooks/site.yml' in names
    forbidden = ('tests/', '.venv/', 'build/', '.lab/', 'extensions/molecule', '.git/', 'requirements/')
    assert [n for n in names if n.startswith(forbidden) or '__pycache__' in n or n.endswith('.pyc')] == []


def test_ansible_builder_introspection_finds_the_dependencies():
    pip_lines, bindep_lines = introspect.process_collection(INSTALLED)
    # The HTTP layer: proxmoxer on requests (and urllib3's Retry), at the versions the tests run with.
    assert pip_lines == ['proxmoxer>=2.3.0', 'requests>=2.34.2', 'urllib3>=2.8.0']
    assert bindep_lines == ['ca-certificates [platform:rpm platform:dpkg]']
