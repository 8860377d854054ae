"""The lab's containers and guest creation behave as PVE's sources say (issue 12, part lxc)."""

import pytest

from ansible_collections.iac.proxmox.plugins.module_utils._client import PveClient
from ansible_collections.iac.proxmox.plugins.module_utils._errors import PveApiError


@pytest.fixture
def api(lab):
    conn = lab.connection()
    return PveClient(conn['api_host'], conn['api_user'], token_id=conn['api_token_id'],
                     token_secret=conn['api_token_secret'], port=conn['api_port'], ca_path=conn['ca_path'])


def error_of(call, *args, **kwargs):
    with pytest.raises(PveApiError) as err:
        call(*args, **kwargs)
    return err.value


def add_privileged_template(lab, vmid=910, name='priv-tmpl'):
    """A privileged container template: PVE writes no `unprivileged` key for a privileged container."""
    config = {'hostname': name, 'memory': 512, 'swap': 512, 'ostype': 'debian', 'arch': 'amd64',
              'rootfs': 'local-lvm:base-{0}-disk-0,size=8G'.format(vmid),
              'net0': 'name=eth0,bridge=vmbr0,hwaddr=BC:24:11:00:20:10,ip=dhcp,type=veth'}
    return lab.pve.add_ct(vmid, name, node='pve1', config=config, template=True, defaults=False)


def test_unprivileged_is_read_only_after_creation(lab, api):
    """pve-container src/PVE/LXC/Config.pm update_pct_config: `unprivileged` cannot be set or deleted on an
    existing container ("unable to modify read-only option: 'unprivileged'"); `arch` and `ostype` can be
    changed (ostype only not deleted: "unable to delete required option 'ostype'"). A clone
    (src/PVE/API2/LXC.pm clone_vm) copies the source's config, so a privileged source gives a privileged clone."""
    add_privileged_template(lab)
    api.post('/nodes/pve1/lxc/910/clone', newid=911, hostname='priv-clone', full=1)
    clone = api.get('/nodes/pve1/lxc/911/config')
    assert 'unprivileged' not in clone
    assert error_of(api.put, '/nodes/pve1/lxc/911/config', unprivileged=1).message == \
        "unable to modify read-only option: 'unprivileged'"
    assert error_of(api.put, '/nodes/pve1/lxc/911/config', unprivileged=0).message == \
        "unable to modify read-only option: 'unprivileged'"
    assert 'unprivileged' not in api.get('/nodes/pve1/lxc/911/config')
    assert error_of(api.put, '/nodes/pve1/lxc/911/config', delete='ostype').message == \
        "unable to delete required option 'ostype'"
    api.put('/nodes/pve1/lxc/911/config', arch='arm64', ostype='ubuntu')
    config = api.get('/nodes/pve1/lxc/911/config')
    assert config['arch'] == 'arm64' and config['ostype'] == 'ubuntu'
