"""The public results protocol page and its JSON: the winner and price, the council decision, the signatures."""

from __future__ import annotations

from auction.accounts.models import User
from auction.bidding.results_protocol import ProtocolService
from auction.db.engine import transaction
from auction.ledger.admission import LedgerWriter
from auction.ledger.verifier import protocol as pr
from auction.ledger.verifier import statements as st
from auction.ledger.verifier.canonical import canonical
from tests.kit.keys import register_signer
from tests.kit.page import Page
from tests.kit.world import World
from tests.web.conftest import Client


async def member_signs(world: World, who: str, lot_id: int) -> None:
    async with transaction(world.sessions) as session:
        user = await session.get(User, world.user_ids[who])
        assert user is not None
        signer = await register_signer(session, world.clock, user)
        service = ProtocolService(session, world.clock, LedgerWriter(session, world.keys, world.clock))
        view = await service.get(lot_id)
        sig = signer.private_key.sign(canonical(view.statement(user.id)))
        await service.sign(user, lot_id, st.key_id(signer.key), {"sig": st.b64u(sig)})


async def test_the_protocol_page_shows_the_result_and_the_signatures_in_every_language(
    client: Client, world: World
) -> None:
    lot_id = await world.lot("awarded", council_decision="Tokmok kenesh No. 7")
    lot_page = await client.get(f"/lots/{lot_id}?lang=en")
    assert Page(lot_page.text).has(f'a.protocol-link[href="/lots/{lot_id}/protocol"]')

    page = Page((await client.get(f"/lots/{lot_id}/protocol?lang=en")).text)
    assert page.text(".council-decision") == "Tokmok kenesh No. 7"
    assert "Nurlan Beishenov" in page.text(".winner")
    assert "Awaiting the commission's signatures: 0 of 2 needed." in page.text(".protocol-state")
    assert page.has("td.unsigned")

    await member_signs(world, "officer_tokmok", lot_id)
    await member_signs(world, "officer2_tokmok", lot_id)
    ru = Page((await client.get(f"/lots/{lot_id}/protocol?lang=ru")).text)
    assert ru.text(".protocol-complete") == "Подписан большинством комиссии."
    assert not ru.has("td.unsigned")
    ky = Page((await client.get(f"/lots/{lot_id}/protocol?lang=ky")).text)
    assert "Комиссиянын көпчүлүгү кол койду." in ky.text(".protocol-state")

    answer = (await client.get(f"/api/v1/lots/{lot_id}/protocol/")).json()
    assert answer["complete"] is True
    assert answer["protocol_hash"] == pr.protocol_hash(answer["protocol"])
    assert [s["name"] for s in answer["signatures"]] == ["Officer Tokmok", "Bakyt Toktogulov"]


async def test_no_protocol_page_before_the_award(client: Client, world: World) -> None:
    lot_id = await world.lot("bidding")
    response = await client.get(f"/lots/{lot_id}/protocol?lang=en")
    assert response.status_code == 404
    assert (await client.get(f"/api/v1/lots/{lot_id}/protocol/")).json()["code"] == "protocol.not_issued"
