"""``python -m ccdsim``: the command line."""

import sys

from .cli import main

# Only when run as ``python -m ccdsim``: importing this module must not start anything.
if __name__ == "__main__":
    sys.exit(main())
