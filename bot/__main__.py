"""`python -m bot`: the same as the `firebell` command."""

import sys

from bot.cli import main

sys.exit(main())
