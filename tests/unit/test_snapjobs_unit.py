"""Pure logic of issue 17's snapshots and backup jobs: calendar events, retention, prune options."""

import pytest

from ansible_collections.iac.proxmox.plugins.module_utils._backupjob import normalize_prune, prune_text, stored_prune
from ansible_collections.iac.proxmox.plugins.module_utils._calendar import calendar_error, check_calendar_event
from ansible_collections.iac.proxmox.plugins.module_utils._errors import ValidationError
from ansible_collections.iac.proxmox.plugins.module_utils._snapshot import check_snapname, retention_victims


@pytest.mark.parametrize('text', ['daily', 'hourly', 'weekly', 'monthly', 'yearly', 'quarterly', 'semiannually',
                                  'minutely', '02:30', 'sat 18:15', 'mon..fri 21:00', 'mon,wed,fri 01:00',
                                  '*:0/30', '0/2:00', '*-*-01 00:00', '2026-12-24 18:00', 'Sun 03:00:30',
                                  'mon..fri', '12-24', 'sat *:0/15', '*:*'])
def test_calendar_events_pve_accepts(text):
    assert calendar_error(text) is None


@pytest.mark.parametrize('text, reason', [
    ('', 'empty calendar event'),
    ('mon 25:00', 'hour 25 out of range (0..23)'),
    ('2:60', 'minute 60 out of range (0..59)'),
    ('every day', "unexpected 'every day'"),
    ('funday 02:00', "unexpected 'funday 02:00'"),
    ('mon..fri..sat', "invalid weekday range 'mon..fri..sat'"),
    ('*-13-01', 'month 13 out of range (1..12)'),
    ('02:00 03:00', "unexpected '03:00'"),
    ('*:0/0', "invalid repetition '0' in minute"),
    ('5..3:00', "invalid hour range '5..3'"),
])
def test_calendar_events_pve_refuses(text, reason):
    assert calendar_error(text) == reason
    assert check_calendar_event(text) == "invalid calendar event '{0}' - {1}".format(text, reason)


def test_retention_keeps_the_newest_counting_the_new_one():
    snaps = [{'name': 'd-{0}'.format(i), 'snaptime': i} for i in range(1, 6)] + [{'name': 'other', 'snaptime': 0}]
    assert retention_victims(snaps, 'd-', 3) == ['d-2', 'd-1']
    assert retention_victims(snaps, 'd-', 3, new='d-6') == ['d-3', 'd-2', 'd-1']
    assert retention_victims(snaps, 'd-', 10, new='d-6') == []


def test_snapname_rules():
    assert check_snapname('snapname', 'pre-upgrade_1') == 'pre-upgrade_1'
    for bad in ('1st', 'a', 'x' * 41, 'with space', 'current'):
        with pytest.raises(ValidationError):
            check_snapname('snapname', bad)


def test_prune_options_both_spellings_and_stored_forms():
    prune = normalize_prune('prune_backups', {'keep_daily': 7, 'keep-last': '3'})
    assert prune == {'keep-daily': 7, 'keep-last': 3}
    assert prune_text(prune) == 'keep-last=3,keep-daily=7'
    assert stored_prune('keep-last=3,keep-daily=7') == prune
    assert stored_prune({'keep-last': 3, 'keep-daily': 7}) == prune
    with pytest.raises(ValidationError):
        normalize_prune('prune_backups', {'keep-last': 0})
