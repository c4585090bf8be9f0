"""The commission's joint key: the ceremony's messages and the opening's decryption shares (docs/keys.md 2.2, 2.4).

Every function here is pure: it checks or computes one message from the public parts. The platform calls them
on receipt (refusing a bad message with the `CeremonyError` text) and the replay calls them again on the ledger.
A `CeremonyError` names the member whose message is wrong in `member` when it can.

Part of the offline verifier: standard library, `cryptography`, `rfc8785` (through canonical) and PyNaCl only.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from auction.ledger.verifier import group
from auction.ledger.verifier.canonical import canonical
from auction.ledger.verifier.sealed import b64url_decode, b64url_encode

SCHEME = "achyk-dkg-ed25519/v1"
MIN_MEMBERS = 2
MAX_MEMBERS = 9
KEY_STATEMENT = "achyk-commission-key/v1"
DEALING_STATEMENT = "achyk-commission-dealing/v1"
ACK_STATEMENT = "achyk-commission-ack/v1"
SHARE_STATEMENT = "achyk-commission-share/v1"
KEY_FILE_FORMAT = "achyk-commission-key/v1"
ENCRYPTED_SHARE_LENGTH = 32 + 32 + 16
_ZERO_NONCE = bytes(12)

MEMBER_FIELDS = frozenset({"member", "public_key", "pok"})
PUBLISHED_MEMBER_FIELDS = frozenset({"member", "index", "public_key", "pok"})
DEALING_FIELDS = frozenset({"dealer", "commitments", "shares", "sig"})
ACK_FIELDS = frozenset({"member", "transcript_hash", "verification_key", "complaints", "sig"})
SHARE_FIELDS = frozenset({"member", "shares", "sig"})
SHARE_ITEM_FIELDS = frozenset({"ciphertext_hash", "share", "proof"})
PUBLISHED_FIELDS = frozenset({"scheme", "threshold", "public_key", "members", "dealings", "acknowledgements"})


class CeremonyError(ValueError):
    """A ceremony or opening message that does not hold; `member` is who sent it, when known."""

    def __init__(self, message: str, *, member: int | None = None) -> None:
        super().__init__(message)
        self.member = member


@dataclass(frozen=True, slots=True)
class Member:
    member: int
    index: int
    public_key: bytes


@dataclass(frozen=True, slots=True)
class Ceremony:
    """A checked, complete ceremony: what the opening needs."""

    lot: int
    threshold: int
    public_key: bytes
    members: tuple[Member, ...]
    verification_keys: Mapping[int, bytes]  # member id -> Y_j

    def member(self, member_id: int) -> Member | None:
        return next((m for m in self.members if m.member == member_id), None)


def _point(text: object, what: str, member: int | None = None) -> bytes:
    if not isinstance(text, str):
        raise CeremonyError(f"{what} must be base64url text", member=member)
    try:
        return group.decode_point(b64url_decode(text), what)
    except (ValueError, TypeError) as exc:
        raise CeremonyError(f"{what}: {exc}", member=member) from None


def _bytes(text: object, what: str, length: int, member: int | None = None) -> bytes:
    if not isinstance(text, str):
        raise CeremonyError(f"{what} must be base64url text", member=member)
    try:
        raw = b64url_decode(text)
    except ValueError as exc:
        raise CeremonyError(f"{what} {exc}", member=member) from None
    if len(raw) != length:
        raise CeremonyError(f"{what} must be {length} bytes, got {len(raw)}", member=member)
    return raw


def _fields(obj: object, expected: frozenset[str], what: str, member: int | None = None) -> dict[str, Any]:
    if not isinstance(obj, dict):
        raise CeremonyError(f"{what} must be a JSON object", member=member)
    unknown, missing = sorted(set(obj) - expected), sorted(expected - set(obj))
    if unknown:
        raise CeremonyError(f"{what} has unknown fields {unknown}", member=member)
    if missing:
        raise CeremonyError(f"{what} misses fields {missing}", member=member)
    return obj


def _id(value: object, what: str) -> int:
    if type(value) is not int or value < 1:
        raise CeremonyError(f"{what} must be a positive integer")
    return value


def _without_sig(message: Mapping[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in message.items() if name != "sig"}


def _check_sig(public_key: bytes, statement: Mapping[str, Any], sig: object, what: str, member: int) -> None:
    raw = _bytes(sig, f"{what} sig", 64, member)
    if not group.schnorr_verify(public_key, canonical(dict(statement)), raw):
        raise CeremonyError(f"{what} sig is not member {member}'s signature", member=member)


# --- 1. member keys -------------------------------------------------------------------------------------------


def key_statement(lot: int, member: int, public_key: str) -> bytes:
    return canonical({"statement": KEY_STATEMENT, "lot": lot, "member": member, "public_key": public_key})


def check_member_key(lot: int, message: object) -> bytes:
    """A posted {member, public_key, pok}: returns the member key P."""
    msg = _fields(message, MEMBER_FIELDS, "member key")
    member = _id(msg["member"], "member")
    public = _point(msg["public_key"], "public_key", member)
    pok = _bytes(msg["pok"], "pok", 64, member)
    if not group.schnorr_verify(public, key_statement(lot, member, msg["public_key"]), pok):
        raise CeremonyError(f"pok does not prove member {member} holds the secret of their public_key", member=member)
    return public


def members_list(members: Sequence[Member]) -> list[dict[str, Any]]:
    return [{"member": m.member, "public_key": b64url_encode(m.public_key)} for m in members]


# --- 2. dealings ----------------------------------------------------------------------------------------------


def dealing_statement(lot: int, members: Sequence[Member], dealing: Mapping[str, Any]) -> dict[str, Any]:
    return {**_without_sig(dealing), "statement": DEALING_STATEMENT, "lot": lot, "members": members_list(members)}


def share_info(lot: int, dealer: int, member: int) -> bytes:
    return f"achyk-dkg-share/v1|lot={lot}|dealer={dealer}|member={member}".encode()


def _share_key(shared: bytes, r: bytes, public: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=r + public, info=info).derive(shared)


def encrypt_share(lot: int, dealer: int, member: int, public: bytes, share: int, *, r: int | None = None) -> bytes:
    """E_ij = R ‖ AES-256-GCM(K, zero nonce, s_ij); `r` is for test vectors only."""
    ephemeral = group.random_scalar() if r is None else r
    big_r = group.base_mul(ephemeral)
    key = _share_key(group.mul(ephemeral, public), big_r, public, share_info(lot, dealer, member))
    return big_r + AESGCM(key).encrypt(_ZERO_NONCE, group.encode_scalar(share), None)


def decrypt_share(lot: int, dealer: int, member: int, secret: int, encrypted: bytes) -> int:
    """s_ij from E_ij with member j's secret; CeremonyError naming the dealer if it does not open."""
    if len(encrypted) != ENCRYPTED_SHARE_LENGTH:
        raise CeremonyError(f"the share dealt by {dealer} is not {ENCRYPTED_SHARE_LENGTH} bytes", member=dealer)
    try:
        big_r = group.decode_point(encrypted[:32], "share R")
    except group.GroupError as exc:
        raise CeremonyError(f"the share dealt by {dealer}: {exc}", member=dealer) from None
    public = group.base_mul(secret)
    key = _share_key(group.mul(secret, big_r), big_r, public, share_info(lot, dealer, member))
    try:
        plain = AESGCM(key).decrypt(_ZERO_NONCE, encrypted[32:], None)
        return group.decode_scalar(plain, "share")
    except (InvalidTag, group.GroupError):
        raise CeremonyError(f"the share dealt by {dealer} to {member} does not decrypt", member=dealer) from None


def commitments_of(dealing: Mapping[str, Any]) -> list[bytes]:
    return [b64url_decode(c) for c in dealing["commitments"]]


def check_dealing(lot: int, members: Sequence[Member], threshold: int, message: object) -> None:
    """A posted dealing: the dealer is a member, k commitments, one 80-byte share per member, signed by the dealer."""
    msg = _fields(message, DEALING_FIELDS, "dealing")
    dealer = _id(msg["dealer"], "dealer")
    by_id = {m.member: m for m in members}
    if dealer not in by_id:
        raise CeremonyError(f"dealer {dealer} is not a member of this commission", member=dealer)
    commitments = msg["commitments"]
    if not isinstance(commitments, list) or len(commitments) != threshold:
        raise CeremonyError(f"a dealing has exactly {threshold} commitments (the threshold)", member=dealer)
    for t, text in enumerate(commitments):
        _point(text, f"commitments[{t}]", dealer)
    shares = msg["shares"]
    expected = {str(m.member) for m in members}
    if not isinstance(shares, dict) or set(shares) != expected:
        raise CeremonyError(f"a dealing has one share for each member: {sorted(expected)}", member=dealer)
    for member_id, text in shares.items():
        raw = _bytes(text, f"shares[{member_id}]", ENCRYPTED_SHARE_LENGTH, dealer)
        try:
            group.decode_point(raw[:32], f"shares[{member_id}] R")
        except group.GroupError as exc:
            raise CeremonyError(str(exc), member=dealer) from None
    _check_sig(by_id[dealer].public_key, dealing_statement(lot, members, msg), msg["sig"], "dealing", dealer)


def ordered_dealings(dealings: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return sorted(dealings, key=lambda d: int(d["dealer"]))


def transcript_hash(dealings: Sequence[Mapping[str, Any]]) -> str:
    return hashlib.sha256(canonical([dict(d) for d in ordered_dealings(dealings)])).hexdigest()


def verification_key(dealings: Sequence[Mapping[str, Any]], index: int) -> bytes:
    """Y_j = Σ_i Σ_t x_j^t · C_it."""
    return group.point_sum([group.commitment_eval(commitments_of(d), index) for d in dealings])


def joint_key(dealings: Sequence[Mapping[str, Any]]) -> bytes:
    """Y = Σ_i C_i0."""
    return group.point_sum([commitments_of(d)[0] for d in dealings])


# --- 3. acknowledgements --------------------------------------------------------------------------------------


def ack_statement(lot: int, ack: Mapping[str, Any]) -> dict[str, Any]:
    return {**_without_sig(ack), "statement": ACK_STATEMENT, "lot": lot}


def check_acknowledgement(
    lot: int, members: Sequence[Member], dealings: Sequence[Mapping[str, Any]], message: object
) -> list[int]:
    """A posted acknowledgement; returns its complaints (dealer ids). Complaints are allowed here, not in a ledger."""
    msg = _fields(message, ACK_FIELDS, "acknowledgement")
    member_id = _id(msg["member"], "member")
    member = next((m for m in members if m.member == member_id), None)
    if member is None:
        raise CeremonyError(f"{member_id} is not a member of this commission", member=member_id)
    if msg["transcript_hash"] != transcript_hash(dealings):
        raise CeremonyError(
            f"member {member_id}'s transcript_hash is not the hash of the dealings as posted", member=member_id
        )
    if _point(msg["verification_key"], "verification_key", member_id) != verification_key(dealings, member.index):
        raise CeremonyError(
            f"member {member_id}'s verification_key is not the one the commitments give", member=member_id
        )
    complaints = msg["complaints"]
    dealers = {int(d["dealer"]) for d in dealings}
    if (
        not isinstance(complaints, list)
        or any(type(c) is not int or c not in dealers for c in complaints)
        or complaints != sorted(set(complaints))
    ):
        raise CeremonyError("complaints must be a sorted list of distinct dealer ids", member=member_id)
    _check_sig(member.public_key, ack_statement(lot, msg), msg["sig"], "acknowledgement", member_id)
    return list(complaints)


# --- the published ceremony -----------------------------------------------------------------------------------


def published_sealed(
    threshold: int,
    members: Sequence[Mapping[str, Any]],
    dealings: Sequence[Mapping[str, Any]],
    acknowledgements: Sequence[Mapping[str, Any]],
) -> dict[str, Any]:
    """The `sealed` object of lot.published from a complete ceremony's messages."""
    ordered = ordered_dealings(dealings)
    return {
        "scheme": SCHEME,
        "threshold": threshold,
        "public_key": b64url_encode(joint_key(ordered)),
        "members": [dict(m) for m in members],
        "dealings": [dict(d) for d in ordered],
        "acknowledgements": sorted((dict(a) for a in acknowledgements), key=lambda a: int(a["member"])),
    }


def _published_members(lot: int, published: list[Any]) -> list[Member]:
    members: list[Member] = []
    for position, entry in enumerate(published):
        item = _fields(entry, PUBLISHED_MEMBER_FIELDS, f"members[{position}]")
        public = check_member_key(lot, {name: item[name] for name in MEMBER_FIELDS})
        if item["index"] != position + 1:
            raise CeremonyError(f"members[{position}] index must be {position + 1}", member=item["member"])
        members.append(Member(item["member"], position + 1, public))
    ids = [m.member for m in members]
    if ids != sorted(set(ids)):
        raise CeremonyError("members must be distinct and ordered by user id")
    return members


def check_ceremony(lot: int, sealed: object) -> Ceremony:
    """Everything the replay checks of lot.published.sealed (docs/keys.md 2.2); CeremonyError otherwise."""
    obj = _fields(sealed, PUBLISHED_FIELDS, "sealed")
    if obj["scheme"] != SCHEME:
        raise CeremonyError(f"sealed scheme must be {SCHEME!r}")
    published = obj["members"]
    if not isinstance(published, list) or not MIN_MEMBERS <= len(published) <= MAX_MEMBERS:
        raise CeremonyError(f"a commission has {MIN_MEMBERS} to {MAX_MEMBERS} members")
    threshold = obj["threshold"]
    if type(threshold) is not int or not 2 <= threshold <= len(published):
        raise CeremonyError(f"threshold must be an integer from 2 to {len(published)}")
    members = _published_members(lot, published)
    ids = [m.member for m in members]
    dealings = obj["dealings"]
    if not isinstance(dealings, list) or len(dealings) != len(members):
        raise CeremonyError("there is exactly one dealing per member")
    for dealing in dealings:
        check_dealing(lot, members, threshold, dealing)
    if [d["dealer"] for d in dealings] != ids:
        raise CeremonyError("the dealings must be one per member, ordered by dealer id")
    acks = obj["acknowledgements"]
    if not isinstance(acks, list) or len(acks) != len(members):
        raise CeremonyError("there is exactly one acknowledgement per member")
    for ack in acks:
        if check_acknowledgement(lot, members, dealings, ack):
            raise CeremonyError(f"member {ack['member']} complained about a dealing", member=ack["member"])
    if [a["member"] for a in acks] != ids:
        raise CeremonyError("the acknowledgements must be one per member, ordered by member id")
    public_key = _point(obj["public_key"], "public_key")
    if public_key != joint_key(dealings):
        raise CeremonyError("public_key is not the sum of the dealers' first commitments")
    return Ceremony(
        lot=lot,
        threshold=threshold,
        public_key=public_key,
        members=tuple(members),
        verification_keys={m.member: verification_key(dealings, m.index) for m in members},
    )


# --- 4. the opening -------------------------------------------------------------------------------------------


def share_statement(lot: int, message: Mapping[str, Any]) -> dict[str, Any]:
    return {**_without_sig(message), "statement": SHARE_STATEMENT, "lot": lot}


def check_share_message(ceremony: Ceremony, standing: Mapping[str, bytes], message: object) -> dict[str, bytes]:
    """A posted sealed.share against the standing bids' distinct ciphertexts (ciphertext_hash -> R_b).

    Returns ciphertext_hash -> D_jb. Two bids with the same ciphertext (one copied) share one R and so one share.
    """
    msg = _fields(message, SHARE_FIELDS, "sealed.share")
    member_id = _id(msg["member"], "member")
    member = ceremony.member(member_id)
    if member is None:
        raise CeremonyError(f"{member_id} is not a member of this lot's commission", member=member_id)
    items = msg["shares"]
    if not isinstance(items, list):
        raise CeremonyError("shares must be a list", member=member_id)
    hashes_given = [item.get("ciphertext_hash") if isinstance(item, dict) else None for item in items]
    if hashes_given != sorted(standing):
        raise CeremonyError(
            f"member {member_id}'s shares must be one per standing ciphertext, ordered by ciphertext_hash",
            member=member_id,
        )
    y_j = ceremony.verification_keys[member_id]
    result: dict[str, bytes] = {}
    for item in items:
        entry = _fields(item, SHARE_ITEM_FIELDS, "a share", member_id)
        digest = entry["ciphertext_hash"]
        d = _point(entry["share"], f"share for {digest}", member_id)
        proof = _bytes(entry["proof"], f"proof for {digest}", 64, member_id)
        if not group.dleq_verify(y_j, standing[digest], d, proof):
            raise CeremonyError(
                f"member {member_id}'s share for the bid {digest} fails its proof of correctness", member=member_id
            )
        result[digest] = d
    _check_sig(member.public_key, share_statement(ceremony.lot, msg), msg["sig"], "sealed.share", member_id)
    return result


def combine(indexed_shares: Mapping[int, bytes]) -> bytes:
    """S = Σ λ_j · D_j over member index -> D_j (at least k of them, valid)."""
    indices = sorted(indexed_shares)
    return group.point_sum([group.mul(group.lagrange_at_zero(indices, j), indexed_shares[j]) for j in indices])
