"""The lab's calendar events (format `pve-calendar-event`, the `schedule` of /cluster/backup) follow PVE's parser:
proxmox-rs proxmox-time src/calendar_event.rs (commit f3305009), wrapped by pve-common src/PVE/CalendarEvent.pm
pve_verify_calendar_event and checked by src/PVE/JSONSchema.pm check_prop before the API handler runs."""

import pytest

from labtools import error_of

from pvelab.calendar import calendar_event_reason, parse_calendar_event


def refusal(api, schedule):
    return error_of(api.post, '/cluster/backup', id='cal', schedule=schedule, all=1)


def test_refusal_is_pve_schema_message(lab, api):
    """pve-common src/PVE/JSONSchema.pm check_prop: "invalid format - $@"; src/PVE/CalendarEvent.pm
    pve_verify_calendar_event: "invalid calendar event '$text' - $err\\n", $err being the Rust error plus the
    newline perlmod (perlmod-macro src/function.rs, `format!("{err:#}\\n")`) adds; proxmox-time
    src/parse_helpers.rs parse_complete_line: "unable to parse calendar event at '<rest>' - <kind>". Nothing
    is stored."""
    err = refusal(api, 'every day')
    assert err.status == 400
    assert err.errors == {'schedule': "invalid format - invalid calendar event 'every day' - unable to parse "
                                      "calendar event at 'every' - Context(\"weekday\")\n\n"}
    assert api.get('/cluster/backup') == []


def test_update_checks_the_schedule_too(lab, api):
    """pve-manager PVE/API2/Backup.pm update_job declares `schedule` with format pve-calendar-event as
    create_job does: the schema refuses it before the job is looked at, and the job keeps its schedule."""
    api.post('/cluster/backup', id='cal', schedule='daily', all=1)
    err = error_of(api.put, '/cluster/backup/cal', schedule='mon..fri 2:60')
    assert err.errors == {'schedule': "invalid format - invalid calendar event 'mon..fri 2:60' - unable to parse "
                                      "calendar event at '2:60' - Nom(Eof)\n\n"}
    assert api.get('/cluster/backup/cal')['schedule'] == 'daily'


def test_empty_and_blank_events(lab, api):
    """pve-common src/PVE/CalendarEvent.pm parse_calendar_event trims the text (PVE::Tools::trim) and dies with
    "unable to parse calendar event - event is empty" before Rust sees it; the message quotes the text as
    sent. Leading and trailing blanks of an accepted event are trimmed away only for the parser."""
    err = refusal(api, '   ')
    assert err.errors == {'schedule': "invalid format - invalid calendar event '   ' - unable to parse calendar "
                                      "event - event is empty\n\n"}
    api.post('/cluster/backup', id='cal', schedule='  daily  ', all=1)


@pytest.mark.parametrize('text', [
    # proxmox-time src/test.rs test_compute_next_event and test_calendar_event_weekday
    '0', '*', '*:0', '*:*', '*:*:*', '*:3:5', 'mon *:*', 'mon 2:*', 'mon 2:50', 'tue', '4..10/2:0', '5,10:4,8',
    '6,4..10:23,5/5', '4..10,6:5/5,23', '5/2:0', '2020-07-31', '02-28', '02-29', '1965/5-01-01', '2020-7..9-2/2',
    '2020,2021-12-31', '2021-02-29', '02-30', 'mon,wed..fri', 'fri..mon', 'MON', 'monDay', 'Tuesday',
    'mon,tue..wednesday,fri..sat',
    # calendar_event.rs parse_calendar_event_incomplete: the keyword shortcuts, and the " UTC" suffix
    'minutely', 'hourly', 'daily', 'weekly', 'monthly', 'yearly', 'annually', 'quarterly', 'semiannually',
    'semi-annually', 'daily UTC', 'mon..fri 02:30 UTC',
])
def test_pve_accepts(lab, api, text):
    """proxmox-time src/calendar_event.rs: events of the crate's own tests (src/test.rs) and its keyword
    shortcuts parse; create_job stores them as sent."""
    api.post('/cluster/backup', id='cal', schedule=text, all=1)
    assert api.get('/cluster/backup/cal')['schedule'] == text


@pytest.mark.parametrize('text, reason', [
    # parse_calendar_event_incomplete: a text starting with a letter that is no keyword must be a weekday list
    ('every day', "at 'every' - Context(\"weekday\")"),
    ('Daily', "at 'Daily' - Context(\"weekday\")"),             # the keywords are case-sensitive
    ('daily 02:00', "at 'daily' - Context(\"weekday\")"),        # a keyword is the whole text or nothing
    ('mo 10:00', "at 'mo' - Context(\"weekday\")"),
    # nothing parsed at all: "date or time specification", at the whole text
    ('UTC', "at '' - Context(\"date or time specification\")"),
    ('23:60', "at '23:60' - Context(\"date or time specification\")"),
    ('60', "at '60' - Context(\"date or time specification\")"),
    ('10..4', "at '10..4' - Context(\"date or time specification\")"),      # range start is bigger than end
    ('2200-01-01', "at '2200-01-01' - Context(\"date or time specification\")"),   # years < 2200
    ('2020-13-01', "at '2020-13-01' - Context(\"date or time specification\")"),   # months < 13
    ('*/60', "at '*/60' - Context(\"date or time specification\")"),
    ('99999999999', "at '99999999999' - Context(\"date or time specification\")"),  # not a u32
    # something parsed, text left over: nom's all_consuming says Eof at the rest
    ('mon..fri 2:60', "at '2:60' - Nom(Eof)"),
    ('mon 23:60', "at '23:60' - Nom(Eof)"),
    ('mon 0:0:60', "at ':60' - Nom(Eof)"),
    ('mon 2020-13-01', "at '2020-13-01' - Nom(Eof)"),
    ('mon, tue', "at ', tue' - Nom(Eof)"),       # weekdays are separated by ',' alone
    ('mon,xyz', "at ',xyz' - Nom(Eof)"),
    ('mon..xyz', "at '..xyz' - Nom(Eof)"),
    ('*/0', "at '/0' - Nom(Eof)"),               # `*/0` is `*` followed by an unparsed `/0`
    ('*,5', "at ',5' - Nom(Eof)"),
    ('1 2', "at ' 2' - Nom(Eof)"),               # no blank is skipped after the time
    ('02:30 mon', "at ' mon' - Nom(Eof)"),       # the weekday comes first
])
def test_pve_refuses(lab, api, text, reason):
    """proxmox-time src/calendar_event.rs parse_calendar_event_incomplete, parse_time_spec, parse_date_spec,
    parse_date_time_comp(_list); src/week_days.rs parse_weekday; src/parse_helpers.rs parse_time_comp
    ("time value too large", swallowed by nom's opt) and parse_complete_line (the wording)."""
    err = refusal(api, text)
    assert err.errors == {'schedule': "invalid format - invalid calendar event '{0}' - unable to parse calendar "
                                      "event {1}\n\n".format(text, reason)}


@pytest.mark.parametrize('text', [
    'mon 25:00',         # hour 25 fails, the optional hour is dropped: minute 25, second 0, every hour
    '24:00',             # likewise minute 24, second 0
    '*/24:00',           # minute */24, second 0
    'mon10:00',          # space0 after the weekdays accepts no blank at all
    'dailyUTC',          # strip_suffix("UTC") needs no blank
    '0-0',               # month 0, day 0: parse_time_comp only checks the upper bound (never runs)
    '2020-00-00 10:00',
    '1969-01-01',        # any year below 2200
    '5/0',               # a repetition of 0 after a value is kept (DateTimeValue::Repeated(5, 0))
    'sat..tue 3:00',     # a weekday range wraps around the week
    'mon\t10:00',        # nom space0 skips tabs
])
def test_pve_accepts_corner_cases(lab, api, text):
    """proxmox-time src/calendar_event.rs parse_time_spec is tuple((opt(terminated(hours, ":")), minutes,
    opt(preceded(":", seconds)))): an hour that fails parse_time_comp(24) makes the text minutes:seconds;
    parse_date_spec takes years < 2200, months < 13, days < 32 with no lower bound; src/week_days.rs
    parse_weekdays_range wraps. PVE accepts these; a stricter check would refuse what PVE takes."""
    api.post('/cluster/backup', id='cal', schedule=text, all=1)
    assert api.get('/cluster/backup/cal')['schedule'] == text


def test_what_the_parser_makes_of_corner_cases():
    """proxmox-time src/calendar_event.rs: the fields the events above parse into (an empty list: every
    value), as compute_next_event then uses them."""
    event = parse_calendar_event('mon 25:00')
    assert (event['days'], event['hour'], event['minute'], event['second']) == \
        (frozenset([0]), [], [('single', 25)], [('single', 0)])
    event = parse_calendar_event('sat..tue 3:00 UTC')
    assert event['utc'] and event['days'] == frozenset([5, 6, 0, 1]) and event['hour'] == [('single', 3)]
    event = parse_calendar_event('2020-7..9-2/2')
    assert (event['year'], event['month'], event['day']) == \
        ([('single', 2020)], [('range', 7, 9)], [('repeated', 2, 2, None)])
    assert parse_calendar_event('*/15')['minute'] == [('repeated', 0, 15, None)]
    assert parse_calendar_event('weekly')['days'] == frozenset([0])
    assert calendar_event_reason('quarterly') is None


def test_collection_check_agrees_with_the_lab():
    """The collection's pre-write check (plugins/module_utils/_calendar.py, a regex scanner) accepts and refuses
    what the lab's mirror of proxmox-time src/calendar_event.rs does, with the same reason, on texts built from
    the grammar's pieces (a fixed seed, so every run checks the same texts)."""
    import random
    from ansible_collections.iac.proxmox.plugins.module_utils._calendar import calendar_error

    pieces = ['mon', 'Fri', 'sunday', 'xyz', 'daily', 'UTC', ' ', '  ', '\t', ',', '..', '/', '*', '-', ':', '0',
              '5', '23', '24', '25', '59', '60', '12', '13', '31', '32', '2020', '2200', '00', '99999999999', 'a']
    rnd = random.Random(17)
    texts = [''.join(rnd.choice(pieces) for _i in range(rnd.randint(1, 7))) for _n in range(20000)]
    differ = [(t, calendar_event_reason(t), calendar_error(t)) for t in texts
              if calendar_event_reason(t) != calendar_error(t)]
    assert differ == []
    assert sum(1 for t in texts if calendar_event_reason(t) is None) > 1000
