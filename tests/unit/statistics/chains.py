"""Hand-made lot chains for the statistics' unit tests: ledger facts shaped as docs/ledger-entries.md defines them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from auction.opendata.release import LedgerFact


class Chain:
    """One lot's chain, written fact by fact with consecutive ledger indexes."""

    def __init__(self, lot: int, first_index: int = 0) -> None:
        self.lot = lot
        self.facts: list[LedgerFact] = []
        self.next_index = first_index

    def add(self, kind: str, at: str, **payload: Any) -> Chain:
        self.facts.append(
            LedgerFact(self.next_index, f"h{self.next_index}", None, self.lot, len(self.facts), kind, at, payload)
        )
        self.next_index += 1
        return self

    def published(
        self, at: str, *, municipality: int = 1, deal: str = "sale", starting_price: int = 100_000_00, **terms: Any
    ) -> Chain:
        return self.add(
            "lot.published",
            at,
            version=1,
            municipality=municipality,
            rules={},
            terms=lot_terms(deal=deal, starting_price=starting_price, **terms),
        )


def lot_terms(**terms: Any) -> Mapping[str, Any]:
    return {
        "deal": "sale",
        "kind": "land",
        "format": "open_ascending",
        "title_ky": "Жер тилкеси",
        "title_ru": "Земельный участок",
        "title_en": "Land plot",
        "starting_price": 100_000_00,
        **terms,
    }


def schedule(*lines: tuple[str, int]) -> list[dict[str, Any]]:
    return [{"number": n, "due_on": due_on, "amount": amount} for n, (due_on, amount) in enumerate(lines, start=1)]
