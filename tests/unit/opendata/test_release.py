"""The mapping from a lot's ledger chain to OCDS releases, per format, on hand-made chains (no database): the tags,
what is disclosed at each step, and that every release validates against OCDS 1.1.5 with the bids extension."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

from flattentool import unflatten

from auction.opendata.package import compiled_release, csv_text, flatten
from auction.opendata.release import LedgerFact, Municipality, Publication, lot_releases
from auction.opendata.schema import release_schema
from tests.ocds_support import release_problems, text_of

PUBLICATION = Publication("ocds-xxxxxx", "https://achyk.example.kg", {3: Municipality("tokmok", "Tokmok City")})
ALICE, BOB = "b-00000000000000a1", "b-00000000000000b2"
TERMS: dict[str, Any] = {
    "deal": "sale",
    "kind": "land_plot",
    "format": "open_ascending",
    "title_en": "Land plot on Lenin street",
    "address": "12 Lenin street, Tokmok",
    "area_sqm": "800.00",
    "registration_number": "1-02-03-0004-0005",
    "starting_price": 100_000_00,
    "bid_step": 5_000_00,
    "deposit": 10_000_00,
    "applications_close_at": "2026-06-22T06:00:00.000000Z",
    "bidding_opens_at": "2026-06-23T06:00:00.000000Z",
    "bidding_closes_at": "2026-06-23T09:00:00.000000Z",
    "council_decision": "No. 14",
}


class Chain:
    """A lot's chain as the ledger would hold it: global indexes interleaved with other lots' (step 3)."""

    def __init__(self, lot: int = 7) -> None:
        self.lot = lot
        self.facts: list[LedgerFact] = []

    def add(self, kind: str, at: str = "2026-06-23T07:00:00.000000Z", **payload: Any) -> Chain:
        seq = len(self.facts) + 1
        index = 10 + 3 * seq
        self.facts.append(LedgerFact(index, f"{seq:064x}", index + 1, self.lot, seq, kind, at, payload))
        return self

    def releases(self) -> list[dict[str, Any]]:
        releases = lot_releases(self.facts, PUBLICATION)
        for release in releases:
            assert release_problems(release) == [], release["achykLedger"]["kind"]
        return releases


def published(**terms: Any) -> Chain:
    chain = Chain().add("lot.published", "2026-06-01T06:00:00.000000Z", version=1, municipality=3, terms=TERMS | terms)
    chain.add("application.submitted", bidder=ALICE).add("application.submitted", bidder=BOB)
    return chain.add("deposit.confirmed", bidder=ALICE).add("application.approved", bidder=ALICE)


def opened(chain: Chain) -> Chain:
    return chain.add("auction.opened", closes_at=TERMS["bidding_closes_at"], participants=2)


def tags(releases: list[dict[str, Any]]) -> list[str]:
    return [tag for release in releases for tag in release["tag"]]


def test_an_open_auction_shows_only_the_price_while_bidding_and_everything_once_decided() -> None:
    chain = opened(published())
    chain.add("bid.placed", bidder=ALICE, amount=100_000_00).add("bid.placed", bidder=BOB, amount=105_000_00)
    during = chain.releases()
    assert tags(during) == ["tender", "tenderUpdate", "tenderUpdate", "tenderUpdate"]
    assert during[-1]["bids"]["statistics"] == [
        {
            "id": "highestValidBidValue",
            "measure": "highestValidBidValue",
            "date": during[-1]["date"],
            "value": 105_000,
            "currency": "KGS",
        }
    ]
    assert ALICE not in text_of(during)
    assert BOB not in text_of(during)
    assert "numberOfTenderers" not in during[-1]["tender"]

    chain.add("auction.closed", closes_at=TERMS["bidding_closes_at"], bid_count=2)
    closed = chain.releases()[-1]
    measures = {s["measure"]: s["value"] for s in closed["bids"]["statistics"]}
    assert measures == {
        "requests": 2,
        "qualifiedBidders": 2,
        "bids": 2,
        "bidders": 2,
        "validBids": 2,
        "highestValidBidValue": 105_000,
        "lowestValidBidValue": 100_000,
    }
    assert "details" not in closed["bids"]

    chain.add(
        "award.made",
        winner=BOB,
        price=105_000_00,
        runner_up=ALICE,
        runner_up_price=100_000_00,
        sign_deadline="2026-06-28T09:00:00.000000Z",
        reason="highest bid",
        deal="sale",
    )
    award = chain.releases()[-1]
    assert award["tag"] == ["award"]
    assert award["tender"]["status"] == "complete"
    assert [(d["tenderers"][0]["id"], d["value"]["amount"]) for d in award["bids"]["details"]] == [
        (ALICE, 100_000),
        (BOB, 105_000),
    ]
    assert award["awards"][0]["suppliers"] == [{"id": BOB, "name": f"Bidder {BOB}"}]
    assert {p["id"]: p["roles"] for p in award["parties"]} == {
        "municipality-tokmok": ["procuringEntity"],
        ALICE: ["tenderer"],
        BOB: ["tenderer", "supplier"],
    }


def test_a_sealed_lot_tells_nothing_of_its_bids_until_the_opening() -> None:
    chain = opened(published(format="sealed_bid"))
    chain.add("bid.sealed", bidder=ALICE, ciphertext_hash="a" * 64, replaces=False)
    chain.add("bid.sealed", bidder=BOB, ciphertext_hash="b" * 64, replaces=False)
    chain.add("auction.closed", closes_at=TERMS["bidding_closes_at"], bid_count=2)
    before = chain.releases()
    assert tags(before) == ["tender", "tenderUpdate", "tenderUpdate"]
    assert all("bids" not in release for release in before)
    opened_bids = [
        {"bidder": ALICE, "ciphertext_hash": "a" * 64, "amount": 111_111_00},
        {"bidder": BOB, "ciphertext_hash": "b" * 64, "amount": 99_000_00},
    ]
    chain.add("sealed.opened", released_by=[1, 2], opened=opened_bids, disqualified=[], below_starting_price=[BOB])
    after = chain.releases()[-1]
    measures = {s["measure"]: s["value"] for s in after["bids"]["statistics"]}
    assert (measures["bids"], measures["validBids"], measures["highestValidBidValue"]) == (2, 1, 111_111)
    chain.add(
        "award.made",
        winner=ALICE,
        price=111_111_00,
        runner_up=None,
        runner_up_price=None,
        sign_deadline="2026-06-28T09:00:00.000000Z",
        reason="highest bid",
        deal="sale",
    )
    details = chain.releases()[-1]["bids"]["details"]
    assert [(d["id"], d["status"]) for d in details] == [
        ("bid-" + "a" * 16, "valid"),
        ("bid-" + "b" * 16, "disqualified"),
    ]


def test_a_descending_auction_awards_the_acceptance() -> None:
    chain = opened(published(format="descending", floor_price=50_000_00, price_drop_interval_seconds=60))
    chain.add("bid.accepted", bidder=ALICE, amount=90_000_00, limit=90_000_00)
    chain.add("auction.closed", closes_at=TERMS["bidding_closes_at"], bid_count=1)
    chain.add(
        "award.made",
        winner=ALICE,
        price=90_000_00,
        runner_up=None,
        runner_up_price=None,
        sign_deadline="2026-06-28T09:00:00.000000Z",
        reason="first to accept",
        deal="sale",
    )
    releases = chain.releases()
    assert tags(releases) == ["tender", "tenderUpdate", "tenderUpdate", "award"]
    assert releases[0]["tender"]["achykDisposal"]["floorPrice"] == {"amount": 50_000, "currency": "KGS"}
    assert releases[-1]["awards"][0]["value"]["amount"] == 90_000


def test_the_valuation_is_in_the_tender_only_when_recorded() -> None:
    appraised = published(valuation=123_456_78).releases()[0]["tender"]["achykDisposal"]
    assert appraised["valuation"] == {"amount": 123_456.78, "currency": "KGS"}
    for unrecorded in (published(), published(valuation=None)):  # an older lot's terms; a newer lot's null
        assert "valuation" not in unrecorded.releases()[0]["tender"]["achykDisposal"]


def test_a_lease_contract_with_its_rent_schedule_and_a_payment() -> None:
    chain = opened(
        published(
            deal="lease",
            kind="premises",
            rent_period="month",
            lease_term_months=3,
            permitted_use="Shop",
            starting_price=20_000_00,
        )
    )
    chain.add("bid.placed", bidder=ALICE, amount=20_000_00)
    chain.add("auction.closed", closes_at=TERMS["bidding_closes_at"], bid_count=1)
    chain.add(
        "award.made",
        winner=ALICE,
        price=20_000_00,
        runner_up=None,
        runner_up_price=None,
        sign_deadline="2026-06-28T09:00:00.000000Z",
        reason="a single participant",
        deal="lease",
        rent_period="month",
        lease_term_months=3,
    )
    chain.add("award.signed", bidder=ALICE, price=20_000_00)
    schedule = [
        {"number": 1, "due_on": "2026-06-25", "amount": 10_000_00},
        {"number": 2, "due_on": "2026-07-25", "amount": 20_000_00},
        {"number": 3, "due_on": "2026-08-25", "amount": 20_000_00},
    ]
    chain.add(
        "contract.concluded",
        bidder=ALICE,
        price=20_000_00,
        deal="lease",
        signed_on="2026-06-24",
        deposit_credited=10_000_00,
        instalments=None,
        schedule=schedule,
    )
    chain.add(
        "payment.recorded",
        bidder=ALICE,
        number=1,
        amount=10_000_00,
        paid_on="2026-06-24",
        reference_commitment="c" * 64,
    )
    releases = chain.releases()
    assert tags(releases)[-4:] == ["award", "awardUpdate", "contract", "implementation"]
    contract = releases[-1]["contracts"][0]
    assert contract["period"] == {"startDate": "2026-06-25T00:00:00+06:00", "endDate": "2026-09-24T00:00:00+06:00"}
    assert contract["value"] == {"amount": 60_000, "currency": "KGS"}
    assert [m["status"] for m in contract["implementation"]["milestones"]] == ["met", "scheduled", "scheduled"]
    assert contract["implementation"]["transactions"][0]["payer"]["id"] == ALICE
    assert "c" * 64 not in text_of(releases)  # the bank reference's commitment stays in the ledger

    compiled = compiled_release(releases)
    assert compiled["tag"] == ["compiled"]
    assert compiled["awards"][0]["status"] == "active"
    assert release_problems(compiled) == []


def test_releases_are_named_by_ocid_and_ledger_index_and_point_at_their_checkpoint() -> None:
    releases = opened(published()).releases()
    assert [r["id"] for r in releases] == [f"ocds-xxxxxx-7-{r['achykLedger']['index']}" for r in releases]
    first = releases[0]["achykLedger"]
    assert first["proof"] == (
        f"https://achyk.example.kg/api/v1/ledger/proof/inclusion?index={first['index']}&size={first['index'] + 1}"
    )


def test_a_cancelled_lot_and_the_flat_csv() -> None:
    chain = published().add(
        "lot.cancelled",
        reason="Court order",
        was="published",
        requested_by="officer:1",
        confirmed_by="officer:2",
        order=None,
    )
    releases = chain.releases()
    assert tags(releases) == ["tender", "tenderCancellation"]
    assert releases[-1]["tender"]["status"] == "cancelled"
    row = flatten(releases[-1])
    assert row["tender/items/0/classification/id"] == "land_plot"
    assert row["tag"] == "tenderCancellation"
    assert csv_text(releases).splitlines()[0].startswith("ocid,id,date,tag,initiationType")


def _without_ours(value: Any) -> Any:
    """The standard's fields only: flatten-tool types by the schema, which does not know our achyk* fields."""
    if isinstance(value, dict):
        return {k: _without_ours(v) for k, v in value.items() if not k.startswith("achyk")}
    if isinstance(value, list):
        return [_without_ours(v) for v in value]
    return value


def test_flatten_tool_reads_the_csv_back_into_the_same_releases(tmp_path: Path) -> None:
    chain = opened(published())
    chain.add("bid.placed", bidder=ALICE, amount=100_000_00).add("bid.placed", bidder=BOB, amount=105_000_00)
    chain.add("auction.closed", closes_at=TERMS["bidding_closes_at"], bid_count=2)
    chain.add(
        "award.made",
        winner=BOB,
        price=105_000_00,
        runner_up=ALICE,
        runner_up_price=100_000_00,
        sign_deadline="2026-06-28T09:00:00.000000Z",
        reason="highest bid",
        deal="sale",
    )
    releases = chain.releases()
    (tmp_path / "csv").mkdir()
    (tmp_path / "csv" / "main.csv").write_text(csv_text(releases), encoding="utf-8")
    (tmp_path / "schema.json").write_text(json.dumps(release_schema()), encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # flatten-tool warns of every column the schema lacks (our achyk* fields)
        unflatten(
            str(tmp_path / "csv"),
            input_format="csv",
            output_name=str(tmp_path / "back.json"),
            root_list_path="releases",
            id_name="id",
            root_id="ocid",
            schema=str(tmp_path / "schema.json"),
        )
    back = json.loads((tmp_path / "back.json").read_text(encoding="utf-8"))["releases"]
    assert _without_ours(back) == _without_ours(releases)
