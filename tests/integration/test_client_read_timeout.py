"""PveClient.request(read_timeout=...): one request may wait longer than api_timeout for its answer."""

import pytest

from ansible_collections.iac.proxmox.plugins.module_utils._client import PveClient
from ansible_collections.iac.proxmox.plugins.module_utils._errors import PveConnectionError


def client_for(lab, **kwargs):
    conn = lab.connection()
    return PveClient(conn['api_host'], conn['api_user'], token_id=conn['api_token_id'],
                     token_secret=conn['api_token_secret'], port=conn['api_port'], ca_path=conn['ca_path'], **kwargs)


@pytest.mark.lab(time_scale=0.05)
def test_a_slow_synchronous_write_gets_its_own_read_timeout(lab):
    for vmid in (950, 951, 952):  # one each: a request given up on still holds its config lock
        lab.pve.add_ct(vmid, 'slow-{0}'.format(vmid), node='pve1')
    lab.pve.mount_alloc_secs = 40  # 2 real seconds
    client = client_for(lab, timeout=1, sleep=lambda s: None)
    with pytest.raises(PveConnectionError) as err:
        client.request('PUT', '/nodes/pve1/lxc/950/config', data={'mp0': 'local-lvm:1,mp=/a'})
    assert err.value.sent is None and 'within 1s (api_timeout)' in str(err.value)
    assert client.request('PUT', '/nodes/pve1/lxc/951/config', data={'mp1': 'local-lvm:1,mp=/b'},
                          read_timeout=10) is None
    lab.pve.mount_alloc_secs = 80  # 4 real seconds
    with pytest.raises(PveConnectionError) as err:
        client.request('PUT', '/nodes/pve1/lxc/952/config', data={'mp2': 'local-lvm:1,mp=/c'}, read_timeout=2)
    assert 'within 2s (the time this request may take)' in str(err.value)
