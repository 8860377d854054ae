"""plugins/module_utils/_bytecode.py: module_utils loaded from a zip, as AnsiballZ ships them, through the cache
of compiled code. Each case runs a fresh interpreter on a zip laid out as AnsiballZ lays it out, counting the
compile() calls for the probe module."""

import json
import os
import stat
import subprocess
import sys
import zipfile

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PACKAGE = 'ansible_collections/iac/proxmox/plugins/module_utils/'
PROBE = '''
VALUE = {value!r}


def fail():
    raise RuntimeError('probe')
'''
# Run in the child: count compiles of the probe, import it through _bytecode, report what happened.
CHILD = r'''
import builtins, json, sys, traceback
sys.path.insert(0, sys.argv[1])
compiles = []
real = builtins.compile
def counting(source, filename, *args, **kwargs):
    if str(filename).endswith('_probe.py'):
        compiles.append(str(filename))
    return real(source, filename, *args, **kwargs)
builtins.compile = counting
from ansible_collections.iac.proxmox.plugins.module_utils import _bytecode
from ansible_collections.iac.proxmox.plugins.module_utils import _probe
try:
    _probe.fail()
except RuntimeError as exc:
    where = traceback.extract_tb(exc.__traceback__)[-1].filename
print(json.dumps({'compiles': len(compiles), 'value': _probe.VALUE, 'file': _probe.__file__, 'where': where,
                  'loader': type(_probe.__loader__).__name__, 'dir': _bytecode.cache_dir(),
                  'meta_path': [getattr(f, '__name__', type(f).__name__) for f in sys.meta_path]}))
'''


def make_zip(path, value):
    """A zip as AnsiballZ builds one: empty package __init__ files, _bytecode.py and a _probe module."""
    with zipfile.ZipFile(str(path), 'w') as archive:
        parts = PACKAGE.rstrip('/').split('/')
        for depth in range(1, len(parts) + 1):
            archive.writestr('/'.join(parts[:depth]) + '/__init__.py', '')
        with open(os.path.join(ROOT, 'plugins', 'module_utils', '_bytecode.py')) as handle:
            archive.writestr(PACKAGE + '_bytecode.py', handle.read())
        archive.writestr(PACKAGE + '_probe.py', PROBE.format(value=value))
    return str(path)


def run(archive, cache, **extra):
    env = {key: val for key, val in os.environ.items() if not key.startswith(('IAC_', 'XDG_'))}
    if cache is not None:
        env['IAC_PROXMOX_BYTECODE_CACHE'] = str(cache)
    env.update(extra)
    proc = subprocess.run([sys.executable, '-c', CHILD, archive], env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True, check=False)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def cached_files(cache):
    tagged = [os.path.join(str(cache), entry) for entry in os.listdir(str(cache))] if cache.exists() else []
    return sorted(os.path.join(tag, name) for tag in tagged for name in os.listdir(tag))


@pytest.fixture
def cache(tmp_path):
    return tmp_path / 'cache'


def test_second_run_loads_the_compiled_code_and_compiles_nothing(tmp_path, cache):
    archive = make_zip(tmp_path / 'one.zip', 'v1')
    first = run(archive, cache)
    assert first['compiles'] == 1, 'compiled once, not twice as zipimport does'
    assert first['value'] == 'v1' and first['loader'] == 'CachingLoader'
    assert first['file'] == os.path.join(archive, PACKAGE + '_probe.py')
    # Just before the path finder: the finders before it (ansible-test's sanity importer puts one first) keep
    # their place.
    where = first['meta_path'].index('CachingFinder')
    assert where > 0 and first['meta_path'][where + 1] == 'PathFinder'
    files = cached_files(cache)
    assert [os.path.basename(f).split('-')[0] for f in files] == ['_probe']
    assert stat.S_IMODE(os.stat(files[0]).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(os.path.dirname(files[0])).st_mode) == 0o700
    second = run(archive, cache)
    assert second['compiles'] == 0 and second['value'] == 'v1'
    assert cached_files(cache) == files


def test_tracebacks_name_the_zip_of_this_run(tmp_path, cache):
    run(make_zip(tmp_path / 'one.zip', 'v1'), cache)
    other = make_zip(tmp_path / 'other.zip', 'v1')
    result = run(other, cache)
    assert result['compiles'] == 0
    assert result['where'] == os.path.join(other, PACKAGE + '_probe.py')


def test_changed_source_is_compiled_again_and_replaces_the_old_file(tmp_path, cache):
    run(make_zip(tmp_path / 'one.zip', 'v1'), cache)
    old = cached_files(cache)
    result = run(make_zip(tmp_path / 'two.zip', 'v2'), cache)
    assert result['compiles'] == 1 and result['value'] == 'v2'
    new = cached_files(cache)
    assert len(new) == 1 and new != old


@pytest.mark.parametrize('damage', [b'', b'not bytecode at all', None])
def test_damaged_file_is_compiled_again_and_rewritten(tmp_path, cache, damage):
    archive = make_zip(tmp_path / 'one.zip', 'v1')
    run(archive, cache)
    path = cached_files(cache)[0]
    with open(path, 'rb') as handle:
        data = handle.read()
    with open(path, 'wb') as handle:
        handle.write(data[:-7] if damage is None else damage)
    result = run(archive, cache)
    assert result['compiles'] == 1 and result['value'] == 'v1'
    assert run(archive, cache)['compiles'] == 0


def test_directory_others_may_write_to_is_not_used(tmp_path, cache):
    archive = make_zip(tmp_path / 'one.zip', 'v1')
    first = run(archive, cache)
    tagged = os.path.dirname(cached_files(cache)[0])
    os.chmod(tagged, 0o777)
    result = run(archive, cache)
    assert result['loader'] != 'CachingLoader' and result['value'] == 'v1'
    assert result['compiles'] >= 1 and first['dir'] == tagged


def test_symlinked_cache_file_is_not_read(tmp_path, cache):
    archive = make_zip(tmp_path / 'one.zip', 'v1')
    run(archive, cache)
    path = cached_files(cache)[0]
    elsewhere = str(tmp_path / 'elsewhere.bin')
    os.rename(path, elsewhere)
    os.symlink(elsewhere, path)
    assert run(archive, cache)['compiles'] == 1


@pytest.mark.parametrize('setting', ['off', 'relative/dir'])
def test_off_or_relative_setting_leaves_the_cache_out(tmp_path, monkeypatch, setting):
    archive = make_zip(tmp_path / 'one.zip', 'v1')
    monkeypatch.chdir(str(tmp_path))
    result = run(archive, setting)
    assert result['dir'] is None and result['loader'] != 'CachingLoader' and result['value'] == 'v1'
    assert not (tmp_path / 'relative').exists()


def test_default_directory_is_under_xdg_cache_home(tmp_path):
    archive = make_zip(tmp_path / 'one.zip', 'v1')
    result = run(archive, None, XDG_CACHE_HOME=str(tmp_path / 'xdg'))
    assert result['dir'] == str(tmp_path / 'xdg' / 'iac.proxmox' / sys.implementation.cache_tag)
    assert result['loader'] == 'CachingLoader'
    assert [os.path.basename(f).split('-')[0] for f in os.listdir(result['dir'])] == ['_probe']
