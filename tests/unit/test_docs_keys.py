"""docs/keys.md is generated from the code (tests/tools/keys_md.py): rendered again here, it must match, and it
must name every key the specs manage."""

import importlib.util
import os

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def generator():
    spec = importlib.util.spec_from_file_location('keys_md', os.path.join(ROOT, 'tests', 'tools', 'keys_md.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_keys_md_is_up_to_date():
    with open(os.path.join(ROOT, 'docs', 'keys.md')) as fh:
        assert fh.read() == generator().render(), 'docs/keys.md is stale: run make keys'


def test_every_spec_key_has_a_row():
    keys_md = generator()
    text = keys_md.render()
    vmspec = keys_md.load('module_utils._vmspec')
    lxcspec = keys_md.load('module_utils._lxcspec')
    for spec in (vmspec.VmSpec, lxcspec.CtSpec):
        keys = list(spec.FIELDS) + [k for device in spec.DEVICES for k in device.keys()]
        for key in keys:
            assert '| `{0}` |'.format(key) in text, key
    for key in ('scsiN', 'efidisk0', 'tpmstate0', 'ipconfigN', 'cipassword', 'mpN', 'rootfs', 'hostpciN', 'virtiofsN',
                'map'):
        assert '| `{0}` |'.format(key) in text, key
