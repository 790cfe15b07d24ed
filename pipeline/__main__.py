"""`python -m pipeline` is the `vnplans` command."""
import sys

from .cli import main

sys.exit(main())
