"""``python -m derive``: the same command line as the ``derive`` script (derive/cli.py)."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main(process=True))
