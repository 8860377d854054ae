"""An LXC config PUT that allocates a mount point volume is synchronous in PVE (pve-container
src/PVE/API2/LXC/Config.pm update_vm: no worker task) and can outlast api_timeout on a slow storage."""

import pytest

from test_lxc import add_ct, ct_task

MOUNT = [{'slot': 'mp0', 'storage': 'local-lvm', 'size': '2G', 'path': '/data'}]


def allocated_once(ct):
    """One new volume in mp0, nothing left behind as unusedN."""
    return ct.config['mp0'].startswith('local-lvm:vm-940-disk-1,') and 'size=2G' in ct.config['mp0'] and \
        not any(k.startswith('unused') for k in ct.config)


@pytest.mark.lab(time_scale=0.05)
def test_slow_mount_point_allocation_is_waited_for(lab, play):
    ct = add_ct(lab, 940, 'slow-mp')
    lab.pve.mount_alloc_secs = 60  # 3 real seconds; api_timeout is 1
    task = ct_task(name='slow-mp', mounts=MOUNT, api_timeout=1)
    check = play([task], check=True).assert_ok()
    assert check.writes == [] and 'mp0' not in ct.config
    run = play([task]).assert_ok()
    assert allocated_once(ct)
    assert [p for _m, p in run.write_calls] == ['/nodes/pve1/lxc/940/config']  # one PUT, answered
    assert run.task('ct')['changed_keys'] == ['mp0']
    again = play([task]).assert_ok()
    assert again.changed == 0 and again.writes == []
    # A config write without a new volume keeps api_timeout: it does not wait longer than it must.
    lab.pve.mount_alloc_secs = 0
    assert play([ct_task(name='slow-mp', cores=2, api_timeout=1)]).assert_ok().changed == 1


@pytest.mark.lab(time_scale=0.05)
def test_unanswered_mount_point_write_is_settled_by_reading_the_config(lab, play):
    ct = add_ct(lab, 940, 'slow-mp')
    lab.pve.mount_alloc_secs = 60  # longer than even `timeout` here: the answer is given up on
    run = play([ct_task(name='slow-mp', mounts=MOUNT, api_timeout=1, timeout=1)]).assert_ok()
    assert allocated_once(ct)  # resent only with the digest it was read with: PVE never allocates twice
    assert all(b'digest=' in body for _m, _p, body in run.writes)
    again = play([ct_task(name='slow-mp', mounts=MOUNT, api_timeout=1)]).assert_ok()
    assert again.changed == 0 and again.writes == []
