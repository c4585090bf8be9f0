"""Moved to tests.kit.world; this name stays for branches written before the kit."""

from tests.kit.world import PASSWORD, World, build_world, lot_terms

lot_payload = lot_terms

__all__ = ["PASSWORD", "World", "build_world", "lot_payload"]
