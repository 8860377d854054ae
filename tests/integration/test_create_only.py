"""Create-only and read-only guest keys: never written to an existing guest; a clone keeps its source's
value; a play asking another value fails before any write (issue 12 row 1)."""

from labtools import add_privileged_template
from test_lxc import containers, ct_task


def test_clone_of_a_privileged_template_keeps_it_privileged(lab, play):
    add_privileged_template(lab)
    task = ct_task(name='priv-clone', clone='priv-tmpl', memory=1024)
    check = play([task], check=True, diff=True).assert_ok()
    assert check.writes == [] and check.changed == 1
    first = play([task], diff=True).assert_ok()
    [ct] = containers(lab, 'priv-clone')
    assert 'unprivileged' not in ct.config and ct.config['memory'] in (1024, '1024')
    assert not any(b'unprivileged' in (body or b'') for _m, _p, body in first.writes)
    assert 'unprivileged' not in first.task('ct')['changed_keys']
    again = play([task]).assert_ok()
    assert again.changed == 0 and again.writes == []


def test_clone_asking_another_unprivileged_fails_before_any_write(lab, play):
    add_privileged_template(lab)
    for check in (True, False):
        run = play([ct_task(name='priv-clone', clone='priv-tmpl', unprivileged=True)], check=check)
        msg = run.task('ct')['msg']
        assert run.failed and run.writes == [], msg
        assert msg.startswith('unprivileged: CT 910 (priv-tmpl) is privileged (unprivileged: false)'), msg
        assert "a clone keeps its source's value" in msg
    assert containers(lab, 'priv-clone') == []
    same = play([ct_task(name='priv-clone', clone='priv-tmpl', unprivileged=False)]).assert_ok()
    assert 'unprivileged' not in containers(lab, 'priv-clone')[0].config
    assert not any(b'unprivileged' in (body or b'') for _m, _p, body in same.writes)


def test_existing_privileged_container_is_never_sent_unprivileged(lab, play):
    add_privileged_template(lab)
    lab.pve.add_ct(920, 'priv-ct', node='pve1', defaults=False,
                   config={'hostname': 'priv-ct', 'memory': 512, 'ostype': 'debian', 'arch': 'amd64',
                           'rootfs': 'local-lvm:vm-920-disk-0,size=8G'})
    run = play([ct_task(name='priv-ct', unprivileged=True, cores=2)])
    assert run.failed and run.writes == []
    assert run.task('ct')['msg'].startswith('unprivileged can only be set when the resource is created '
                                            '(current: 0, desired: 1)'), run.task('ct')['msg']
    ok = play([ct_task(name='priv-ct', unprivileged=False, cores=2)]).assert_ok()
    assert [p for _m, p in ok.write_calls] == ['/nodes/pve1/lxc/920/config']
    assert play([ct_task(name='priv-ct', unprivileged=False, cores=2)]).writes == []
