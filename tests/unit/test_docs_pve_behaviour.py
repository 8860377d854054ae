"""docs/pve-behaviour.md stays honest: the tests it names exist, no row is left `pending`, and every API
endpoint and config key the collection uses has a row.

Plain reading of files (no lab): the test names are found with `ast` in the named test files, the
endpoints and keys in plugins/ with `tokenize` and `ast`, so nothing here imports the collection.
"""

import ast
import io
import os
import re
import tokenize

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DOC = os.path.join(ROOT, 'docs', 'pve-behaviour.md')
PLUGINS = os.path.join(ROOT, 'plugins')

# Path-like string literals in plugins/ that are not PVE API endpoints. Keep this short and say why.
NOT_API_PATHS = {
    '/api2/json',  # the URL prefix every request gets (_client.py), not an endpoint
    '/etc',        # host paths in examples and checks of directory mappings
    '/srv',
    '/mnt',
    '/var',
}


def doc_text():
    with open(DOC) as fh:
        return fh.read()


def table_rows(text):
    """(line number, cells) of every table row with the five columns of the truth table."""
    rows = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.startswith('|') or line.startswith('|---'):
            continue
        # split on cell borders, not on `\|` inside a cell
        cells = [c.strip() for c in re.split(r'(?<!\\)\|', line.strip())[1:-1]]
        if len(cells) == 5 and cells[0] != 'endpoint or key':
            rows.append((number, cells))
    return rows


def test_every_table_line_parses():
    """A row with a stray `|` would be skipped by the checks below: every table line has the legend's two
    cells or the truth table's five."""
    widths = {}
    for number, line in enumerate(doc_text().splitlines(), 1):
        if line.startswith('|') and not line.startswith('|---'):
            widths[number] = len(re.split(r'(?<!\\)\|', line.strip())[1:-1])
    assert {n: w for n, w in widths.items() if w not in (2, 5)} == {}


# ------------------------------------------------------------------ a. named tests exist

REFERENCE = re.compile(r'(?P<path>(?<![\w/])(?:tests/(?:unit|lab|integration)/)?test_\w+\.py)?::(?P<name>test_[\w\[\]-]*)')


def named_tests(text):
    """(line, file, function) for every test the doc names.

    `tests/x/test_f.py::test_a`, the `::test_b` continuations after it in the same cell (file None when a
    cell starts with one), and bare `test_f.py::test_a` (looked up in tests/unit, tests/lab and tests/integration).
    Parametrized ids are cut at `[`.
    """
    refs = []
    for number, line in enumerate(text.splitlines(), 1):
        for cell in re.split(r'(?<!\\)\|', line):
            current = None
            for found in REFERENCE.finditer(cell):
                current = found.group('path') or current
                refs.append((number, current, found.group('name').split('[', 1)[0]))
    return refs


FUNCTIONS = {}


def functions_in(path):
    """The names of the test functions defined in a test file."""
    if path not in FUNCTIONS:
        with open(path) as fh:
            tree = ast.parse(fh.read(), path)
        functions = (node for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)))
        FUNCTIONS[path] = {node.name for node in functions if node.name.startswith('test_')}
    return FUNCTIONS[path]


def resolve(name):
    if name.startswith('tests/'):
        return [os.path.join(ROOT, name)]
    return [os.path.join(ROOT, 'tests', kind, name) for kind in ('unit', 'lab', 'integration')]


def missing_tests(text):
    missing = []
    for number, path, function in named_tests(text):
        if path is None:
            missing.append('line {0}: ::{1} continues no test file'.format(number, function))
            continue
        found = [p for p in resolve(path) if os.path.exists(p)]
        if not found:
            missing.append('line {0}: {1} does not exist'.format(number, path))
        elif not any(function in functions_in(p) for p in found):
            missing.append('line {0}: {1}::{2} is not a test in that file'.format(number, path, function))
    return missing


def test_every_named_test_exists():
    text = doc_text()
    assert len(named_tests(text)) > 100  # the extractor still finds the table's references
    assert missing_tests(text) == []


def test_the_reference_extractor_reads_continuations_and_bare_names():
    refs = named_tests('| a | b | c | `tests/lab/test_lab.py::test_x`; `::test_y` | `test_vm.py::test_z[1]` |')
    assert [(p, f) for _line, p, f in refs] == [
        ('tests/lab/test_lab.py', 'test_x'), ('tests/lab/test_lab.py', 'test_y'), ('test_vm.py', 'test_z')]


def test_a_renamed_test_is_caught():
    text = doc_text().replace('::test_hibernate_then_start_resumes', '::test_hibernate_then_start_resumez', 1)
    assert any('test_hibernate_then_start_resumez' in m for m in missing_tests(text))


# ------------------------------------------------------------------ b. nothing pending

PENDING = re.compile(r'(?:^|[;:(,])\s*pending\s*(?:$|[;),])')


def pending_cells(text):
    found = []
    for number, cells in table_rows(text):
        for column, cell in (('lab', cells[3]), ('collection', cells[4])):
            bare = re.sub(r'`[^`]*`', '``', cell)  # test names and quoted PVE texts do not count
            if PENDING.search(bare):
                found.append('line {0} ({1}): {2}'.format(number, column, cell))
    return found


def test_no_cell_is_pending():
    text = doc_text()
    assert len(table_rows(text)) > 100
    assert pending_cells(text) == []


def test_a_pending_cell_is_caught():
    assert pending_cells('| `x` | y | z | pending | `tests/unit/test_a.py::test_b` (clone: pending) |') != []


def test_the_summary_counts_the_tables_rows():
    text = doc_text()
    stated = re.search(r'The table has (\d+) rows', text)
    assert stated and int(stated.group(1)) == len(table_rows(text))


# ------------------------------------------------------------------ c. every endpoint has a row

PATH_LITERAL = re.compile(r'^/[A-Za-z0-9_{}./-]*$')
PLACEHOLDER = re.compile(r'\{[^}]*\}')


def plugin_files():
    for folder, _dirs, files in os.walk(PLUGINS):
        for name in sorted(files):
            if name.endswith('.py'):
                yield os.path.join(folder, name)


def string_literals(path):
    with open(path) as fh:
        source = fh.read()
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type != tokenize.STRING:
            continue
        try:
            value = ast.literal_eval(token.string)
        except (ValueError, SyntaxError):
            continue  # f-strings
        if isinstance(value, str):
            yield value


def api_paths():
    """Every path-like literal in plugins/, plus /cluster/mapping/<kind> for each MappingKind('<kind>', ...)."""
    paths = set()
    for path in plugin_files():
        for value in string_literals(path):
            if PATH_LITERAL.match(value):
                paths.add(value)
        with open(path) as fh:
            for kind in re.findall(r"MappingKind\(\s*'([a-z]+)'", fh.read()):
                paths.add('/cluster/mapping/' + kind)
    return paths


def segment_group(path):
    """The part of an endpoint that names it: the literal segments after the last placeholder
    ('/nodes/{0}/tasks/{1}/status' -> 'status', '/status/start' -> 'status/start'), or the last literal
    run when the path ends in a placeholder ('/nodes/{0}/{1}/{2}' -> 'nodes'). None for '/' and '//'."""
    runs, run = [], []
    for segment in path.strip('/').split('/'):
        if not segment:
            continue
        if PLACEHOLDER.search(segment):
            runs.append(run)
            run = []
        else:
            run.append(segment.rstrip('.'))
    runs.append(run)
    for run in reversed(runs):
        if run:
            return '/'.join(run)
    return None


def missing_endpoints(text):
    missing = []
    for path in sorted(api_paths()):
        if path in NOT_API_PATHS or any(path.startswith(p + '/') for p in NOT_API_PATHS):
            continue
        group = segment_group(path)
        if group and not re.search(r'/{0}(?![\w-])'.format(re.escape(group)), text):
            missing.append('{0} ({1})'.format(path, group))
    return missing


def test_the_endpoint_extractor_finds_what_the_collection_calls():
    groups = {segment_group(p) for p in api_paths()}
    for expected in ('status/start', 'cluster/resources', 'cluster/mapping/dir', 'cluster/mapping/pci', 'config',
                     'pending', 'resize', 'move_disk', 'clone', 'template', 'agent/network-get-interfaces',
                     'access/ticket', 'cluster/nextid', 'version', 'cluster/options', 'mdev', 'vzdump', 'status'):
        assert expected in groups


def test_every_endpoint_has_a_row():
    assert missing_endpoints(doc_text()) == []


def test_a_missing_endpoint_is_caught():
    text = doc_text().replace('/move_disk', '/move').replace('move_disk', 'move')
    assert any('move_disk' in m for m in missing_endpoints(text))


# ------------------------------------------------------------------ d. every config key has a row

SPEC_FILES = ('_vmspec.py', '_lxcspec.py', '_specbase.py')


def dict_keys(node):
    return [k.value for k in node.keys if isinstance(k, ast.Constant) and isinstance(k.value, str)]


def config_keys():
    """Keys the collection writes or compares: the FIELDS tables (and the mappings' `fields`), the slot
    patterns (`*_SLOT`), keys compared by name in the spec modules (`key == 'tags'`), device kinds
    (DeviceKind('hostpci', ...)) and mapping kinds' options."""
    keys = set()
    for path in plugin_files():
        with open(path) as fh:
            tree = ast.parse(fh.read(), path)
        spec = os.path.basename(path) in SPEC_FILES or os.path.basename(path).startswith('_dev_')
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict):
                names = [t.id for t in node.targets if isinstance(t, ast.Name)]
                if any(n.endswith('FIELDS') for n in names) or (
                        os.path.basename(path) == '_mapping.py' and 'fields' in names):
                    keys.update(dict_keys(node.value))
            if spec and isinstance(node, ast.Assign) and any(
                    isinstance(t, ast.Name) and t.id.endswith('_SLOT') for t in node.targets):
                pattern = node.value.args[0].value
                keys.update('{0}N'.format(p) for p in re.findall(r'[a-z]{2,}', pattern))
            if spec and isinstance(node, ast.Compare) and isinstance(node.left, ast.Name) and node.left.id == 'key':
                for right in node.comparators:
                    if isinstance(right, ast.Constant) and isinstance(right.value, str):
                        keys.add(right.value)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                if node.func.id == 'DeviceKind' and isinstance(node.args[0], ast.Constant):
                    keys.add('{0}N'.format(node.args[0].value))
                if node.func.id == 'MappingKind':
                    for kw in node.keywords:
                        if kw.arg == 'options' and isinstance(kw.value, ast.Dict):
                            keys.update(dict_keys(kw.value))
    return keys


def missing_keys(text):
    missing = []
    for key in sorted(config_keys()):
        stem = key[:-1] if key.endswith('N') else key
        # `key`, `keyN`, `key0`, or the word in the text (`ide/sata`); a module option compared by name
        # (`key == 'freeze_fs'`) is written with PVE's dashes (`freeze-fs`)
        spellings = {stem, stem.replace('_', '-')}
        if not any(re.search(r'(?<![\w-]){0}(?:N|\d+)?(?![\w-])'.format(re.escape(s)), text) for s in spellings):
            missing.append(key)
    return missing


def test_the_key_extractor_finds_fields_slots_and_devices():
    keys = config_keys()
    for expected in ('cores', 'memory', 'agent', 'description', 'nameserver', 'unprivileged', 'rootfs', 'tags',
                     'scsiN', 'virtioN', 'sataN', 'ideN', 'netN', 'ipconfigN', 'mpN', 'hostpciN', 'virtiofsN',
                     'live-migration-capable', 'map'):
        assert expected in keys


def test_every_config_key_has_a_row():
    assert missing_keys(doc_text()) == []


@pytest.mark.parametrize('key', ['swap', 'searchdomain'])
def test_a_missing_key_is_caught(key):
    text = re.sub(r'(?<![\w-]){0}(?![\w-])'.format(key), 'gone', doc_text())
    assert key in missing_keys(text)
