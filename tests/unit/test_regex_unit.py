"""plugins/module_utils/_regex.py: patterns compiled on first use, and no module_utils file compiling one at
import (a module run imports them all and used to spend about 4 ms of every task compiling patterns it mostly
never used)."""

import copy
import importlib
import os
import re

import pytest

from ansible_collections.iac.proxmox.plugins.module_utils._regex import Regex, regex

MODULE_UTILS = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                            'plugins', 'module_utils')


def test_a_pattern_is_compiled_when_first_used_and_then_kept():
    slot = regex(r'^net(\d+)$')
    assert slot._compiled is None  # pylint: disable=protected-access
    assert slot.match('net3').group(1) == '3'
    first = slot.compiled
    assert isinstance(first, re.Pattern) and first.pattern == r'^net(\d+)$'
    assert slot.fullmatch('net12') and not slot.search('eth0')
    assert slot.compiled is first
    assert slot.pattern == r'^net(\d+)$' and slot.sub(r'n\1', 'net4') == 'n4'


def test_flags_are_kept_and_the_compiled_pattern_serves_the_re_functions():
    iso = regex(r'[^/]+\.(?:iso|img)$', re.I)
    assert iso.match('DEBIAN.ISO') and iso.flags & re.I
    assert re.findall(iso.compiled, 'a.iso') == ['a.iso']


def test_an_invalid_pattern_fails_at_first_use_with_re_error():
    broken = regex(r'(unclosed')
    with pytest.raises(re.error):
        broken.match('x')


def test_copies_are_patterns_that_still_match():
    slot = regex(r'^scsi\d+$')
    for made in (copy.copy(slot), copy.deepcopy(slot), copy.deepcopy({'slot': slot})['slot']):
        assert made.match('scsi0') and not made.match('ide0')
    fresh = copy.copy(regex(r'^a$'))
    assert fresh.match('a')
    assert repr(regex(r'^a$', re.I)) == "regex('^a$', {0!r})".format(re.I)


OURS = 'ansible_collections.iac.proxmox.'


def patterns_in(value, depth=0):
    """Every re.Pattern held in `value`: in dicts, lists, tuples and sets, in the collection's own classes and
    in their instances (device specs and the like), three levels down."""
    if isinstance(value, re.Pattern):
        return [value]
    if depth > 3 or isinstance(value, (str, bytes, Regex)):
        return []
    if isinstance(value, dict):
        items = list(value.values())
    elif isinstance(value, (list, tuple, set, frozenset)):
        items = list(value)
    elif isinstance(value, type):
        items = list(vars(value).values()) if value.__module__.startswith(OURS) else []
    elif type(value).__module__.startswith(OURS) and hasattr(value, '__dict__'):
        items = list(vars(value).values())
    else:
        items = []
    return [found for item in items for found in patterns_in(item, depth + 1)]


def test_no_module_utils_file_compiles_a_pattern_at_import():
    names = sorted(name[:-3] for name in os.listdir(MODULE_UTILS) if name.endswith('.py') and name != '__init__.py')
    assert len(names) > 40
    eager = {}
    lazy = 0
    for name in names:
        module = importlib.import_module('ansible_collections.iac.proxmox.plugins.module_utils.' + name)
        for attr, value in vars(module).items():
            found = patterns_in(value)
            if found:
                eager['{0}.{1}'.format(name, attr)] = [p.pattern for p in found]
            lazy += isinstance(value, Regex)
    assert not eager, 'compiled at import; use _regex.regex() instead of re.compile(): {0}'.format(eager)
    assert lazy > 40
