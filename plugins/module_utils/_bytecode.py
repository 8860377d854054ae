# -*- coding: utf-8 -*-
# Copyright: iac.proxmox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The compiled code of this collection's module_utils, kept between module runs. Private to the collection.

Ansible sends a module's module_utils as Python source inside the AnsiballZ zip, and Python never writes
bytecode for a zip: every run compiles them all again. CPython 3.11's zipimport even compiles each one twice
(its find_spec() asks its own get_filename(), which compiles, and exec_module() compiles again). For pve_vm that
is about 280 KB of source: some 80 ms of every task, more than its two API requests take.

Importing this module (each module's first import) puts a finder on `sys.meta_path`, just before the path
finder, for this collection's module_utils only. It loads a module from the same source in the same zip, but
keeps the compiled code in a cache directory: one file per module, named after the module and the SHA-256 of its
source, holding the interpreter's magic number, that digest and the marshalled code. A file is used only when
both match, so a changed source (another collection version) is compiled afresh and the module's older file
removed. Anything unexpected (no home directory, a read-only disk, a damaged file) falls back to compiling, as
before.

The directory is `<base>/<cache tag>` (e.g. `cpython-311`) on the host that runs the module (the controller,
or the host a task is delegated to). The base is `$IAC_PROXMOX_BYTECODE_CACHE` (an absolute path), else
`$XDG_CACHE_HOME/iac.proxmox`, else `~/.cache/iac.proxmox`; `IAC_PROXMOX_BYTECODE_CACHE=off` turns the cache
off. The directory is created with mode 0700 and used only while it belongs to the user running the module and
no one else may write to it; a cache file is read only when it is a regular file of that user, never through a
symlink. Code from the cache runs as that user, as Python runs bytecode from `__pycache__`.
"""
from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.util
import marshal
import os
import stat
import sys
import zipimport

PACKAGE = 'ansible_collections.iac.proxmox.plugins.module_utils.'
ENV = 'IAC_PROXMOX_BYTECODE_CACHE'
HEADER = importlib.util.MAGIC_NUMBER
DIGEST_SIZE = 32


def cache_dir(environ=None):
    """The cache directory (an absolute path, one per Python version), or None when the cache is off. Nothing
    is created here."""
    environ = os.environ if environ is None else environ
    tag = sys.implementation.cache_tag
    chosen = environ.get(ENV)
    if chosen is not None and chosen.strip().lower() in ('', 'off', '0', 'false', 'no'):
        return None
    if chosen is None:
        chosen = os.path.join(environ.get('XDG_CACHE_HOME') or os.path.join(os.path.expanduser('~'), '.cache'),
                              'iac.proxmox')
    if not tag or not os.path.isabs(chosen):
        return None
    return os.path.join(chosen, tag)


def private_dir(path):
    """`path` made (mode 0700) if missing; True when it is a real directory of this user that no one else may
    write to."""
    try:
        os.makedirs(path, mode=0o700, exist_ok=True)
        info = os.lstat(path)
    except OSError:
        return False
    return stat.S_ISDIR(info.st_mode) and info.st_uid == os.geteuid() and not info.st_mode & 0o022


def cache_file(directory, name, digest):
    return os.path.join(directory, '{0}-{1}.bin'.format(name[len(PACKAGE):], digest.hex()[:32]))


def read_code(path, digest):
    """The code object cached at `path` for a source with this SHA-256 `digest`, or None."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, 'O_NOFOLLOW', 0))
    except OSError:
        return None
    with os.fdopen(fd, 'rb') as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode) or info.st_uid != os.geteuid():
            return None
        data = handle.read()
    head = len(HEADER) + DIGEST_SIZE
    if data[:len(HEADER)] != HEADER or data[len(HEADER):head] != digest:
        return None
    try:
        return marshal.loads(data[head:])
    except (EOFError, ValueError, TypeError):
        return None


def write_code(directory, path, digest, code):
    """Store `code` at `path` (a temporary file renamed into place) and remove the module's older files."""
    prefix = os.path.basename(path).rsplit('-', 1)[0] + '-'
    temp = '{0}.{1}.tmp'.format(path, os.getpid())
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, 'wb') as handle:
            handle.write(HEADER + digest + marshal.dumps(code))
        os.replace(temp, path)
        for entry in os.listdir(directory):
            if entry.startswith(prefix) and entry.endswith('.bin') and entry != os.path.basename(path):
                os.unlink(os.path.join(directory, entry))
    except OSError:
        try:
            os.unlink(temp)
        except OSError:
            pass


class CachingLoader:
    """The loader zipimport found, with the compiled code kept in the cache directory."""

    def __init__(self, loader, origin, directory):
        self.loader = loader
        self.origin = origin
        self.directory = directory

    def __getattr__(self, attr):
        # get_source, get_filename, is_package, get_resource_reader: as the zip's own loader answers them.
        return getattr(self.loader, attr)

    def get_filename(self, name):  # pylint: disable=unused-argument
        # The spec's origin, not the zipimporter's get_filename(): that one compiles the module to answer.
        return self.origin

    def create_module(self, spec):  # pylint: disable=unused-argument
        return None

    def exec_module(self, module):
        exec(self.get_code(module.__name__), module.__dict__)  # pylint: disable=exec-used

    def get_code(self, name):
        source = self.loader.get_source(name)
        if source is None:
            return self.loader.get_code(name)
        digest = hashlib.sha256(source.encode('utf-8')).digest()
        path = cache_file(self.directory, name, digest)
        code = read_code(path, digest)
        if code is None:
            code = compile(source, self.origin, 'exec', dont_inherit=True)
            write_code(self.directory, path, digest, code)
        elif code.co_filename != self.origin:
            code = with_filename(code, self.origin)
        return code


def with_filename(code, filename):
    """`code` with its file name (and its nested functions' and classes') set to `filename`, so tracebacks
    name this run's zip."""
    consts = tuple(with_filename(const, filename) if isinstance(const, type(code)) else const
                   for const in code.co_consts)
    return code.replace(co_filename=filename, co_consts=consts)


class CachingFinder:
    """A meta path finder for this collection's module_utils in a zip; other names are left to the usual
    finders."""

    def __init__(self, directory):
        self.directory = directory

    def find_spec(self, name, path=None, target=None):  # pylint: disable=unused-argument
        if not name.startswith(PACKAGE) or not path:
            return None
        for entry in path:
            importer = sys.path_importer_cache.get(entry)
            if not isinstance(importer, zipimport.zipimporter):
                continue
            try:
                if importer.is_package(name):
                    return None
            except zipimport.ZipImportError:
                continue
            # Not zipimporter.find_spec(): it asks its own get_filename() for the origin, which compiles the
            # module, and exec_module() then compiles it a second time (CPython 3.11 zipimport).
            origin = os.path.join(importer.archive, importer.prefix, name.rpartition('.')[2] + '.py')
            spec = importlib.util.spec_from_loader(name, CachingLoader(importer, origin, self.directory),
                                                   origin=origin, is_package=False)
            spec.has_location = True
            return spec
        return None


def install(environ=None):
    """Put the finder on sys.meta_path just before the path finder, which would otherwise load these modules
    through zipimport (other finders keep their place and priority), once. False when the cache is off, its
    directory unusable, or there is no path finder to go before."""
    if any(isinstance(finder, CachingFinder) for finder in sys.meta_path):
        return True
    path_finder = importlib.machinery.PathFinder
    directory = cache_dir(environ)
    if path_finder not in sys.meta_path or directory is None or not private_dir(directory):
        return False
    sys.meta_path.insert(sys.meta_path.index(path_finder), CachingFinder(directory))
    return True


install()
