"""Parts shared by the emulators: virtual clock, call ledger, faults, limits, OAuth, storage."""
