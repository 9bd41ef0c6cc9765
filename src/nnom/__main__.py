"""python -m nnom: the `nnom` command."""
import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
