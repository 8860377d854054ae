"""The lab's own plumbing (not a PVE behaviour): what the tests use to keep request logs honest."""

import pytest

from ansible_collections.iac.proxmox.plugins.module_utils._client import PveClient
from ansible_collections.iac.proxmox.plugins.module_utils._errors import PveConnectionError


def test_a_request_the_client_gave_up_on_stays_in_flight_until_the_lab_answers_it(lab):
    conn = lab.connection()
    api = PveClient(conn['api_host'], conn['api_user'], token_id=conn['api_token_id'],
                    token_secret=conn['api_token_secret'], port=conn['api_port'], ca_path=conn['ca_path'], timeout=1,
                    attempts=1)
    lab.pve.flaky_network(hang_rate=1.0, hang_secs=1.5)
    before = lab.pve.mark()
    with pytest.raises(PveConnectionError):
        api.get('/version')
    lab.pve.flaky_network()
    assert lab.pve.in_flight == 1
    assert lab.pve.api_requests(before) == []  # not logged yet: the lab has not handled it
    lab.wait_idle()
    assert lab.pve.in_flight == 0
    assert [(m, p) for m, p, _b in lab.pve.api_requests(before)] == [('GET', '/version')]
