"""A sealed lot's commission through the API, with software members: what each member's browser does, over HTTP.

Each member's key lives only in its `SoftwareMember`; the server sees public keys, signed dealings (shares
encrypted to each member), acknowledgements and, after the close, decryption shares with proofs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from auction.bidding.commission_member import SoftwareMember, members_from
from auction.ledger.verifier.sealed import b64url_decode
from tests.kit.world import World

# The app's test client, or a plain client of a served site: the relay is used over HTTP either way.
Client = httpx.AsyncClient


@dataclass
class ApiCommission:
    client: Client
    world: World
    lot_id: int
    names: Sequence[str]
    threshold: int = 2
    officer: str = "officer_tokmok"
    members: dict[str, SoftwareMember] = field(default_factory=dict)

    def member(self, name: str) -> SoftwareMember:
        return self.members[name]

    async def _post(self, path: str, name: str, body: dict[str, Any], expect: int = 200) -> dict[str, Any]:
        response = await self.client.post(path, json=body, headers=self.world.auth(name))
        assert response.status_code == expect, response.text
        result: dict[str, Any] = response.json()
        return result

    async def start(self) -> dict[str, Any]:
        ids = [self.world.user_ids[name] for name in self.names]
        response = await self.client.put(
            f"/api/officer/lots/{self.lot_id}/commission",
            json={"members": ids, "threshold": self.threshold},
            headers=self.world.auth(self.officer),
        )
        assert response.status_code == 200, response.text
        self.members = {name: SoftwareMember(self.lot_id, self.world.user_ids[name]) for name in self.names}
        result: dict[str, Any] = response.json()
        return result

    async def ceremony(self) -> dict[str, Any]:
        # A draft's relay is its managers': read it as the officer who runs the ceremony.
        response = await self.client.get(f"/api/lots/{self.lot_id}/ceremony", headers=self.world.auth(self.officer))
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    async def hold(self, *, started: bool = False) -> dict[str, Any]:
        """The whole ceremony: start (unless `started`, e.g. on the officer's page), every member's key, dealing
        and acknowledgement; returns its final state."""
        if started:
            self.members = {name: SoftwareMember(self.lot_id, self.world.user_ids[name]) for name in self.names}
        else:
            await self.start()
        base = f"/api/lots/{self.lot_id}/ceremony"
        for name, sm in self.members.items():
            state = await self._post(f"{base}/key", name, sm.key_message())
        roster = members_from(state["members"])
        for name, sm in self.members.items():
            state = await self._post(f"{base}/dealing", name, sm.deal(roster, self.threshold))
        for name, sm in self.members.items():
            state = await self._post(f"{base}/acknowledgement", name, sm.acknowledge(roster, state["dealings"]))
        assert state["stage"] == "complete", state
        return state

    async def publish(self) -> bytes:
        """Hold the ceremony and publish the lot; returns the joint key."""
        await self.hold()
        response = await self.client.post(
            f"/api/v1/lots/{self.lot_id}/sealed/publish", headers=self.world.auth(self.officer)
        )
        assert response.status_code == 200, response.text
        return b64url_decode(response.json()["public_key"])

    async def opening(self) -> dict[str, Any]:
        response = await self.client.get(f"/api/lots/{self.lot_id}/opening")
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    async def share(self, name: str, *, wrong: bool = False, expect: int = 200) -> dict[str, Any]:
        """One member posts their decryption shares (`wrong`: a share that is not theirs to give)."""
        opening = await self.opening()
        message = self.members[name].opening_shares(opening["dealings"], opening["standing"], wrong=wrong)
        return await self._post(f"/api/lots/{self.lot_id}/opening/shares", name, message, expect)

    async def open(self, expect: int = 200) -> dict[str, Any]:
        response = await self.client.post(
            f"/api/officer/lots/{self.lot_id}/open", headers=self.world.auth(self.officer)
        )
        assert response.status_code == expect, response.text
        result: dict[str, Any] = response.json()
        return result
