# -*- coding: utf-8 -*-
# Copyright: iac.proxmox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Regular expressions compiled when first used. Private to the collection: not a public API.

Every module run imports all the module_utils its module needs, and each file's patterns used to be compiled
at import: pve_vm's 54, about 4 ms of every task, though a run uses only a few of them. A pattern made by
`regex()` is compiled by `re.compile` the first time one of its attributes is used (`match`, `fullmatch`,
`search`, `sub`, `pattern`, ...), and that compiled pattern is kept. Pass `.compiled` where the `re` module's
functions expect a pattern object.
"""

from __future__ import annotations

import re


class Regex:
    """A `re.Pattern` made on first use; any attribute is the compiled pattern's."""

    __slots__ = ('_source', '_flags', '_compiled')

    def __init__(self, source, flags=0):
        self._source = source
        self._flags = flags
        self._compiled = None

    @property
    def compiled(self):
        """The `re.Pattern` (compiled now if this is its first use); `re.error` for an invalid pattern."""
        if self._compiled is None:
            self._compiled = re.compile(self._source, self._flags)
        return self._compiled

    def __getattr__(self, name):
        # Only for attributes this object lacks. Dunder and own names are not the pattern's, so a copy made
        # through __reduce_ex__ (copy.copy, deepcopy) is built without compiling or recursing.
        if name.startswith('__') or name in Regex.__slots__:
            raise AttributeError(name)
        return getattr(self.compiled, name)

    def __repr__(self):
        return 'regex({0!r}, {1!r})'.format(self._source, self._flags)


def regex(source, flags=0):
    """`re.compile(source, flags)`, done when the pattern is first used."""
    return Regex(source, flags)
