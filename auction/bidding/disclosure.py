"""What of a lot's competition may be shown to whom, and when: pure rules on the lot's format and state.

Two things stay confidential until the contest is over:
- who is behind a pseudonym. Officers know the names of the applicants they review; if they also saw each
  application's pseudonym while bidding runs, they could tell a favoured bidder who is bidding against them. The
  link is shown once the lot is decided (awarded, failed or cancelled), when the results protocol names the winner.
- how many compete. The number of applications, of admitted participants and of sealed bids tells a bidder how hard
  to bid (or a cartel whether its members are alone); the public sees it only after the close, and for sealed bids
  only after the commission opened them. The officers of the lot's municipality see it all along.

The public ledger itself still lets a reader count application.submitted and bid.sealed entries: see
docs/threat-model.md ("What the public log reveals while bidding runs").
"""

from __future__ import annotations

from auction.lots.models import AuctionFormat, LotState

# Before the decision, a name could still be used against a bidder; from it on, the protocol is public.
_UNDECIDED = frozenset({LotState.DRAFT, LotState.PUBLISHED, LotState.BIDDING, LotState.CLOSED})
_COMPETING = frozenset({LotState.DRAFT, LotState.PUBLISHED, LotState.BIDDING})


def pseudonyms_linkable(state: LotState) -> bool:
    """Whether an officer may see which applicant (by name) holds which pseudonym on a lot in this state."""
    return state not in _UNDECIDED


def competition_public(fmt: AuctionFormat, state: LotState) -> bool:
    """Whether the public may see how many applied, were admitted, or sealed a bid on a lot in this state.

    Open and descending auctions: after auction.closed. Sealed bids: after sealed.opened, i.e. once decided (a
    closed sealed lot waits for its commission, and its bid count would still tell the losers how many there were
    before the amounts are known).
    """
    if state in _COMPETING:
        return False
    if state == LotState.CLOSED:
        return fmt != AuctionFormat.SEALED_BID
    return True
