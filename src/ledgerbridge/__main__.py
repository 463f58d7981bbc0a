"""``python -m ledgerbridge``."""

from ledgerbridge.cli import main

main()
