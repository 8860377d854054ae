"""iac.proxmox.pve_backup_job end to end: real playbooks against the lab, asserting on results and on the lab's
request log."""

JOB = {'id': 'nightly', 'schedule': 'mon..fri 02:30', 'vmids': [101, 100], 'storage': 'local', 'mode': 'snapshot',
       'compress': 'zstd', 'prune_backups': {'keep-last': 3, 'keep_daily': 7}, 'notes_template': '{{guestname}}',
       'notification_mode': 'auto', 'comment': 'Managed'}


def job_task(**overrides):
    args = dict(JOB)
    args.update(overrides)
    args = dict((k, v) for k, v in args.items() if v is not None)
    if 'notes_template' in args:
        # A Jinja expression, so the template's braces reach the module as written.
        args['notes_template'] = "{{ '" + args['notes_template'] + "' }}"
    return {'name': 'job', 'iac.proxmox.pve_backup_job': args, 'register': 'out'}


def test_create_then_unchanged_rerun(lab, play):
    first = play([job_task()]).assert_ok()
    result = first.task('job')
    assert result['changed'] is True
    assert first.write_calls == [('POST', '/cluster/backup')]
    stored = lab.pve.backup_jobs['nightly']
    assert stored['vmid'] == '100,101' and stored['prune-backups'] == 'keep-last=3,keep-daily=7'
    assert stored['schedule'] == 'mon..fri 02:30' and stored['notes-template'] == '{{guestname}}'
    assert result['job']['prune_backups'] == {'keep-last': 3, 'keep-daily': 7}
    assert result['job']['enabled'] is True and result['job']['vmids'] == [100, 101]
    second = play([job_task(vmids=[100, 101])]).assert_ok()
    assert second.changed == 0 and second.writes == []
    assert second.calls == [('GET', '/cluster/backup')]


def test_change_sends_only_the_difference_and_shows_the_diff(lab, play):
    play([job_task()]).assert_ok()
    run = play([job_task(schedule='sat 03:00', prune_backups={'keep-last': 5}, comment='', enabled=False)],
               diff=True).assert_ok()
    [(method, path, body)] = run.writes
    assert (method, path) == ('PUT', '/cluster/backup/nightly')
    assert b'storage' not in body and b'vmid' not in body
    stored = lab.pve.backup_jobs['nightly']
    assert stored['schedule'] == 'sat 03:00' and stored['prune-backups'] == 'keep-last=5'
    assert stored['enabled'] == 0 and 'comment' not in stored
    diff = run.task('job')['diff']
    assert diff['before']['schedule'] == 'mon..fri 02:30' and diff['after']['schedule'] == 'sat 03:00'
    assert diff['before']['enabled'] is True and diff['after']['enabled'] is False
    assert run.task('job')['plan'] == ['update backup job nightly: comment, enabled, prune-backups, schedule']


def test_selection_switch_to_all_with_exclude_and_to_a_pool(lab, play):
    play([job_task()]).assert_ok()
    play([job_task(vmids=None, all=True, exclude=[9000])]).assert_ok()
    stored = lab.pve.backup_jobs['nightly']
    assert stored['all'] == 1 and stored['exclude'] == '9000' and 'vmid' not in stored
    again = play([job_task(vmids=None, all=True, exclude=[9000])]).assert_ok()
    assert again.writes == []
    lab.pve.pools['prod'] = set()
    lab.pve.pool_info['prod'] = {'comment': None, 'storage': set()}
    play([job_task(vmids=None, pool='prod')]).assert_ok()
    stored = lab.pve.backup_jobs['nightly']
    assert stored['pool'] == 'prod' and 'all' not in stored and 'exclude' not in stored


def test_check_mode_writes_nothing(lab, play):
    run = play([job_task()], check=True, diff=True).assert_ok()
    assert run.writes == [] and lab.pve.backup_jobs == {}
    assert run.task('job')['plan'] == ['create backup job nightly']
    assert run.task('job')['diff']['after']['schedule'] == 'mon..fri 02:30'
    play([job_task()]).assert_ok()
    change = play([job_task(mode='stop')], check=True).assert_ok()
    assert change.writes == [] and lab.pve.backup_jobs['nightly']['mode'] == 'snapshot'
    remove = play([job_task(state='absent')], check=True).assert_ok()
    assert remove.writes == [] and 'nightly' in lab.pve.backup_jobs


def test_bad_inputs_fail_before_any_write(lab, play):
    cases = [
        (job_task(schedule='mon 23:60'), "invalid calendar event 'mon 23:60' - unable to parse calendar event at "
                                         "'23:60' - Nom(Eof)"),
        (job_task(schedule='every day'), "invalid calendar event 'every day' - unable to parse calendar event at "
                                         "'every' - Context(\"weekday\")"),
        (job_task(schedule='Daily'), "at 'Daily' - Context(\"weekday\")"),
        (job_task(schedule=None), 'schedule: is required'),
        (job_task(vmids=None), 'a new job needs a selection'),
        (job_task(pool='nope', vmids=None), "pool 'nope' does not exist"),
        (job_task(all=True), 'conflicts with vmids'),
        (job_task(exclude=[100]), 'applies with all=true only'),
        (job_task(storage='local-lvm'), 'does not take backups'),
        (job_task(prune_backups={'keep-forever': 1}), 'unknown retention option'),
        (job_task(prune_backups={'keep-all': True, 'keep-last': 2}), 'keep-all cannot be set together'),
        (job_task(id='1nightly'), 'must start with a letter'),
        (job_task(vmids=[100, 99]), 'vmids: 99 is invalid: is not a VMID'),
        (job_task(vmids=None, all=True, exclude=[-1]), 'exclude: -1 is invalid: is not a VMID'),
        (job_task(storage=None), "needs storage: PVE writes notes only to backups on a storage it is given"),
        (job_task(notes_template='a\nb'), 'contains a line feed'),
    ]
    for task, words in cases:
        run = play([task])
        assert run.failed, task
        assert words in run.task('job')['msg'], (task, run.task('job')['msg'])
        assert run.writes == []


def test_absent_deletes_and_reruns_unchanged(lab, play):
    play([job_task()]).assert_ok()
    run = play([job_task(state='absent')]).assert_ok()
    assert run.write_calls == [('DELETE', '/cluster/backup/nightly')]
    assert lab.pve.backup_jobs == {}
    again = play([job_task(state='absent')]).assert_ok()
    assert again.changed == 0 and again.writes == []


def test_all_without_exclude_removes_the_exclusions(lab, play):
    play([job_task(vmids=None, all=True, exclude=[9000, 9001])]).assert_ok()
    assert lab.pve.backup_jobs['nightly']['exclude'] == '9000,9001'
    run = play([job_task(vmids=None, all=True)]).assert_ok()
    [(method, path, body)] = run.writes
    assert (method, path) == ('PUT', '/cluster/backup/nightly') and b'delete=exclude' in body
    assert 'exclude' not in lab.pve.backup_jobs['nightly'] and lab.pve.backup_jobs['nightly']['all'] == 1


def test_schedules_pve_takes_are_not_refused(lab, play):
    """proxmox-time's parser takes `mon 25:00` (minute 25 every hour of Mondays) and `daily UTC`; the module's
    pre-write check must not refuse what PVE accepts, and a rerun writes nothing."""
    for schedule in ('mon 25:00', 'daily UTC'):
        run = play([job_task(schedule=schedule)]).assert_ok()
        assert run.task('job')['changed'] and lab.pve.backup_jobs['nightly']['schedule'] == schedule
        again = play([job_task(schedule=schedule)]).assert_ok()
        assert not again.task('job')['changed'] and again.writes == []


def test_a_new_notes_template_is_sent_with_the_jobs_storage(lab, play):
    """pve-guest-common VZDump/Common.pm: 'notes-template' `requires => 'storage'`, which PVE's schema checks
    against the request's own parameters: a PUT with the template alone is refused ("missing property required
    by 'notes-template'"), so the module sends the job's storage along."""
    play([job_task()]).assert_ok()
    run = play([job_task(notes_template='{{vmid}} on {{node}}', storage=None)]).assert_ok()
    [(method, path, body)] = run.writes
    assert (method, path) == ('PUT', '/cluster/backup/nightly') and b'storage=local' in body
    assert lab.pve.backup_jobs['nightly']['notes-template'] == '{{vmid}} on {{node}}'
    again = play([job_task(notes_template='{{vmid}} on {{node}}', storage=None)]).assert_ok()
    assert again.changed == 0 and again.writes == []
