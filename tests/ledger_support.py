"""Moved to tests.kit.ledger; this name stays for branches written before the kit."""

from tests.kit.ledger import integrate, keys_of, lot_service, verifier

__all__ = ["integrate", "keys_of", "lot_service", "verifier"]
