"""Share custody: passphrase sealing, opening and verified recovery of a lot key."""

from __future__ import annotations

import itertools
import json
import unicodedata

import pytest

from auction.bidding.commission import (
    PRODUCTION_SCRYPT,
    CommissionError,
    MalformedSealedShare,
    QuorumNotMet,
    ScryptParams,
    SealedShare,
    ShareCorrupted,
    ShareMismatch,
    WeakPassphrase,
    WrongPassphrase,
    open_share,
    recover_lot_key,
    seal_share,
    split_lot_key,
)
from auction.bidding.shamir import Share, split
from auction.ledger.verifier.sealed import (
    LotKeyPair,
    Q,
    b64url_decode,
    b64url_encode,
    decode_private_key,
    decrypt_bid,
    encode_private_key,
    encrypt_bid,
    generate_lot_key_pair,
)

# Production cost would make this file take minutes; the format records whichever is used.
FAST = ScryptParams(n=2**4, r=1, p=1)
LOT = 31
MEMBERS = [
    ("aida", "айдай жазында тоого чыкты"),
    ("bakyt", "correct horse battery staple"),
    ("chyngyz", "Бишкек-2025-көк-асман"),
    ("dinara", "twelve chars"),
]
PASSPHRASES = dict(MEMBERS)


@pytest.fixture(scope="module")
def keys() -> LotKeyPair:
    return generate_lot_key_pair()


@pytest.fixture(scope="module")
def sealed_shares(keys: LotKeyPair) -> list[tuple[str, SealedShare]]:
    return split_lot_key(keys.private_scalar, 3, MEMBERS, LOT, kdf=FAST)


@pytest.fixture(scope="module")
def opened(sealed_shares: list[tuple[str, SealedShare]]) -> list[tuple[str, Share]]:
    return [(member, open_share(s, PASSPHRASES[member], LOT, member)) for member, s in sealed_shares]


_SHARE = split(123456789, 2, 3)[0]


def one_share() -> Share:
    return _SHARE


def altered(sealed: SealedShare, **changes: object) -> SealedShare:
    data = sealed.to_dict() | changes
    return SealedShare.from_dict(data)


def flip_field(sealed: SealedShare, field: str, index: int = 0) -> SealedShare:
    raw = bytearray(b64url_decode(str(sealed.to_dict()[field])))
    raw[index] ^= 0x01
    return altered(sealed, **{field: b64url_encode(bytes(raw))})


# --- sealing and opening ----------------------------------------------------------------------


def test_production_defaults() -> None:
    assert ScryptParams(n=2**15, r=8, p=1) == PRODUCTION_SCRYPT


def test_default_seal_uses_production_cost() -> None:
    sealed = seal_share(one_share(), "a proper passphrase", LOT, "aida")
    assert sealed.kdf == PRODUCTION_SCRYPT
    assert sealed.to_dict()["kdf"] == {"name": "scrypt", "n": 32768, "r": 8, "p": 1}
    assert open_share(sealed, "a proper passphrase", LOT, "aida") == one_share()


def test_round_trip_through_json() -> None:
    share = one_share()
    sealed = seal_share(share, "a proper passphrase", LOT, "aida", kdf=FAST)
    data = json.loads(json.dumps(sealed.to_dict()))
    assert set(data) == {"v", "lot", "member", "x", "threshold", "kdf", "salt", "check", "iv", "ciphertext"}
    restored = SealedShare.from_dict(data)
    assert restored == sealed
    assert open_share(restored, "a proper passphrase", LOT, "aida") == share


def test_salt_and_iv_are_fresh() -> None:
    first = seal_share(one_share(), "a proper passphrase", LOT, "aida", kdf=FAST)
    second = seal_share(one_share(), "a proper passphrase", LOT, "aida", kdf=FAST)
    assert first.salt != second.salt
    assert first.ciphertext != second.ciphertext


def test_share_value_is_not_in_the_record() -> None:
    share = one_share()
    text = json.dumps(seal_share(share, "a proper passphrase", LOT, "aida", kdf=FAST).to_dict())
    assert str(share.y) not in text
    assert b64url_encode(share.y.to_bytes(32, "big")) not in text


def test_passphrase_is_normalised() -> None:
    composed = "жаңы жыл, жаңы үмүт й"
    decomposed = unicodedata.normalize("NFD", composed)
    assert composed != decomposed
    sealed = seal_share(one_share(), composed, LOT, "aida", kdf=FAST)
    assert open_share(sealed, decomposed, LOT, "aida") == one_share()


@pytest.mark.parametrize("passphrase", ["", "short", "elevenchars", "  eleven   ", "\ud800" * 20, None])
def test_weak_passphrase_is_refused(passphrase: object) -> None:
    with pytest.raises(WeakPassphrase, match="aida"):
        seal_share(one_share(), passphrase, LOT, "aida", kdf=FAST)  # type: ignore[arg-type]


def test_twelve_characters_is_enough() -> None:
    sealed = seal_share(one_share(), "абвгдеёжзийк", LOT, "aida", kdf=FAST)
    assert open_share(sealed, "абвгдеёжзийк", LOT, "aida") == one_share()


@pytest.mark.parametrize("wrong", ["a proper passphrasE", "a proper passphrase ", "", "\ud800"])
def test_wrong_passphrase_names_the_member(wrong: str) -> None:
    sealed = seal_share(one_share(), "a proper passphrase", LOT, "aida", kdf=FAST)
    with pytest.raises(WrongPassphrase, match="'aida'") as caught:
        open_share(sealed, wrong, LOT, "aida")
    assert caught.value.member_id == "aida"


@pytest.mark.parametrize(("field", "index"), [("ciphertext", 0), ("ciphertext", 31), ("ciphertext", 47), ("iv", 5)])
def test_corrupted_share_is_detected(field: str, index: int) -> None:
    sealed = seal_share(one_share(), "a proper passphrase", LOT, "aida", kdf=FAST)
    with pytest.raises(ShareCorrupted, match="altered") as caught:
        open_share(flip_field(sealed, field, index), "a proper passphrase", LOT, "aida")
    assert caught.value.member_id == "aida"


@pytest.mark.parametrize("field", ["salt", "check"])
def test_altered_key_material_looks_like_a_wrong_passphrase(field: str) -> None:
    sealed = seal_share(one_share(), "a proper passphrase", LOT, "aida", kdf=FAST)
    with pytest.raises(WrongPassphrase):
        open_share(flip_field(sealed, field), "a proper passphrase", LOT, "aida")


@pytest.mark.parametrize("changes", [{"x": 2}, {"threshold": 3}])
def test_altered_metadata_is_detected(changes: dict[str, object]) -> None:
    sealed = seal_share(one_share(), "a proper passphrase", LOT, "aida", kdf=FAST)
    with pytest.raises(ShareCorrupted):
        open_share(altered(sealed, **changes), "a proper passphrase", LOT, "aida")


def test_share_filed_under_another_member_or_lot() -> None:
    sealed = seal_share(one_share(), "a proper passphrase", LOT, "aida", kdf=FAST)
    with pytest.raises(ShareCorrupted, match="sealed for member 'aida'"):
        open_share(sealed, "a proper passphrase", LOT, "bakyt")
    with pytest.raises(ShareCorrupted, match="lot 31"):
        open_share(sealed, "a proper passphrase", LOT + 1, "aida")
    # Rewriting the record's labels does not help: the AAD still names the original member and lot.
    relabelled = altered(sealed, member="bakyt", lot=LOT + 1)
    with pytest.raises(ShareCorrupted, match="altered"):
        open_share(relabelled, "a proper passphrase", LOT + 1, "bakyt")


def _record() -> dict[str, object]:
    return seal_share(one_share(), "a proper passphrase", LOT, "aida", kdf=FAST).to_dict()


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"v": 2}, "version"),
        ({"v": True}, "'v'"),
        ({"x": True}, "'x'"),
        ({"x": 0}, "share index"),
        ({"threshold": "2"}, "'threshold'"),
        ({"lot": 0}, "lot_id"),
        ({"member": 5}, "member"),
        ({"member": "a|b"}, "member_id"),
        ({"salt": "AAAA"}, "16 bytes"),
        ({"iv": "not base64!"}, "alphabet"),
        ({"ciphertext": 7}, "base64url"),
        ({"kdf": {"name": "argon2", "n": 16, "r": 1, "p": 1}}, "scrypt"),
        ({"kdf": {"name": "scrypt", "n": 15, "r": 1, "p": 1}}, "power of two"),
        ({"kdf": {"name": "scrypt", "n": 2**30, "r": 8, "p": 1}}, "256 MiB"),
        ({"kdf": "scrypt"}, "kdf"),
        ({"extra": 1}, "exactly"),
    ],
)
def test_malformed_records_are_refused(changes: dict[str, object], reason: str) -> None:
    with pytest.raises(MalformedSealedShare, match=reason):
        SealedShare.from_dict(_record() | changes)


def test_missing_field_is_refused() -> None:
    data = _record()
    del data["check"]
    with pytest.raises(MalformedSealedShare, match="exactly"):
        SealedShare.from_dict(data)


def test_non_object_is_refused() -> None:
    with pytest.raises(MalformedSealedShare):
        SealedShare.from_dict([1, 2])  # type: ignore[arg-type]


# --- splitting and recovery -------------------------------------------------------------------


def test_split_gives_each_member_a_distinct_share(sealed_shares: list[tuple[str, SealedShare]]) -> None:
    assert [m for m, _ in sealed_shares] == [m for m, _ in MEMBERS]
    assert [s.x for _, s in sealed_shares] == [1, 2, 3, 4]
    assert all(s.member_id == m and s.lot_id == LOT and s.threshold == 3 for m, s in sealed_shares)


def test_every_quorum_recovers_the_key(keys: LotKeyPair, opened: list[tuple[str, Share]]) -> None:
    for size in (3, 4):
        for subset in itertools.combinations(opened, size):
            assert recover_lot_key(list(subset), keys.public_key) == keys.private_scalar


def test_one_short_of_quorum_is_refused(keys: LotKeyPair, opened: list[tuple[str, Share]]) -> None:
    for subset in itertools.combinations(opened, 2):
        with pytest.raises(QuorumNotMet, match="needs 3"):
            recover_lot_key(list(subset), keys.public_key)


def test_k_minus_one_shares_give_a_wrong_key_that_is_caught(keys: LotKeyPair, opened: list[tuple[str, Share]]) -> None:
    # Shares that lie about the threshold get past the quorum count but not the public-key check.
    lied = [(m, Share(x=s.x, y=s.y, threshold=2)) for m, s in opened[:2]]
    with pytest.raises(ShareMismatch, match="cannot be told which"):
        recover_lot_key(lied, keys.public_key)


def test_wrong_share_with_exactly_quorum(keys: LotKeyPair, opened: list[tuple[str, Share]]) -> None:
    member, share = opened[1]
    bad = [opened[0], (member, Share(x=share.x, y=(share.y + 1) % Q, threshold=3)), opened[2]]
    with pytest.raises(ShareMismatch) as caught:
        recover_lot_key(bad, keys.public_key)
    assert caught.value.suspect_members == ()


def test_wrong_share_beyond_quorum_names_the_member(keys: LotKeyPair, opened: list[tuple[str, Share]]) -> None:
    member, share = opened[2]
    bad = list(opened)
    bad[2] = (member, Share(x=share.x, y=(share.y * 7) % Q, threshold=3))
    with pytest.raises(ShareMismatch, match="'chyngyz'") as caught:
        recover_lot_key(bad, keys.public_key)
    assert caught.value.suspect_members == ("chyngyz",)
    # The named member is left out and the opening goes on.
    assert recover_lot_key([p for p in bad if p[0] != "chyngyz"], keys.public_key) == keys.private_scalar


def test_too_many_wrong_shares(keys: LotKeyPair, opened: list[tuple[str, Share]]) -> None:
    bad = [(m, Share(x=s.x, y=(s.y * f) % Q, threshold=3)) for f, (m, s) in zip((7, 11), opened[:2], strict=True)]
    with pytest.raises(ShareMismatch, match="too many") as caught:
        recover_lot_key([*bad, *opened[2:]], keys.public_key)
    assert caught.value.suspect_members == ()


def _shares(count: int, threshold: int, lot: LotKeyPair) -> list[tuple[str, Share]]:
    names = [f"m{i}" for i in range(1, count + 1)]
    return list(zip(names, split(lot.private_scalar, threshold, count), strict=True))


def _shift(pair: tuple[str, Share], delta: int) -> tuple[str, Share]:
    member, share = pair
    return member, Share(x=share.x, y=(share.y + delta) % Q, threshold=share.threshold)


def test_two_wrong_shares_among_six_are_both_named() -> None:
    lot = generate_lot_key_pair()
    shares = _shares(6, 3, lot)
    shares[0] = _shift(shares[0], 12345)
    shares[3] = _shift(shares[3], 999)
    with pytest.raises(ShareMismatch, match="'m1', 'm4'") as caught:
        recover_lot_key(shares, lot.public_key)
    assert caught.value.suspect_members == ("m1", "m4")


def test_extra_share_that_leaves_the_secret_unchanged_is_still_caught() -> None:
    # Five points interpolated together can still hit the secret at 0 with two wrong shares
    # (here the error polynomial through them vanishes at 0); the extra shares must each fit.
    # Two wrong of five at threshold 3 is past the decoding radius, so nobody is named.
    lot = generate_lot_key_pair()
    shares = _shares(5, 3, lot)
    shares[0] = _shift(shares[0], 12345)
    shares[3] = _shift(shares[3], 12345)
    with pytest.raises(ShareMismatch, match="too many") as caught:
        recover_lot_key(shares, lot.public_key)
    assert caught.value.suspect_members == ()


def test_shares_shifted_to_keep_the_secret_are_still_found() -> None:
    # q(x) = x(x - 3) vanishes at 0 and at m3's x: m1, m2, m3 then reproduce the key together,
    # so naming must not trust the first reproducing subset.
    lot = generate_lot_key_pair()
    shares = _shares(6, 3, lot)
    for i in (0, 1):
        shares[i] = _shift(shares[i], shares[i][1].x * (shares[i][1].x - 3))
    with pytest.raises(ShareMismatch) as caught:
        recover_lot_key(shares, lot.public_key)
    assert caught.value.suspect_members == ("m1", "m2")


def test_nobody_is_named_beyond_the_decoding_radius() -> None:
    # Six shares, threshold 3: two wrong shares can be told apart, three cannot.
    lot = generate_lot_key_pair()
    shares = _shares(6, 3, lot)
    for i in (0, 2, 4):
        shares[i] = _shift(shares[i], 7 + i)
    with pytest.raises(ShareMismatch, match="too many") as caught:
        recover_lot_key(shares, lot.public_key)
    assert caught.value.suspect_members == ()


def test_colluding_pair_can_shift_blame_within_the_radius() -> None:
    # The limit of what shares alone can show, pinned so nobody mistakes naming for proof:
    # with 4 shares and threshold 3, two members shifting theirs by x(x - 3) look exactly like
    # one wrong share from m4. Blame is a lead to investigate; the key itself is never wrong.
    lot = generate_lot_key_pair()
    shares = _shares(4, 3, lot)
    for i in (0, 1):
        shares[i] = _shift(shares[i], shares[i][1].x * (shares[i][1].x - 3))
    with pytest.raises(ShareMismatch) as caught:
        recover_lot_key(shares, lot.public_key)
    assert caught.value.suspect_members == ("m4",)


def test_all_shares_from_another_lot(keys: LotKeyPair) -> None:
    other = _shares(4, 3, generate_lot_key_pair())
    with pytest.raises(ShareMismatch, match="another lot"):
        recover_lot_key(other, keys.public_key)


def test_share_from_another_lot_is_caught(keys: LotKeyPair, opened: list[tuple[str, Share]]) -> None:
    other = split(generate_lot_key_pair().private_scalar, 3, 4)
    mixed = [*opened[:3], ("dinara", other[3])]
    with pytest.raises(ShareMismatch) as caught:
        recover_lot_key(mixed, keys.public_key)
    assert caught.value.suspect_members == ("dinara",)


def test_recovery_against_another_lots_public_key(opened: list[tuple[str, Share]]) -> None:
    with pytest.raises(ShareMismatch):
        recover_lot_key(opened[:3], generate_lot_key_pair().public_key)


def test_duplicate_member_or_index_is_refused(keys: LotKeyPair, opened: list[tuple[str, Share]]) -> None:
    with pytest.raises(QuorumNotMet, match="twice"):
        recover_lot_key([opened[0], opened[0], opened[1]], keys.public_key)
    with pytest.raises(QuorumNotMet, match="same index"):
        recover_lot_key([opened[0], ("zed", opened[0][1]), opened[1]], keys.public_key)


def test_mixed_thresholds_are_refused(keys: LotKeyPair, opened: list[tuple[str, Share]]) -> None:
    member, share = opened[0]
    with pytest.raises(ShareMismatch, match="threshold"):
        recover_lot_key([(member, Share(share.x, share.y, 2)), *opened[1:3]], keys.public_key)


def test_recovery_needs_shares_and_a_valid_public_key(keys: LotKeyPair, opened: list[tuple[str, Share]]) -> None:
    with pytest.raises(QuorumNotMet):
        recover_lot_key([], keys.public_key)
    with pytest.raises(CommissionError, match="65-byte"):
        recover_lot_key(opened, keys.public_key[1:])


def test_split_checks_everything_before_sealing(keys: LotKeyPair) -> None:
    with pytest.raises(WeakPassphrase, match="'weak'"):
        split_lot_key(keys.private_scalar, 2, [*MEMBERS, ("weak", "too short")], LOT, kdf=FAST)
    with pytest.raises(CommissionError, match="only once"):
        split_lot_key(keys.private_scalar, 2, [*MEMBERS, MEMBERS[0]], LOT, kdf=FAST)
    with pytest.raises(CommissionError, match="threshold"):
        split_lot_key(keys.private_scalar, 5, MEMBERS, LOT, kdf=FAST)
    with pytest.raises(CommissionError):
        split_lot_key(keys.private_scalar, 2, [("a|b", "long enough passphrase"), *MEMBERS], LOT, kdf=FAST)
    with pytest.raises(CommissionError):
        split_lot_key(0, 2, MEMBERS, LOT, kdf=FAST)


def test_sealed_lot_end_to_end() -> None:
    """Publish, bid, open with a quorum, publish the key, and let anyone decrypt every bid."""
    lot = generate_lot_key_pair()
    custody = dict(split_lot_key(lot.private_scalar, 2, MEMBERS[:3], LOT, kdf=FAST))
    records = {member: json.dumps(sealed.to_dict()) for member, sealed in custody.items()}
    public_key = lot.public_key
    del lot, custody  # the server keeps only the public key and the sealed records

    bids = {"bidder-a": 1_500_000_00, "bidder-b": 1_499_999_99, "bidder-c": 2_000_000_00}
    stored = {who: encrypt_bid(public_key, LOT, who, amount) for who, amount in bids.items()}

    opened = [
        (m, open_share(SealedShare.from_dict(json.loads(records[m])), PASSPHRASES[m], LOT, m))
        for m in ("chyngyz", "aida")
    ]
    published = encode_private_key(recover_lot_key(opened, public_key))

    # The inspector's side: the published key alone opens every bid.
    private = decode_private_key(published)
    assert {who: decrypt_bid(private, LOT, who, ct) for who, ct in stored.items()} == bids
