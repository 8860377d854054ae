"""PVE calendar events (format `pve-calendar-event`), as the lab checks them.

pve-common src/PVE/CalendarEvent.pm pve_verify_calendar_event wraps the parser of proxmox-time
(Proxmox::RS::CalendarEvent, a subset of systemd.time(7)): `[WEEKDAY] [[YEARS-]MONTHS-DAYS]
[HOURS:MINUTES[:SECONDS]]` or one of the names minutely, hourly, daily, weekly, monthly, yearly, annually,
quarterly, semiannually; each field a list of values, `a..b` ranges and `a/b` repetitions or `*`. A text the
parser refuses fails the request with "invalid calendar event '<text>' - <reason>".
"""

import re

NAMES = ('minutely', 'hourly', 'daily', 'weekly', 'monthly', 'yearly', 'annually', 'quarterly', 'semiannually',
         'semi-annually')
WEEKDAYS = {'mon': 0, 'monday': 0, 'tue': 1, 'tuesday': 1, 'wed': 2, 'wednesday': 2, 'thu': 3, 'thursday': 3,
            'fri': 4, 'friday': 4, 'sat': 5, 'saturday': 5, 'sun': 6, 'sunday': 6}
NUMBER = re.compile(r'^\d+$')


def _values(text, low, high, what):
    """One field: '*', or a comma list of N, N..M, N/R, N..M/R, */R."""
    for item in text.split(','):
        if item == '':
            raise ValueError('empty {0} value'.format(what))
        base, _sep, repeat = item.partition('/')
        if repeat and not (NUMBER.match(repeat) and int(repeat) > 0):
            raise ValueError("invalid repetition '{0}' in {1}".format(repeat, what))
        if base == '*':
            if not repeat and item != '*':
                raise ValueError("invalid {0} '{1}'".format(what, item))
            continue
        bounds = base.split('..')
        if len(bounds) > 2:
            raise ValueError("invalid {0} range '{1}'".format(what, base))
        for bound in bounds:
            if not NUMBER.match(bound):
                raise ValueError("invalid {0} '{1}'".format(what, bound))
            if not low <= int(bound) <= high:
                raise ValueError('{0} {1} out of range ({2}..{3})'.format(what, bound, low, high))
        if len(bounds) == 2 and int(bounds[0]) > int(bounds[1]):
            raise ValueError("invalid {0} range '{1}'".format(what, base))


def _weekdays(text):
    for item in text.split(','):
        for bound in item.split('..'):
            if bound.lower() not in WEEKDAYS:
                raise ValueError("invalid weekday '{0}'".format(bound))
        if len(item.split('..')) > 2:
            raise ValueError("invalid weekday range '{0}'".format(item))


def calendar_error(text):
    """Why proxmox-time refuses the calendar event, or None when it parses."""
    spec = str(text).strip()
    if not spec:
        return 'empty calendar event'
    if spec.lower() in NAMES:
        return None
    parts = spec.split()
    try:
        if parts and parts[0].split(',')[0].split('..')[0].lower() in WEEKDAYS:
            _weekdays(parts.pop(0))
        if parts and '-' in parts[0] and ':' not in parts[0]:
            fields = parts.pop(0).split('-')
            if len(fields) not in (2, 3):
                raise ValueError("invalid date '{0}'".format('-'.join(fields)))
            limits = [(1970, 9999, 'year'), (1, 12, 'month'), (1, 31, 'day')][3 - len(fields):]
            for field, (low, high, what) in zip(fields, limits):
                _values(field, low, high, what)
        if parts and ':' in parts[0]:
            fields = parts.pop(0).split(':')
            if len(fields) not in (2, 3):
                raise ValueError("invalid time '{0}'".format(':'.join(fields)))
            for field, (low, high, what) in zip(fields, [(0, 23, 'hour'), (0, 59, 'minute'), (0, 59, 'second')]):
                _values(field, low, high, what)
        if parts:
            raise ValueError("unexpected '{0}'".format(' '.join(parts)))
    except ValueError as exc:
        return str(exc)
    return None


def check_calendar_event(text):
    """The message PVE's schema check gives for a calendar event it refuses, or None."""
    reason = calendar_error(text)
    if reason is None:
        return None
    return "invalid calendar event '{0}' - {1}".format(text, reason)
