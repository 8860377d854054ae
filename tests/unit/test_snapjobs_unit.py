"""Pure logic of issue 17's snapshots and backup jobs: calendar events, retention, prune options."""

from types import SimpleNamespace

import pytest

from ansible_collections.iac.proxmox.plugins.module_utils._backupjob import normalize_prune, prune_text, stored_prune
from ansible_collections.iac.proxmox.plugins.module_utils._calendar import calendar_error, check_calendar_event
from ansible_collections.iac.proxmox.plugins.module_utils._errors import ValidationError
from ansible_collections.iac.proxmox.plugins.module_utils._snapshot import check_snapname, retention_victims


# The calendar event check follows proxmox-rs proxmox-time src/calendar_event.rs (commit f3305009)
# parse_calendar_event_incomplete and pve-common src/PVE/CalendarEvent.pm pve_verify_calendar_event; the lab's
# parser (tests/lab/pvelab/calendar.py, tests/lab/test_lab_calendar.py) is the reference these cases agree with.
REASON = "unable to parse calendar event at '{0}' - {1}"
WEEKDAY, NOTHING, LEFT_OVER = 'Context("weekday")', 'Context("date or time specification")', 'Nom(Eof)'


@pytest.mark.parametrize('text', ['daily', 'hourly', 'weekly', 'monthly', 'yearly', 'quarterly', 'semiannually',
                                  'minutely', '02:30', 'sat 18:15', 'mon..fri 21:00', 'mon,wed,fri 01:00',
                                  '*:0/30', '0/2:00', '*-*-01 00:00', '2026-12-24 18:00', 'Sun 03:00:30',
                                  'mon..fri', '12-24', 'sat *:0/15', '*:*', 'fri..mon', 'MON', 'monDay',
                                  '4..10/2:0', '6,4..10:23,5/5', '2020-7..9-2/2', '2020,2021-12-31', '02-29',
                                  '  daily  ', 'mon\t10:00'])
def test_calendar_events_pve_accepts(text):
    assert calendar_error(text) is None


@pytest.mark.parametrize('text, rest, kind', [
    ('every day', 'every', WEEKDAY),
    ('funday 02:00', 'funday', WEEKDAY),
    ('2:60', '2:60', NOTHING),
    ('5..3:00', '5..3:00', NOTHING),
    ('mon..fri 2:60', '2:60', LEFT_OVER),
    ('mon..fri..sat', '..sat', LEFT_OVER),
    ('*-13-01', '-01', LEFT_OVER),
    ('02:00 03:00', ' 03:00', LEFT_OVER),
    ('mon, tue', ', tue', LEFT_OVER),
    ('mon 0:0:60', ':60', LEFT_OVER),
])
def test_calendar_events_pve_refuses(text, rest, kind):
    """PVE's words (proxmox-time src/parse_helpers.rs parse_complete_line): where the parser stopped and nom's
    reason; the collection used to word these itself ("minute 60 out of range (0..59)", "unexpected ...")."""
    reason = REASON.format(rest, kind)
    assert calendar_error(text) == reason
    assert check_calendar_event(text) == "invalid calendar event '{0}' - {1}".format(text, reason)


def test_calendar_empty_event():
    """pve-common src/PVE/CalendarEvent.pm parse_calendar_event: a blank text is refused before the parser."""
    assert calendar_error('') == calendar_error('  ') == 'unable to parse calendar event - event is empty'


@pytest.mark.parametrize('text', ['mon 25:00', '24:00', '*/24:00'])
def test_calendar_hour_that_fails_is_read_as_minutes_seconds(text):
    """parse_time_spec: the hour is opt(...), so `25:00` is minute 25, second 0. PVE accepts it (the collection
    used to refuse "hour 25 out of range")."""
    assert calendar_error(text) is None


@pytest.mark.parametrize('text', ['0', '*', '5,10', '*/15'])
def test_calendar_minutes_alone(text):
    """parse_time_spec: the minutes alone are a time spec (proxmox-time's own tests use "0" and "*"); the
    collection used to refuse them as "unexpected"."""
    assert calendar_error(text) is None


def test_calendar_keywords_are_lower_case_whole_texts():
    """parse_calendar_event_incomplete matches the keywords exactly; a capitalised one is read as a weekday (the
    collection used to accept `Daily`), and a keyword followed by a time is no keyword."""
    assert calendar_error('Daily') == REASON.format('Daily', WEEKDAY)
    assert calendar_error('daily 02:00') == REASON.format('daily', WEEKDAY)
    assert calendar_error('semi-annually') is None


@pytest.mark.parametrize('text', ['daily UTC', 'mon..fri 02:30 UTC', 'dailyUTC'])
def test_calendar_utc_suffix(text):
    """parse_calendar_event_incomplete strips a trailing `UTC` (and the blanks before it); the collection used to
    refuse it."""
    assert calendar_error(text) is None
    assert calendar_error('UTC') == REASON.format('', NOTHING)


def test_calendar_number_limits_are_pve_bounds():
    """parse_date_spec: years below 2200 (not 1970..9999), months below 13, days below 32, and parse_time_comp
    checks only the upper bound, so month and day 0 parse."""
    assert calendar_error('1965/5-01-01') is None
    assert calendar_error('1969-01-01') is None
    assert calendar_error('2020-00-00 10:00') is None
    assert calendar_error('2200-01-01') == REASON.format('2200-01-01', NOTHING)
    assert calendar_error('99999999999') == REASON.format('99999999999', NOTHING)


def test_calendar_zero_repetition():
    """parse_date_time_comp keeps `N/0`; parse_date_time_comp_list reads `*/0` as `*` followed by an unparsed
    `/0`. The collection used to refuse both as "invalid repetition"."""
    assert calendar_error('*:0/0') is None
    assert calendar_error('5/0') is None
    assert calendar_error('*/0') == REASON.format('/0', LEFT_OVER)


def test_calendar_weekday_needs_no_blank():
    """parse_calendar_event_incomplete skips space0 after the weekdays: `mon10:00` is Monday 10:00."""
    assert calendar_error('mon10:00') is None
    assert calendar_error('02:30 mon') == REASON.format(' mon', LEFT_OVER)


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


def test_reserved_snapshot_names_are_the_ones_pve_refuses_for_the_guest_kind():
    """qemu-server API2/Qemu.pm and pve-container API2/LXC/Snapshot.pm snapshot: a VM refuses 'current' and
    'pending' in any case, a container 'current' and 'vzdump'; other spellings are names like any other."""
    qemu, lxc = SimpleNamespace(api='qemu'), SimpleNamespace(api='lxc')
    for name, kind in (('Current', qemu), ('Current', lxc), ('vzdump', qemu), ('pending', lxc), ('Vzdump', lxc),
                       ('pending', None), ('vzdump', None)):
        assert check_snapname('snapname', name, kind) == name
    for name, kind, word in (('current', qemu, 'current'), ('current', lxc, 'current'), ('Pending', qemu, 'pending'),
                             ('vzdump', lxc, 'vzdump')):
        with pytest.raises(ValidationError) as err:
            check_snapname('snapname', name, kind)
        assert "unable to use snapshot name '{0}' (reserved name)".format(word) in str(err.value)


def test_prune_options_both_spellings_and_stored_forms():
    prune = normalize_prune('prune_backups', {'keep_daily': 7, 'keep-last': '3'})
    assert prune == {'keep-daily': 7, 'keep-last': 3}
    assert prune_text(prune) == 'keep-last=3,keep-daily=7'
    assert stored_prune('keep-last=3,keep-daily=7') == prune
    assert stored_prune({'keep-last': 3, 'keep-daily': 7}) == prune
    with pytest.raises(ValidationError):
        normalize_prune('prune_backups', {'keep-last': 0})
