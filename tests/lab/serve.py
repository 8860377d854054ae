"""Start the PVE lab in the foreground: python tests/lab/serve.py --help."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from pvelab.__main__ import main  # noqa: E402

if __name__ == '__main__':
    sys.exit(main())
