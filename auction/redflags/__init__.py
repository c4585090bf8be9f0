"""Red flags: patterns in the ledger that inspectors and journalists look into (docs/red-flags.md)."""
