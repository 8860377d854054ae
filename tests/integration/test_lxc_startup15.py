"""pve_lxc's `startup` (a dict or PVE's string) and `hookscript` (issue 15) end to end: change, rerun with zero
writes, check mode with zero writes, bad values and root-only changes refused before any write."""


def ct_task(task='ct', **args):
    return {'name': task, 'iac.proxmox.pve_lxc': args}


def add_ct(lab, vmid, name, **config):
    base = {'hostname': name, 'memory': 512, 'swap': 512, 'unprivileged': 1, 'ostype': 'debian', 'arch': 'amd64',
            'rootfs': 'local-lvm:vm-{0}-disk-0,size=8G'.format(vmid)}
    base.update(config)
    return lab.pve.add_ct(vmid, name, node='pve1', status='stopped', config=base)


def startup_of(lab, vmid):
    return dict(part.split('=') for part in lab.pve.ct(vmid).config['startup'].split(','))


def test_startup_dict_then_the_string_form_reads_the_same(lab, play):
    add_ct(lab, 300, 'ct-start')
    task = ct_task(name='ct-start', startup={'order': 3, 'up': 20})
    check = play([task], check=True, diff=True).assert_ok()
    assert check.writes == [] and check.task('ct')['plan'] == ['set config of CT 300 (ct-start): startup']
    play([task]).assert_ok()
    assert startup_of(lab, 300) == {'order': '3', 'up': '20'}
    rerun = play([task]).assert_ok()
    assert rerun.changed == 0 and rerun.writes == []
    same = play([ct_task(name='ct-start', startup='3,up=20')]).assert_ok()
    assert same.changed == 0 and same.writes == []
    changed = play([ct_task(name='ct-start', startup='order=3,up=20,down=90')]).assert_ok()
    assert changed.changed == 1 and startup_of(lab, 300) == {'order': '3', 'up': '20', 'down': '90'}
    removed = play([ct_task(name='ct-start', startup={})]).assert_ok()
    assert removed.changed == 1 and 'startup' not in lab.pve.ct(300).config


def test_hookscript_as_root_then_rerun(lab, play):
    add_ct(lab, 301, 'ct-hook')
    task = ct_task(name='ct-hook', hookscript='local:snippets/hook.pl')
    check = play([task], check=True, auth='password').assert_ok()
    assert check.writes == [] and 'hookscript' not in lab.pve.ct(301).config
    play([task], auth='password').assert_ok()
    assert lab.pve.ct(301).config['hookscript'] == 'local:snippets/hook.pl'
    rerun = play([task], auth='password').assert_ok()
    assert rerun.changed == 0 and rerun.writes == []
    # Unchanged, a token's run writes nothing and is not refused.
    token = play([task]).assert_ok()
    assert token.changed == 0 and token.writes == []
    play([ct_task(name='ct-hook', hookscript='')], auth='password').assert_ok()
    assert 'hookscript' not in lab.pve.ct(301).config


def test_bad_values_and_a_tokens_hookscript_are_refused_before_any_write(lab, play):
    add_ct(lab, 302, 'ct-bad')
    bad = [
        (dict(startup={'order': 'first'}), 'password', 'startup.order', 'must be a whole number'),
        (dict(startup={'after': 1}), 'password', 'startup', 'unknown startup keys after'),
        (dict(startup='order=1,up=x'), 'password', 'startup', 'is not a startup order'),
        (dict(hookscript='hook.pl'), 'password', 'hookscript', 'is not a snippet volume'),
        (dict(hookscript='local:snippets/missing.pl'), 'password', 'hookscript',
         "script 'local:snippets/missing.pl' does not exist"),
        (dict(hookscript='local:snippets/hook.pl'), 'token', 'hookscript',
         'changing the hookscript is only allowed for root@pam'),
    ]
    for index, (args, auth, option, reason) in enumerate(bad):
        run = play([ct_task(name='ct-bad', **args)], auth=auth)
        assert run.writes == [], (index, run.write_calls)
        [failed] = run.failed
        msg = failed['result']['msg']
        assert msg.startswith(option + ':') and reason in msg, (index, msg)
