"""iac.proxmox.pve_pool end to end: real playbooks against the lab, asserting on results and on the lab's request
log."""

import os
import shutil

from labtools import ROOT, run_playbook


def add_vm(lab, vmid, name=None):
    return lab.pve.add_vm(vmid, name or 'pool-{0}'.format(vmid), node='pve1',
                          config={'scsi0': 'local-lvm:vm-{0}-disk-0,size=8G'.format(vmid), 'memory': '1024'})


def pool_task(**args):
    args.setdefault('poolid', 'tenant-a')
    return {'name': 'pool', 'iac.proxmox.pve_pool': args, 'register': 'out'}


MEMBERS = [{'vmid': 101}, {'vmid': 102}, {'storage': 'nfs.01'}]


def test_create_with_members_then_unchanged_rerun(lab, play):
    add_vm(lab, 101)
    add_vm(lab, 102)
    task = pool_task(comment='Tenant A', members=MEMBERS)
    first = play([task]).assert_ok()
    assert first.write_calls == [('POST', '/pools'), ('PUT', '/pools')]
    assert lab.pve.pools['tenant-a'] == {101, 102}
    assert lab.pve.pool_info['tenant-a']['storage'] == {'nfs.01'}
    assert lab.pve.pool_info['tenant-a']['comment'] == 'Tenant A'
    assert first.task('pool')['pool'] == {'poolid': 'tenant-a', 'comment': 'Tenant A', 'members': MEMBERS}
    second = play([task]).assert_ok()
    assert second.changed == 0 and second.writes == []
    assert second.calls == [('GET', '/pools')]


def test_add_mode_leaves_others_and_exact_removes_them(lab, play):
    for vmid in (101, 102, 103):
        add_vm(lab, vmid)
    play([pool_task(members=MEMBERS)]).assert_ok()
    run = play([pool_task(members=[{'vmid': 103}])]).assert_ok()
    assert lab.pve.pools['tenant-a'] == {101, 102, 103}
    assert run.write_calls == [('PUT', '/pools')]
    exact = play([pool_task(members=[{'vmid': 103}], members_mode='exact')], diff=True).assert_ok()
    assert lab.pve.pools['tenant-a'] == {103}
    assert lab.pve.pool_info['tenant-a']['storage'] == set()
    [(method, path, body)] = exact.writes
    assert (method, path) == ('PUT', '/pools') and b'delete=1' in body
    diff = exact.task('pool')['diff']
    assert diff['before']['members'] == [{'vmid': 101}, {'vmid': 102}, {'vmid': 103}, {'storage': 'nfs.01'}]
    assert diff['after']['members'] == [{'vmid': 103}]
    removed = play([pool_task(members=[{'vmid': 103, 'state': 'absent'}])]).assert_ok()
    assert lab.pve.pools['tenant-a'] == set() and removed.changed == 1


def test_comment_change_and_check_mode(lab, play):
    add_vm(lab, 101)
    play([pool_task(comment='old')]).assert_ok()
    check = play([pool_task(comment='new', members=[{'vmid': 101}])], check=True, diff=True).assert_ok()
    assert check.writes == []
    assert check.task('pool')['plan'] == ['update pool tenant-a: comment; add VM 101']
    assert lab.pve.pool_info['tenant-a']['comment'] == 'old'
    run = play([pool_task(comment='new')]).assert_ok()
    assert run.write_calls == [('PUT', '/pools')]
    assert lab.pve.pool_info['tenant-a']['comment'] == 'new'


def test_guest_in_another_pool_needs_allow_move(lab, play):
    add_vm(lab, 101)
    play([pool_task(poolid='other', members=[{'vmid': 101}])]).assert_ok()
    run = play([pool_task(members=[{'vmid': 101}])])
    assert run.failed
    assert "VM 101 belongs already to pool 'other' and 'allow-move' is not set" in run.task('pool')['msg']
    assert run.writes == []
    moved = play([pool_task(members=[{'vmid': 101}], allow_move=True)]).assert_ok()
    assert lab.pve.pools['tenant-a'] == {101} and lab.pve.pools['other'] == set()
    assert b'allow-move=1' in moved.writes[-1][2]


def test_nested_pool_needs_its_parent(lab, play):
    run = play([pool_task(poolid='tenant-a/web')])
    assert run.failed and "parent 'tenant-a' of pool 'tenant-a/web' does not exist" in run.task('pool')['msg']
    assert run.writes == []
    play([pool_task(), pool_task(poolid='tenant-a/web')]).assert_ok()
    assert 'tenant-a/web' in lab.pve.pools


def test_bad_inputs_fail_before_any_write(lab, play):
    cases = [
        (pool_task(poolid='1tenant'), 'starting with a letter'),
        (pool_task(poolid='a/b/c/d'), 'up to three levels'),
        (pool_task(members=[{'vmid': 999}]), 'no such guest'),
        (pool_task(members=[{'storage': 'nope'}]), 'no such storage'),
        (pool_task(members=[{'vmid': 1, 'storage': 'local'}]), 'give one of vmid, name (a guest) or storage'),
        (pool_task(members=[{'name': 'nobody'}]), 'no such guest'),
    ]
    for task, words in cases:
        run = play([task])
        assert run.failed, task
        assert words in run.task('pool')['msg'], (task, run.task('pool')['msg'])
        assert run.writes == []


def test_absent_deletes_an_empty_pool_and_refuses_a_full_one(lab, play):
    add_vm(lab, 101)
    play([pool_task(members=[{'vmid': 101}])]).assert_ok()
    full = play([pool_task(state='absent')])
    assert full.failed and "pool 'tenant-a' is not empty (contains VM 101)" in full.task('pool')['msg']
    assert full.writes == []
    play([pool_task(members=[], members_mode='exact')]).assert_ok()
    run = play([pool_task(state='absent')]).assert_ok()
    assert run.write_calls == [('DELETE', '/pools')]
    assert 'tenant-a' not in lab.pve.pools
    again = play([pool_task(state='absent')]).assert_ok()
    assert again.changed == 0 and again.writes == []


def test_members_by_name_cost_no_listing_once_in_the_pool(lab, play):
    add_vm(lab, 101, 'web-a')
    add_vm(lab, 102, 'web-b')
    task = pool_task(members=[{'name': 'web-a'}, {'name': 'web-b'}], members_mode='exact')
    first = play([task]).assert_ok()
    assert lab.pve.pools['tenant-a'] == {101, 102}
    assert ('GET', '/cluster/resources') in first.calls
    second = play([task]).assert_ok()
    assert second.changed == 0 and second.writes == []
    assert second.calls == [('GET', '/pools')]


def test_check_mode_create_writes_nothing(lab, play):
    add_vm(lab, 101)
    run = play([pool_task(comment='Tenant A', members=[{'vmid': 101}])], check=True, diff=True).assert_ok()
    assert run.writes == [] and 'tenant-a' not in lab.pve.pools
    result = run.task('pool')
    assert result['plan'] == ['create pool tenant-a', 'update pool tenant-a: add VM 101']
    assert result['diff'] == {'before': {}, 'after': {'poolid': 'tenant-a', 'comment': 'Tenant A',
                                                      'members': [{'vmid': 101}]}}


def test_site_check_mode_on_a_fresh_cluster_plans_pools_and_snapshots_without_failing(lab, tmp_path):
    """site.yml --check before the guests exist: the pool is planned with the guests that exist (none), the
    snapshot of a guest that is only planned is left for the real run; nothing is written."""
    target = tmp_path / 'project'
    shutil.copytree(os.path.join(ROOT, 'playbooks'), str(target))
    os.remove(str(target / 'inventory' / 'lab' / 'group_vars' / 'all' / 'connection.yml'))
    conn = lab.connection()
    env = {'PROXMOX_HOST': conn['api_host'], 'PROXMOX_PORT': str(conn['api_port']), 'PROXMOX_USER': conn['api_user'],
           'PROXMOX_TOKEN_ID': conn['api_token_id'], 'PROXMOX_TOKEN_SECRET': conn['api_token_secret'],
           'PROXMOX_CA_PATH': conn['ca_path']}
    run = run_playbook(lab, tmp_path, target / 'site.yml', check=True, env=env, inventory=target / 'inventory' / 'lab',
                       name='site')
    run.assert_ok()
    assert run.writes == []
    pools = run.task('Resource pools')['results']
    assert [(r['item']['poolid'], r['plan']) for r in pools] == [('demo', ['create pool demo'])]
    assert run.task('Snapshots')['results'] == []
    assert 'demo' not in lab.pve.pools


def test_an_empty_comment_is_refused_before_any_write(lab, play):
    """pve-manager PVE/API2/Pool.pm update_pool sets the comment only when given, and PVE reads `comment=` as not
    given: sending it changed nothing and every rerun reported a change."""
    play([pool_task(comment='Tenant A')]).assert_ok()
    run = play([pool_task(comment='')])
    assert run.failed and run.writes == [] and run.task('pool')['option'] == 'comment'
    assert "PVE cannot empty a pool's comment" in run.task('pool')['msg']
    assert lab.pve.pool_info['tenant-a']['comment'] == 'Tenant A'
    fresh = play([pool_task(poolid='tenant-b', comment='')]).assert_ok()
    assert fresh.write_calls == [('POST', '/pools')]
    assert play([pool_task(poolid='tenant-b', comment='')]).assert_ok().writes == []
