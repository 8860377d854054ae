"""PVE calendar events (format `pve-calendar-event`), parsed the way PVE's own parser does.

This is the lab's reference: it follows the sources, never the collection.

* pve-common src/PVE/CalendarEvent.pm (commit f665029e): the format `pve-calendar-event` is
  pve_verify_calendar_event, which calls parse_calendar_event: the text is trimmed (PVE::Tools::trim), an empty
  text dies with "unable to parse calendar event - event is empty", anything else goes to
  Proxmox::RS::CalendarEvent->new. A refusal dies with "invalid calendar event '<text as sent>' - <err>\\n".
* proxmox-perl-rs common/src/calendar_event.rs (commit ba8dad11) `new` is `event.parse()` of
  proxmox_time::CalendarEvent; perlmod (perlmod-rs perlmod-macro/src/function.rs, commit c1078ed2) turns the
  Rust error into `format!("{err:#}\\n")`, so <err> keeps its own newline: the field message of the 400 ends
  in two newlines.
* proxmox-rs proxmox-time (commit f3305009, nom 7): src/calendar_event.rs from_str is
  parse_complete_line("calendar event", ..., parse_calendar_event_incomplete); src/parse_helpers.rs
  parse_complete_line words a refusal "unable to parse calendar event at '<rest>' - <kind>" where <rest> and
  <kind> are the first entry of nom's VerboseError, printed with `{:?}`: `Context("weekday")`,
  `Context("date or time specification")` or, for text left over after a successful parse, `Nom(Eof)`
  (nom's all_consuming). Every error inside the date and time specs is swallowed by nom's `opt`, so those are
  the only three reasons the parser can give.

The functions below mirror the Rust parse functions one by one (same names, same order of attempts, same
limits: hour < 24, minute and second < 60, year < 2200, month < 13, day < 32, checked by parse_time_comp only
as an upper bound, so month 0 or day 0 parse). A parser takes the rest of the text and returns (rest, value),
or raises NomError carrying what nom's VerboseError would hold first.
"""

import re

from fakepve import formats

U32_MAX = 4294967295

# proxmox-time src/week_days.rs WeekDays: the bit of each day, Monday first.
MONDAY, SUNDAY = 0, 6
WEEKDAY_NAMES = (('monday', 'mon'), ('tuesday', 'tue'), ('wednesday', 'wed'), ('thursday', 'thu'),
                 ('friday', 'fri'), ('saturday', 'sat'), ('sunday', 'sun'))

# PVE::Tools::trim: s/^\s+//, s/\s+$// (ASCII whitespace; PVE's API values are plain text here).
PERL_TRIM = re.compile(r'^\s+|\s+$', re.ASCII)


class NomError(Exception):
    """nom::Err::Error(VerboseError): errors[0], the input where it stopped and the kind as `{:?}` prints it."""

    def __init__(self, at, kind):
        super().__init__(at, kind)
        self.at = at
        self.kind = kind


def parse_error(at, context):
    """proxmox-time src/parse_helpers.rs parse_error: a VerboseError holding one Context entry."""
    return NomError(at, 'Context("{0}")'.format(context))


# --------------------------------------------------------------------- nom's combinators, as nom 7 has them

def tag(text):
    def parser(i):
        if i.startswith(text):
            return i[len(text):], text
        raise NomError(i, 'Nom(Tag)')
    return parser


def opt(parser):
    """nom opt: an Error becomes None and the input is left as it was."""
    def wrapped(i):
        try:
            return parser(i)
        except NomError:
            return i, None
    return wrapped


def separated_list1(sep, element):
    """nom 7 separated_list1: the first element must parse; after that, a separator or an element that fails
    ends the list, and the rest is the text before that separator."""
    def parser(i):
        i, first = element(i)
        out = [first]
        while True:
            try:
                after_sep, _sep = sep(i)
            except NomError:
                return i, out
            if len(after_sep) == len(i):
                raise NomError(after_sep, 'Nom(SeparatedList)')
            try:
                i, value = element(after_sep)
            except NomError:
                return i, out
            out.append(value)
    return parser


def _run_of(i, accept):
    count = 0
    while count < len(i) and accept(i[count]):
        count += 1
    return count


def digit1(i):
    count = _run_of(i, lambda c: '0' <= c <= '9')
    if not count:
        raise NomError(i, 'Nom(Digit)')
    return i[count:], i[:count]


def alpha1(i):
    count = _run_of(i, lambda c: ('a' <= c <= 'z') or ('A' <= c <= 'Z'))
    if not count:
        raise NomError(i, 'Nom(Alpha)')
    return i[count:], i[:count]


def space0(i):
    return i[_run_of(i, lambda c: c in ' \t'):]


def all_consuming(parser):
    def wrapped(i):
        rest, value = parser(i)
        if rest:
            raise NomError(rest, 'Nom(Eof)')
        return rest, value
    return wrapped


# ------------------------------------------------------------------------ proxmox-time src/parse_helpers.rs

def parse_time_comp(maximum):
    """map_res(recognize(digit1), str::parse::<u32>), then "time value too large" at value >= max."""
    def parser(i):
        rest, digits = digit1(i)
        value = int(digits)
        if value > U32_MAX:
            raise NomError(i, 'Nom(MapRes)')
        if value >= maximum:
            raise parse_error(rest, 'time value too large')
        return rest, value
    return parser


def parse_complete_line(what, i, parser):
    """Returns the parsed value or raises ValueError with the words of the anyhow error."""
    try:
        return all_consuming(parser)(i)[1]
    except NomError as err:
        raise ValueError("unable to parse {0} at '{1}' - {2}".format(what, err.at, err.kind))


# --------------------------------------------------------------------------- proxmox-time src/week_days.rs

def parse_weekday(i):
    rest, text = alpha1(i)
    for day, names in enumerate(WEEKDAY_NAMES):
        if text.lower() in names:
            return rest, frozenset([day])
    raise parse_error(text, 'weekday')


def parse_weekdays_range(i):
    i, start = parse_weekday(i)
    try:
        after, _dots = tag('..')(i)
        after, end = parse_weekday(after)
    except NomError:
        return i, start
    first, last = min(start), min(end)
    if first > last:
        return after, frozenset(range(first, SUNDAY + 1)) | frozenset(range(MONDAY, last + 1))
    return after, frozenset(range(first, last + 1))


# ---------------------------------------------------------------------- proxmox-time src/calendar_event.rs
# A DateTimeValue (src/date_time_value.rs) is ('single', v), ('range', start, end) or
# ('repeated', start, repetition, end or None). An empty list means "every value".

def parse_date_time_comp(maximum):
    def parser(i):
        i, value = parse_time_comp(maximum)(i)
        try:
            after, _dots = tag('..')(i)
            after, end = parse_time_comp(maximum)(after)
        except NomError:
            end = None
        if end is not None:
            i = after
            if value > end:
                raise parse_error(i, 'range start is bigger than end')
            if i.startswith('/'):
                i, repeat = parse_time_comp(maximum)(i[1:])
                return i, ('repeated', value, repeat, end)
            return i, ('range', value, end)
        if i.startswith('/'):
            i, repeat = parse_time_comp(maximum)(i[1:])
            return i, ('repeated', value, repeat, None)
        return i, ('single', value)
    return parser


def parse_date_time_comp_list(start, maximum):
    """`*` (every value), `*/R` with R > 0 (from `start` every R; `*/0` leaves `/0` unparsed), or a comma
    list of values, ranges and repetitions."""
    def parser(i):
        if i.startswith('*'):
            rest = i[1:]
            if rest.startswith('/'):
                after, repeat = parse_time_comp(maximum)(rest[1:])
                if repeat > 0:
                    return after, [('repeated', start, repeat, None)]
            return rest, []
        return separated_list1(tag(','), parse_date_time_comp(maximum))(i)
    return parser


def parse_time_spec(i):
    """[HOURS:]MINUTES[:SECONDS]; the hour is optional, so a text whose hour part fails is tried as
    MINUTES:SECONDS (`25:00` is minute 25, second 0). Seconds default to 0."""
    try:
        after, hour = parse_date_time_comp_list(0, 24)(i)
        after, _colon = tag(':')(after)
        i = after
    except NomError:
        hour = []
    i, minute = parse_date_time_comp_list(0, 60)(i)
    second = [('single', 0)]
    try:
        after, _colon = tag(':')(i)
        i, second = parse_date_time_comp_list(0, 60)(after)
    except NomError:
        pass
    return i, {'hour': hour, 'minute': minute, 'second': second}


def parse_date_spec(i):
    """YEARS-MONTHS-DAYS, else MONTHS-DAYS, else "invalid date spec"."""
    try:
        rest, year = parse_date_time_comp_list(0, 2200)(i)
        rest, _dash = tag('-')(rest)
        rest, month = parse_date_time_comp_list(1, 13)(rest)
        rest, _dash = tag('-')(rest)
        rest, day = parse_date_time_comp_list(1, 32)(rest)
        return rest, {'year': year, 'month': month, 'day': day}
    except NomError:
        pass
    try:
        rest, month = parse_date_time_comp_list(1, 13)(i)
        rest, _dash = tag('-')(rest)
        rest, day = parse_date_time_comp_list(1, 32)(rest)
        return rest, {'year': [], 'month': month, 'day': day}
    except NomError:
        raise parse_error(i, 'invalid date spec')


MIDNIGHT = {'hour': [('single', 0)], 'minute': [('single', 0)], 'second': [('single', 0)]}
FIRST_OF_MONTH = dict(MIDNIGHT, day=[('single', 1)])
# The keyword shortcuts of parse_calendar_event_incomplete (matched case-sensitively, the whole text).
NAMED_EVENTS = {
    'minutely': {'second': [('single', 0)]},
    'hourly': {'minute': [('single', 0)], 'second': [('single', 0)]},
    'daily': MIDNIGHT,
    'weekly': dict(MIDNIGHT, days=frozenset([MONDAY])),
    'monthly': FIRST_OF_MONTH,
    'yearly': dict(FIRST_OF_MONTH, month=[('single', 1)]),
    'annually': dict(FIRST_OF_MONTH, month=[('single', 1)]),
    'quarterly': dict(FIRST_OF_MONTH, month=[('single', m) for m in (1, 4, 7, 10)]),
    'semiannually': dict(FIRST_OF_MONTH, month=[('single', 1), ('single', 7)]),
    'semi-annually': dict(FIRST_OF_MONTH, month=[('single', 1), ('single', 7)]),
}


def new_event(utc, **fields):
    event = {'utc': utc, 'days': frozenset(), 'second': [], 'minute': [], 'hour': [], 'day': [], 'month': [],
             'year': []}
    event.update(fields)
    return event


def parse_calendar_event_incomplete(i):
    utc = False
    if i.endswith('UTC'):
        utc = True
        i = i[:-3].rstrip(' ')
    event = new_event(utc)
    has_dayspec = has_datespec = has_timespec = False
    if i[:1].isascii() and i[:1].isalpha():
        if i in NAMED_EVENTS:
            return '', new_event(utc, **NAMED_EVENTS[i])
        # context("weekday range list", ...) adds its entry after the first one: the reason stays "weekday".
        i, ranges = separated_list1(tag(','), parse_weekdays_range)(i)
        has_dayspec = True
        i = space0(i)
        event['days'] = frozenset().union(*ranges)
    i, date = opt(parse_date_spec)(i)
    if date is not None:
        event.update(date)
        has_datespec = True
        i = space0(i)
    i, time = opt(parse_time_spec)(i)
    if time is not None:
        event.update(time)
        has_timespec = True
    else:
        event.update(MIDNIGHT)
    if not (has_dayspec or has_timespec or has_datespec):
        raise parse_error(i, 'date or time specification')
    return i, event


def parse_calendar_event(text):
    """pve-common PVE::CalendarEvent::parse_calendar_event: the event as proxmox-time parses it (a dict of
    its fields), or ValueError with the reason PVE gives (without perlmod's trailing newline)."""
    event = PERL_TRIM.sub('', str(text))
    if event == '':
        raise ValueError('unable to parse calendar event - event is empty')
    return parse_complete_line('calendar event', event, parse_calendar_event_incomplete)


def calendar_event_reason(text):
    """Why PVE refuses the calendar event (the Rust or Perl error, one line), or None."""
    try:
        parse_calendar_event(text)
    except ValueError as err:
        return str(err)
    return None


def check_calendar_event(text):
    """The format check of `pve-calendar-event` for fakepve's schema: PVE's die message without its last
    newline (fakepve adds that one), or None. The message keeps the newline perlmod put after the reason."""
    reason = calendar_event_reason(text)
    if reason is None:
        return None
    return "invalid calendar event '{0}' - {1}\n".format(text, reason)


def register_calendar_format():
    """PVE checks the format in the API schema (pve-common PVE/JSONSchema.pm check_prop: "invalid format - $@"),
    before the handler runs, for every parameter declared `format => 'pve-calendar-event'`."""
    formats.NAMED['pve-calendar-event'] = check_calendar_event
