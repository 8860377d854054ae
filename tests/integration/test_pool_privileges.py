"""A token whose guest ACL is on /pool/<pool> only (issue 12): PVE answers 403 for /vms/<vmid> it may not
see, whether or not the guest exists; creating and cloning into the pool work when `pool` is passed, as
PVE then checks VM.Allocate on /pool/<pool>."""

from test_lxc import TEMPLATE, containers, ct_task
from test_vm import GOLDEN, guests_named, vm_task

PRIVS = ('VM.Allocate', 'VM.Audit', 'VM.Config.Disk', 'VM.Config.CPU', 'VM.Config.Memory', 'VM.Config.Options',
         'VM.Config.Network', 'VM.Config.HWType', 'VM.Config.Cloudinit', 'VM.Config.CDROM', 'VM.PowerMgmt',
         'VM.Clone')


def pool_env(lab, pool='team'):
    lab.pve.pools[pool] = set()
    lab.pve._pool_meta(pool)
    lab.pve.apitokens['auto@pve!pool'] = 'pool-secret'
    lab.pve.grant('auto@pve', '/pool/' + pool, *PRIVS)
    lab.pve.grant('auto@pve', '/vms/9000', 'VM.Audit', 'VM.Clone')  # the golden template may be cloned
    lab.pve.grant('auto@pve', '/storage', 'Datastore.AllocateSpace', 'Datastore.Audit',
                  'Datastore.AllocateTemplate')
    lab.pve.grant('auto@pve', '/sdn', 'SDN.Use')
    lab.pve.grant('auto@pve', '/nodes', 'Sys.Audit')
    conn = lab.connection()
    return {'PROXMOX_HOST': conn['api_host'], 'PROXMOX_PORT': str(conn['api_port']), 'PROXMOX_USER': 'auto@pve',
            'PROXMOX_TOKEN_ID': 'pool', 'PROXMOX_TOKEN_SECRET': 'pool-secret', 'PROXMOX_CA_PATH': conn['ca_path']}


def test_clone_into_a_pool_with_a_pool_acl(lab, play):
    env = pool_env(lab)
    task = vm_task(name='pooled-vm', vmid=4242, node='pve1', clone=GOLDEN, pool='team', cores=2)
    check = play([task], auth=None, env=env, check=True).assert_ok()
    assert check.writes == [] and check.changed == 1
    first = play([task], auth=None, env=env).assert_ok()
    [vm] = guests_named(lab, 'pooled-vm')
    assert vm.vmid == 4242 and 4242 in lab.pve.pools['team']
    [(_m, _p, body)] = [w for w in first.writes if w[1].endswith('/clone')]
    assert b'pool=team' in body
    again = play([task], auth=None, env=env).assert_ok()
    assert again.changed == 0 and again.writes == []


def test_container_into_a_pool_with_a_pool_acl(lab, play):
    env = pool_env(lab)
    task = ct_task(name='pooled-ct', vmid=4343, node='pve1', pool='team', ostemplate=TEMPLATE,
                   rootfs={'storage': 'local-lvm', 'size': '8G'}, unprivileged=True,
                   nets=[{'slot': 'net0', 'bridge': 'vmbr0', 'ip': 'dhcp'}])
    first = play([task], auth=None, env=env).assert_ok()
    [ct] = containers(lab, 'pooled-ct')
    assert ct.vmid == 4343 and 4343 in lab.pve.pools['team']
    again = play([task], auth=None, env=env).assert_ok()
    assert again.changed == 0 and again.writes == []


def test_without_the_pool_the_403_is_named_not_read_as_missing(lab, play):
    env = pool_env(lab)
    run = play([vm_task(name='lost-vm', vmid=4242, node='pve1', clone=GOLDEN, cores=2)], auth=None, env=env)
    msg = run.task('vm')['msg']
    assert run.failed and run.writes == [], msg
    assert 'Permission check failed (/vms/4242, VM.Audit)' in msg and 'pool' in msg, msg
    assert guests_named(lab, 'lost-vm') == []
