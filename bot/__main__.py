"""Allow ``python -m bot`` as a synonym for the ``chatprint`` command."""

from bot.cli import main

raise SystemExit(main())
