"""``python -m ccdsim``: the command line."""

import sys

from .cli import main

if __name__ == "__main__":  # importing the module (doctest collection, docs) runs nothing
    sys.exit(main())
