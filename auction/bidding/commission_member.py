"""A commission member in software: what a member's browser does (docs/keys.md 2.2, 2.4), for tests and the demo.

The secret lives in this object only; the platform never constructs one for a real member. Its messages are the
JSON objects the API takes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from auction.accounts.models import User
from auction.bidding.opening import SealedLotService
from auction.ledger.verifier import dkg, group
from auction.ledger.verifier.canonical import canonical
from auction.ledger.verifier.sealed import b64url_decode, b64url_encode, ephemeral_of


def members_from(published: Sequence[Mapping[str, Any]]) -> list[dkg.Member]:
    """The ceremony's ordered members from its JSON list ({member, public_key, …} in index order)."""
    return [
        dkg.Member(int(m["member"]), position + 1, b64url_decode(m["public_key"]))
        for position, m in enumerate(published)
    ]


class SoftwareMember:
    def __init__(self, lot: int, member: int, secret: int | None = None) -> None:
        self.lot = lot
        self.member = member
        self.secret = group.random_scalar() if secret is None else secret
        self.public_key = group.base_mul(self.secret)

    def __repr__(self) -> str:
        return f"SoftwareMember(lot={self.lot}, member={self.member}, secret=<hidden>)"

    def key_file(self) -> dict[str, Any]:
        return {
            "format": dkg.KEY_FILE_FORMAT,
            "lot": self.lot,
            "member": self.member,
            "secret": b64url_encode(group.encode_scalar(self.secret)),
            "public_key": b64url_encode(self.public_key),
        }

    def key_message(self, *, nonce: int | None = None) -> dict[str, Any]:
        public = b64url_encode(self.public_key)
        pok = group.schnorr_sign(self.secret, dkg.key_statement(self.lot, self.member, public), nonce=nonce)
        return {"member": self.member, "public_key": public, "pok": b64url_encode(pok)}

    def _sign(self, statement: Mapping[str, Any], nonce: int | None) -> str:
        return b64url_encode(group.schnorr_sign(self.secret, canonical(dict(statement)), nonce=nonce))

    def deal(
        self,
        members: Sequence[dkg.Member],
        threshold: int,
        *,
        coefficients: Sequence[int] | None = None,
        ephemerals: Mapping[int, int] | None = None,
        nonce: int | None = None,
        wrong_share_for: int | None = None,
    ) -> dict[str, Any]:
        """This member's dealing; `wrong_share_for` deals that member a bad share (to test complaints)."""
        coeffs = list(coefficients) if coefficients is not None else [group.random_scalar() for _ in range(threshold)]
        shares = {}
        for m in members:
            value = group.poly_eval(coeffs, m.index) + (1 if m.member == wrong_share_for else 0)
            r = None if ephemerals is None else ephemerals[m.member]
            encrypted = dkg.encrypt_share(self.lot, self.member, m.member, m.public_key, value, r=r)
            shares[str(m.member)] = b64url_encode(encrypted)
        dealing: dict[str, Any] = {
            "dealer": self.member,
            "commitments": [b64url_encode(group.base_mul(a)) for a in coeffs],
            "shares": shares,
        }
        dealing["sig"] = self._sign(dkg.dealing_statement(self.lot, members, dealing), nonce)
        return dealing

    def _me(self, members: Sequence[dkg.Member]) -> dkg.Member:
        return next(m for m in members if m.member == self.member)

    def complaints(self, members: Sequence[dkg.Member], dealings: Sequence[Mapping[str, Any]]) -> list[int]:
        me = self._me(members)
        bad = []
        for dealing in dealings:
            dealer = int(dealing["dealer"])
            try:
                value = dkg.decrypt_share(
                    self.lot, dealer, self.member, self.secret, b64url_decode(dealing["shares"][str(self.member)])
                )
            except dkg.CeremonyError:
                bad.append(dealer)
                continue
            if group.base_mul(value) != group.commitment_eval(dkg.commitments_of(dealing), me.index):
                bad.append(dealer)
        return sorted(bad)

    def acknowledge(
        self, members: Sequence[dkg.Member], dealings: Sequence[Mapping[str, Any]], *, nonce: int | None = None
    ) -> dict[str, Any]:
        ack: dict[str, Any] = {
            "member": self.member,
            "transcript_hash": dkg.transcript_hash(dealings),
            "verification_key": b64url_encode(dkg.verification_key(dealings, self._me(members).index)),
            "complaints": self.complaints(members, dealings),
        }
        ack["sig"] = self._sign(dkg.ack_statement(self.lot, ack), nonce)
        return ack

    def secret_share(self, dealings: Sequence[Mapping[str, Any]]) -> int:
        """x̂_j = Σ_i s_ij, recomputed from the key and the published dealings."""
        total = 0
        for dealing in dealings:
            encrypted = b64url_decode(dealing["shares"][str(self.member)])
            total += dkg.decrypt_share(self.lot, int(dealing["dealer"]), self.member, self.secret, encrypted)
        return total % group.L

    def opening_shares(
        self,
        dealings: Sequence[Mapping[str, Any]],
        standing: Sequence[Mapping[str, Any]],
        *,
        nonce: int | None = None,
        wrong: bool = False,
    ) -> dict[str, Any]:
        """The sealed.share message for the standing bids ({ciphertext_hash, ciphertext}); `wrong` forges one."""
        share = self.secret_share(dealings)
        items = []
        # One share per distinct ciphertext: a copied ciphertext has the same R, so the same share opens both.
        distinct = {str(b["ciphertext_hash"]): b for b in standing}
        for _, bid in sorted(distinct.items()):
            d, proof = group.dleq_prove(share, ephemeral_of(bid["ciphertext"]), nonce=nonce)
            if wrong:
                d = group.add(d, group.base_mul(1))
            items.append(
                {"ciphertext_hash": bid["ciphertext_hash"], "share": b64url_encode(d), "proof": b64url_encode(proof)}
            )
        message: dict[str, Any] = {"member": self.member, "shares": items}
        message["sig"] = self._sign(dkg.share_statement(self.lot, message), nonce)
        return message


async def hold_ceremony(
    service: SealedLotService, officer: User, lot_id: int, members: Sequence[User], threshold: int
) -> list[SoftwareMember]:
    """Run a whole key ceremony through the service with software members (tests and the demo): their keys."""
    await service.start_ceremony(officer, lot_id, [m.id for m in members], threshold)
    users = {m.id: m for m in members}
    software = [SoftwareMember(lot_id, member_id) for member_id in sorted(users)]
    for sm in software:
        view = await service.post_key(users[sm.member], lot_id, sm.key_message())
    roster = view.dkg_members()
    for sm in software:
        view = await service.post_dealing(users[sm.member], lot_id, sm.deal(roster, threshold))
    dealings = view.dealings()
    for sm in software:
        await service.post_acknowledgement(users[sm.member], lot_id, sm.acknowledge(roster, dealings))
    return software


async def post_opening_shares(
    service: SealedLotService, lot_id: int, members: Sequence[tuple[User, SoftwareMember]]
) -> None:
    """Each given member posts their decryption shares for the lot's standing bids."""
    for user, sm in members:
        opening = await service.opening(lot_id)
        await service.post_shares(user, lot_id, sm.opening_shares(opening["dealings"], opening["standing"]))
