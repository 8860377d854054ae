# -*- coding: utf-8 -*-
# Copyright: iac.proxmox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PVE calendar events (backup job schedules), checked before any write. Private to the collection.

PVE's format `pve-calendar-event` (pve-common PVE/CalendarEvent.pm pve_verify_calendar_event) trims the text and
hands it to proxmox-time's parser (proxmox-rs proxmox-time/src/calendar_event.rs): one of the keywords
minutely, hourly, daily, weekly, monthly, yearly, annually, quarterly, semiannually, semi-annually (exactly, in
lower case), or `[WEEKDAYS] [[YEARS-]MONTHS-DAYS] [[HOURS:]MINUTES[:SECONDS]]`, optionally followed by `UTC`.
Each number field is `*`, `*/R`, or a comma list of `N`, `N..M`, `N/R`, `N..M/R`; a number must be below 24
(hours), 60 (minutes, seconds), 2200 (years), 13 (months), 32 (days). The parser never backtracks and drops a
part that does not parse: `mon 25:00` is minute 25 second 0 (the hour `25` is not one, so the text is read
as MINUTES:SECONDS), and is accepted.

PVE refuses anything else with "invalid calendar event '<text>' - unable to parse calendar event at '<rest>' -
<kind>", <kind> being nom's `Context("weekday")` (the first word is neither a keyword nor a weekday),
`Context("date or time specification")` (nothing parsed) or `Nom(Eof)` (text left after what parsed).
check_calendar_event gives that same message before the module writes anything.
"""

from __future__ import annotations

import re

from ._regex import regex

KEYWORDS = frozenset(('minutely', 'hourly', 'daily', 'weekly', 'monthly', 'yearly', 'annually', 'quarterly',
                      'semiannually', 'semi-annually'))
WEEKDAY_WORDS = frozenset(('mon', 'monday', 'tue', 'tuesday', 'wed', 'wednesday', 'thu', 'thursday', 'fri',
                           'friday', 'sat', 'saturday', 'sun', 'sunday'))
U32_MAX = 2 ** 32 - 1

WORD = regex(r'[A-Za-z]+')
# One list item: N, N..M, with a /R tail looked at separately.
ITEM = regex(r'([0-9]+)(?:\.\.([0-9]+))?')
DIGITS = regex(r'[0-9]+')
BLANKS = regex(r'[ \t]*')
PERL_SPACE = regex(r'^\s+|\s+$', re.ASCII)

HOUR, MINUTE, YEAR, MONTH, DAY = 24, 60, 2200, 13, 32


class _Refused(Exception):
    def __init__(self, rest, kind):
        super().__init__(rest, kind)
        self.reason = "unable to parse calendar event at '{0}' - {1}".format(rest, kind)


def _number(text, pos, limit):
    """End of a number below `limit` at pos, or None."""
    found = DIGITS.match(text, pos)
    if not found or int(found.group()) > U32_MAX or int(found.group()) >= limit:
        return None
    return found.end()


def _item_end(text, pos, limit):
    """End of one list item at pos, or None when it is not one."""
    found = ITEM.match(text, pos)
    if not found or _number(text, pos, limit) is None:
        return None
    end = found.end(1)
    if found.group(2) is not None and _number(text, found.start(2), limit) is not None:
        if int(found.group(1)) > int(found.group(2)):
            return None
        end = found.end(2)
    if text.startswith('/', end):
        return _number(text, end + 1, limit)
    return end


def _field_end(text, pos, limit):
    """End of a field (`*`, `*/R` or a comma list) at pos, or None."""
    if text.startswith('*', pos):
        if not text.startswith('/', pos + 1):
            return pos + 1
        end = _number(text, pos + 2, limit)
        if end is None:
            return None
        # `*/0` is `*` and an unparsed `/0`.
        return end if int(text[pos + 2:end]) > 0 else pos + 1
    end = _item_end(text, pos, limit)
    if end is None:
        return None
    while text.startswith(',', end):
        more = _item_end(text, end + 1, limit)
        if more is None:
            break
        end = more
    return end


def _fields_end(text, pos, limits):
    """End of fields separated by '-' with these limits, or None."""
    for index, limit in enumerate(limits):
        if index:
            if not text.startswith('-', pos):
                return None
            pos += 1
        pos = _field_end(text, pos, limit)
        if pos is None:
            return None
    return pos


def _date_end(text, pos):
    """YEARS-MONTHS-DAYS, else MONTHS-DAYS."""
    end = _fields_end(text, pos, (YEAR, MONTH, DAY))
    return end if end is not None else _fields_end(text, pos, (MONTH, DAY))


def _time_end(text, pos):
    """[HOURS:]MINUTES[:SECONDS]; an hour part that does not parse is not there."""
    hour = _field_end(text, pos, HOUR)
    if hour is not None and text.startswith(':', hour):
        pos = hour + 1
    end = _field_end(text, pos, MINUTE)
    if end is not None and text.startswith(':', end):
        second = _field_end(text, end + 1, MINUTE)
        end = second if second is not None else end
    return end


def _weekday_end(text, pos):
    word = WORD.match(text, pos)
    return word.end() if word and word.group().lower() in WEEKDAY_WORDS else None


def _weekdays_end(text):
    """End of the weekday list at the start of text; a first word that is no weekday is refused."""
    end = _weekday_end(text, 0)
    if end is None:
        raise _Refused(WORD.match(text).group(), 'Context("weekday")')
    while True:
        if text.startswith('..', end):
            end = _weekday_end(text, end + 2) or end
        if not text.startswith(',', end) or _weekday_end(text, end + 1) is None:
            return end
        end = _weekday_end(text, end + 1)


def _parse(event):
    if event.endswith('UTC'):
        event = event[:-3].rstrip(' ')
    pos, found = 0, False
    if WORD.match(event):
        if event in KEYWORDS:
            return
        pos, found = BLANKS.match(event, _weekdays_end(event)).end(), True
    date = _date_end(event, pos)
    if date is not None:
        pos, found = BLANKS.match(event, date).end(), True
    time = _time_end(event, pos)
    if time is not None:
        pos, found = time, True
    if not found:
        raise _Refused(event[pos:], 'Context("date or time specification")')
    if pos < len(event):
        raise _Refused(event[pos:], 'Nom(Eof)')


def calendar_error(text):
    """Why PVE refuses the calendar event (its words after "invalid calendar event '<text>' - "), or None."""
    event = PERL_SPACE.sub('', str(text))
    if not event:
        return 'unable to parse calendar event - event is empty'
    try:
        _parse(event)
    except _Refused as exc:
        return exc.reason
    return None


def check_calendar_event(text):
    """The message PVE's schema check gives for a calendar event it refuses, or None."""
    reason = calendar_error(text)
    if reason is None:
        return None
    return "invalid calendar event '{0}' - {1}".format(text, reason)
