"""Fixtures of the lab's own tests: an API client on the test's lab (the API token of root@pam)."""

import pytest

from ansible_collections.iac.proxmox.plugins.module_utils._client import PveClient


def lab_client(lab):
    """A PveClient on `lab` with the lab's API token, verifying TLS against the lab's CA."""
    conn = lab.connection()
    return PveClient(conn['api_host'], conn['api_user'], token_id=conn['api_token_id'],
                     token_secret=conn['api_token_secret'], port=conn['api_port'], ca_path=conn['ca_path'])


@pytest.fixture
def api(lab):
    return lab_client(lab)
