"""Every legal and every illegal lot transition, as pure rules."""

from __future__ import annotations

import itertools

import pytest

from auction.errors import Conflict
from auction.lots.models import LotState
from auction.lots.rules import TRANSITIONS, can_amend, ensure_transition

LEGAL = {
    (LotState.DRAFT, LotState.PUBLISHED),
    (LotState.DRAFT, LotState.CANCELLED),
    (LotState.PUBLISHED, LotState.BIDDING),
    (LotState.PUBLISHED, LotState.CANCELLED),
    (LotState.BIDDING, LotState.CLOSED),
    (LotState.BIDDING, LotState.CANCELLED),
    (LotState.CLOSED, LotState.AWARDED),
    (LotState.CLOSED, LotState.FAILED),
    (LotState.CLOSED, LotState.CANCELLED),
    # An award that lapses leaves the lot failed, so that it can be relisted (issue 11).
    (LotState.AWARDED, LotState.FAILED),
}
ALL_PAIRS = list(itertools.product(LotState, LotState))


def test_the_table_is_exactly_the_documented_machine() -> None:
    assert {(a, b) for a, targets in TRANSITIONS.items() for b in targets} == LEGAL


@pytest.mark.parametrize(("current", "target"), sorted(LEGAL))
def test_legal_transition_passes(current: LotState, target: LotState) -> None:
    ensure_transition(current, target)


@pytest.mark.parametrize(("current", "target"), [p for p in ALL_PAIRS if p not in LEGAL])
def test_illegal_transition_is_refused_naming_the_current_state(current: LotState, target: LotState) -> None:
    with pytest.raises(Conflict, match=f"The lot is {current.value}; it cannot become {target.value}") as caught:
        ensure_transition(current, target)
    assert caught.value.code == "lot.transition_refused"
    assert (caught.value.params["state"], caught.value.params["target"]) == (current.value, target.value)


@pytest.mark.parametrize("state", [LotState.FAILED, LotState.CANCELLED])
def test_final_states_say_so(state: LotState) -> None:
    with pytest.raises(Conflict, match="none \\(it is final\\)"):
        ensure_transition(state, LotState.PUBLISHED)


def test_cancel_is_possible_from_every_state_before_award() -> None:
    before_award = {LotState.DRAFT, LotState.PUBLISHED, LotState.BIDDING, LotState.CLOSED}
    assert {s for s in LotState if LotState.CANCELLED in TRANSITIONS[s]} == before_award


def test_terms_change_only_in_draft_or_published() -> None:
    assert {s for s in LotState if can_amend(s)} == {LotState.DRAFT, LotState.PUBLISHED}
