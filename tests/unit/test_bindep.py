"""The two copies of the system packages the collection needs, bindep.txt and meta/bindep.txt, agree."""

import os

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_bindep_copies_agree():
    with open(os.path.join(ROOT, 'bindep.txt')) as root, open(os.path.join(ROOT, 'meta', 'bindep.txt')) as meta:
        assert root.read() == meta.read()
