"""Fixtures of the lab's own tests: an API client on the test's lab (the API token of root@pam)."""

import pytest


def lab_client(lab):
    """A PveClient on `lab` with the lab's API token, verifying TLS against the lab's CA. (Imported here, not at
    the top: the installed collection is put on sys.path when pytest is configured, after conftests load.)"""
    from ansible_collections.iac.proxmox.plugins.module_utils._client import PveClient
    conn = lab.connection()
    return PveClient(conn['api_host'], conn['api_user'], token_id=conn['api_token_id'],
                     token_secret=conn['api_token_secret'], port=conn['api_port'], ca_path=conn['ca_path'])


@pytest.fixture
def api(lab):
    return lab_client(lab)
