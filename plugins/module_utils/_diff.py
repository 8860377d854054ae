# -*- coding: utf-8 -*-
# Copyright: iac.proxmox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Desired vs current: what to write, and the before/after for diff mode. Private to the collection.

A module describes each key it manages with a `Field`: how to normalize a value so that equal things
compare equal (PVE sends numbers as strings, booleans as 1/0, sizes as '32G', tag lists in its own
order), and how to compare (strict, create-time-only; volumes that only grow are _specbase.plan_grow).
`compare` then yields a `Delta`: the keys to set (with the exact values to send), the keys to delete, and
before/after dicts with secrets masked. Keys the play does not mention are never touched.
"""

from __future__ import annotations

import re

from ._regex import regex

STRICT = 'strict'
CREATE_ONLY = 'create_only'
MASK = '********'
MASK_CHANGED = '******** (changed)'


class Absent(object):
    """The desired value of a key that must not be there (`state: absent`, `tpm: false`)."""

    def __repr__(self):
        return 'ABSENT'


ABSENT = Absent()


class DiffError(ValueError):
    """A desired value cannot be reached from the current one (shrinking a disk, changing a create-time
    option); raised before anything is written."""

    def __init__(self, key, message):
        super().__init__(message)
        self.key = key
        self.message = message


# ------------------------------------------------------------------ normalizers

TRUE_WORDS = ('1', 'true', 'yes', 'on')
FALSE_WORDS = ('0', 'false', 'no', 'off')


def as_bool(value):
    """True/False, 1/0, '1'/'0', 'yes'/'no', 'on'/'off' -> 1 or 0."""
    if isinstance(value, bool):
        return int(value)
    text = str(value).strip().lower()
    if text in TRUE_WORDS:
        return 1
    if text in FALSE_WORDS:
        return 0
    raise ValueError('not a boolean: {0!r}'.format(value))


def as_int(value):
    """2048, '2048', 2048.0 -> 2048."""
    if isinstance(value, bool):
        raise ValueError('not an integer: {0!r}'.format(value))
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError('not an integer: {0!r}'.format(value))
        return int(value)
    return int(str(value).strip())


def as_number(value):
    """'1.50', 1.5 -> 1.5; integral values compare equal to ints."""
    number = float(str(value).strip())
    return int(number) if number.is_integer() else number


def as_str(value):
    return '' if value is None else str(value)


def as_text(value):
    """Free text as PVE keeps it: trailing white space and line-ending differences do not count."""
    return '\n'.join(line.rstrip() for line in str(value).replace('\r\n', '\n').split('\n')).rstrip()


def comment_text(kind):
    """A normalizer for a guest's `description` as PVE reads it back (None: PVE keeps no description).

    PVE writes the text as `#` comment lines (Perl split on newlines drops trailing empty lines; each line goes
    through PVE::Tools::encode_text and comes back through decode_text unchanged, so `%20`, `:`, non-ASCII and
    inner blank lines stay) and writes nothing for '' or '0'. Reading back, a VM's text has its trailing white
    space stripped (qemu-server QemuServer.pm parse_vm_config); a container's keeps a newline after every line
    (pve-container LXC/Config.pm parse_pct_config). kind: 'qemu' or 'lxc'.
    """
    def normalize(value):
        text = str(value)
        lines = text.split('\n')
        while lines and lines[-1] == '':
            lines.pop()
        if text in ('', '0') or not lines:
            return None
        out = ''.join(line + '\n' for line in lines)
        return re.sub(r'\s+$', '', out) if kind == 'qemu' else out
    return normalize


TAG_SPLIT = regex(r'[;,\s]+')


def as_set(value):
    """An order-free collection of strings ('a;b' or a list)."""
    if isinstance(value, (list, tuple, set, frozenset)):
        return frozenset(str(v) for v in value)
    return frozenset(v for v in str(value or '').split(';') if v)


def as_tags(value):
    """PVE tags as a set: 'web;DB' == ['db', 'web'] (PVE keeps them lower-cased and sorted)."""
    if isinstance(value, (list, tuple, set, frozenset)):
        items = value
    else:
        items = TAG_SPLIT.split(str(value or ''))
    return frozenset(str(item).strip().lower() for item in items if str(item).strip())


def format_tags(tags):
    return ';'.join(sorted(as_tags(tags)))


AS_STORED = 'as stored'


def tag_list(value):
    """Tags as PVE::Tools::split_list cuts them: a list in the given order."""
    if isinstance(value, (list, tuple)):
        items = value
    else:
        items = TAG_SPLIT.split(str(value or ''))
    return [str(item).strip() for item in items if str(item).strip()]


def unique_tags(value, style):
    """The tags PVE stores for `value`, as a tuple (pve-guest-common GuestHelpers.pm get_unique_tags).

    style: the datacenter's `tag-style` ({'case-sensitive': 0|1, 'ordering': 'alphabetical'|'config'}, from
    GET /cluster/options): lower-cased unless case-sensitive, sorted unless ordering is 'config', duplicates
    dropped. style AS_STORED (not read because the play's tags read the same under every style, see
    tags_need_style): the tags as they are, so the play's tags compare with what PVE stored. style None: PVE's
    default style."""
    items = tag_list(value)
    if style is AS_STORED:
        return tuple(items)
    style = style or {}
    case_sensitive = as_bool(style.get('case-sensitive') or 0)
    if style.get('ordering') != 'config':
        items = sorted(items, key=(lambda t: t) if case_sensitive else (lambda t: t.lower()))
    seen, out = set(), []
    for tag in items:
        tag = tag if case_sensitive else tag.lower()
        if tag not in seen:
            seen.add(tag)
            out.append(tag)
    return tuple(out)


def tags_need_style(value):
    """False when every tag-style stores these tags the same way (all lower case, sorted, no duplicates), so
    the datacenter's tag-style need not be read."""
    items = tag_list(value)
    return any(t != t.lower() for t in items) or any(a >= b for a, b in zip(items, items[1:]))


def tags_field(style):
    """The Field for `tags` under a datacenter tag-style (None: the play's tags need none, see tags_need_style).
    Before and after show the tags as PVE stores them."""
    return Field(lambda v: unique_tags(v, style), render=lambda v: ';'.join(unique_tags(v, style)))


def props_normalizer(fmt, subkeys=None, defaults=None, ignore=()):
    """A normalizer for a property-string value: parse it and normalize each key it holds.

    subkeys maps a key to its normalizer; unknown keys compare as strings. A key whose normalized value is
    its PVE default (defaults, normalized the same way) counts as absent, so `backup=1` equals no `backup`
    key. Keys in `ignore` (such as a disk's informational `size`) are left out of the comparison.
    """
    subkeys = dict(subkeys or {})
    defaults = dict(defaults or {})

    def normalize(value):
        data = value if isinstance(value, dict) else fmt.parse(value)
        out = {}
        for key, item in data.items():
            if item is None or key in ignore:
                continue
            norm = subkeys.get(key, as_str)
            item = norm(item)
            if key in defaults and item == norm(defaults[key]):
                continue
            out[key] = item
        return out
    return normalize


def list_normalizer(item_normalizer, key=None):
    """An order-free list of items (e.g. a mapping's `map` entries): a frozenset of normalized items.

    With `key`, items are dicts and compared as {key value: item}.
    """
    def normalize(value):
        items = value if isinstance(value, (list, tuple)) else [value]
        normalized = [item_normalizer(item) for item in items]
        if key is None:
            return frozenset(_freeze(n) for n in normalized)
        return dict((n.get(key), _freeze(n)) for n in normalized)
    return normalize


def _freeze(value):
    if isinstance(value, dict):
        return tuple(sorted((k, _freeze(v)) for k, v in value.items()))
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    return value


# ------------------------------------------------------------------ fields and comparison

class Field(object):
    """How one key is compared.

    normalize: maps a value (desired or current) to something comparable.
    mode: STRICT (differs -> write), CREATE_ONLY (can only be set when the resource is created; a difference
      later is a DiffError).
    secret: the value is never shown (before/after show a mask).
    render: turns the desired value into what is sent (default: the value as given).
    default: the value PVE uses when the key is absent, so `onboot: false` equals no `onboot` key.
    """

    def __init__(self, normalize=as_str, mode=STRICT, secret=False, render=None, default=None):
        self.normalize = normalize
        self.mode = mode
        self.secret = secret
        self.render = render
        self.default = default

    def norm(self, value):
        if value is None or value is ABSENT:
            value = self.default
        if value is None:
            return None
        return self.normalize(value)


class Delta(object):
    """The result of a comparison: keys to set and delete, and before/after for diff mode."""

    def __init__(self):
        self.set = {}
        self.delete = []
        self.before = {}
        self.after = {}
        self.changed_keys = []

    @property
    def changed(self):
        return bool(self.set or self.delete)

    def params(self):
        """The parameters of the write request: the keys to set, plus `delete` as PVE takes it."""
        out = dict(self.set)
        if self.delete:
            out['delete'] = ','.join(self.delete)
        return out


def _shown(field, value, changed):
    """A value as diff mode shows it: masked if secret; else in the key's own type on both sides (PVE sends
    `memory: "2048"` where the play says 4096, booleans as 1/0): the normalized value when it is a number, a
    string or an ordered list, else the value as it is (property strings stay strings)."""
    if value is None or value is ABSENT:
        return None
    if field.secret:
        return MASK_CHANGED if changed else MASK
    try:
        normal = field.norm(value)
    except (TypeError, ValueError):
        normal = None
    if isinstance(normal, (bool, int, float, str)):
        return normal
    if isinstance(normal, tuple) and all(isinstance(item, str) for item in normal):
        return list(normal)
    if isinstance(value, (frozenset, set)):
        return sorted(value)
    return value


def compare(desired, current, fields, creating=False):
    """Compare desired (key -> value, ABSENT, or None for "not managed") with current (PVE's values).

    Returns a Delta. Raises DiffError when a CREATE_ONLY key would change.
    """
    delta = Delta()
    current = current or {}
    for key in sorted(desired):
        want = desired[key]
        if want is None:
            continue
        field = fields.get(key) or Field()
        have = current.get(key)
        if want is ABSENT:
            changed = have is not None
            if changed:
                delta.delete.append(key)
                delta.changed_keys.append(key)
            if changed or key in current:
                delta.before[key] = _shown(field, have, changed)
            continue
        try:
            want_n = field.norm(want)
        except (TypeError, ValueError) as exc:
            raise DiffError(key, '{0}: {1}'.format(key, exc))
        try:
            have_n = field.norm(have)
        except (TypeError, ValueError):
            have_n = have  # an unparseable current value differs from any valid desired one
        # A create-time value belongs in the create request even when it equals PVE's default for the key.
        changed = want_n != have_n or (creating and field.mode == CREATE_ONLY and have is None)
        if changed and not creating and field.mode == CREATE_ONLY:
            # PVE refuses to write such a key to an existing guest (a read-only option), whether the config
            # holds it or its absence means the default: an existing value is never rewritten.
            current_value = have if have is not None else field.default
            raise DiffError(key, '{0} can only be set when the resource is created (current: {1}, '
                                 'desired: {2})'.format(key, _shown(field, current_value, False),
                                                        _shown(field, want, False)))
        if changed:
            delta.set[key] = field.render(want) if field.render else want
            delta.changed_keys.append(key)
        delta.before[key] = _shown(field, have, changed)
        # An unchanged key shows as it is on both sides, so a diff lists only what changes.
        delta.after[key] = _shown(field, want if changed else have, changed)
    return delta
