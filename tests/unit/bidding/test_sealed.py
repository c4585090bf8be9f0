"""Sealed-bid encryption v2 (docs/keys.md 2.3): wire format, tamper resistance and strict parsing."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from auction.ledger.verifier import group
from auction.ledger.verifier.sealed import (
    CIPHERTEXT_LENGTH,
    CIPHERTEXT_TEXT_LENGTH,
    MAX_AMOUNT,
    DecryptionFailed,
    InvalidBidAmount,
    InvalidKey,
    MalformedCiphertext,
    SealedBidError,
    b64url_decode,
    b64url_encode,
    bid_plaintext,
    ciphertext_hash,
    decrypt_bid,
    encrypt_bid,
    ephemeral_of,
    parse_bid_plaintext,
    validate_ciphertext,
)

LOT = 1017
BIDDER = "Участник-3"


@dataclass(frozen=True)
class Keys:
    """A joint key whose secret a test knows (in the platform nobody does; the members' shares recombine S)."""

    secret: int
    public_key: bytes


@pytest.fixture(scope="module")
def keys() -> Keys:
    secret = group.random_scalar()
    return Keys(secret, group.base_mul(secret))


def open_with(secret: int, lot: int, bidder: str, ciphertext: str) -> int:
    shared = group.mul(secret, ephemeral_of(ciphertext))
    return decrypt_bid(shared, group.base_mul(secret), lot, bidder, ciphertext)


def flip(ciphertext: str, index: int, bit: int = 0) -> str:
    raw = bytearray(b64url_decode(ciphertext))
    raw[index] ^= 1 << bit
    return b64url_encode(bytes(raw))


def spec_seal(public_key: bytes, aad: bytes, plaintext: bytes) -> str:
    """The v2 format built straight from the written spec, independent of sealed.py's code."""
    r = group.random_scalar()
    big_r = group.base_mul(r)
    key = HKDF(hashes.SHA256(), 32, big_r + public_key, b"achyk sealed bid v2").derive(group.mul(r, public_key))
    iv = os.urandom(12)
    return b64url_encode(b"\x02" + big_r + iv + AESGCM(key).encrypt(iv, plaintext, aad))


def aad_for(lot: int, bidder: str) -> bytes:
    return f"achyk-sealed-bid/v2|lot={lot}|bidder={bidder}".encode()


# --- encodings ------------------------------------------------------------------------------


@pytest.mark.parametrize("length", range(40))
def test_b64url_round_trip(length: int) -> None:
    data = os.urandom(length)
    text = b64url_encode(data)
    assert "=" not in text
    assert b64url_decode(text) == data


@pytest.mark.parametrize("text", ["AA==", "A+8", "A/8", "A", "AAAAA", "AB", "A A", "AÄ"])
def test_b64url_decode_is_strict(text: str) -> None:
    with pytest.raises(ValueError, match=r"base64url|canonical"):
        b64url_decode(text)


def test_load_public_key_refuses_non_points(keys: Keys) -> None:
    for bad in (keys.public_key[:-1], group.IDENTITY, bytes(32), b"\xff" * 32):
        with pytest.raises(InvalidKey):
            encrypt_bid(bad, LOT, BIDDER, 1)


# --- plaintext ------------------------------------------------------------------------------


@pytest.mark.parametrize("amount", [1, 9, 10, 12_500_050, MAX_AMOUNT])
def test_plaintext_is_json_stringify_padded(amount: int) -> None:
    plaintext = bid_plaintext(amount)
    assert len(plaintext) == 32
    assert plaintext.rstrip(b" ") == json.dumps({"amount": amount}, separators=(",", ":")).encode()
    assert json.loads(plaintext) == {"amount": amount}
    assert parse_bid_plaintext(plaintext) == amount


@pytest.mark.parametrize(
    "body",
    [
        b'{"amount":0}',
        b'{"amount":01}',
        b'{"amount":+1}',
        b'{"amount":-1}',
        b'{"amount":1.0}',
        b'{"amount":1e3}',
        b'{"amount":"5"}',
        b'{"amount":1000000000000001}',
        b'{ "amount":1}',
        b' {"amount":1}',
        b'{"amount":1,"x":2}',
        b'{"Amount":1}',
        b"[1]",
    ],
)
def test_parse_plaintext_refuses_anything_else(body: bytes) -> None:
    with pytest.raises(InvalidBidAmount):
        parse_bid_plaintext(body.ljust(32, b" "))


@pytest.mark.parametrize(
    "plaintext",
    [b'{"amount":1}', b'{"amount":1}'.ljust(33, b" "), b'{"amount":1}'.ljust(32, b"\t")],
)
def test_parse_plaintext_refuses_wrong_padding(plaintext: bytes) -> None:
    with pytest.raises(InvalidBidAmount):
        parse_bid_plaintext(plaintext)


@pytest.mark.parametrize("amount", [0, -1, MAX_AMOUNT + 1, True, 1.0, "5", None])
def test_encrypt_refuses_bad_amounts(keys: Keys, amount: object) -> None:
    with pytest.raises(InvalidBidAmount):
        encrypt_bid(keys.public_key, LOT, BIDDER, amount)  # type: ignore[arg-type]


# --- round trips ----------------------------------------------------------------------------


@pytest.mark.parametrize("amount", [1, 99, 100, 12_345_678, 2**31, 2**53 // 10, MAX_AMOUNT])
def test_round_trip(keys: Keys, amount: int) -> None:
    ciphertext = encrypt_bid(keys.public_key, LOT, BIDDER, amount)
    assert len(ciphertext) == CIPHERTEXT_TEXT_LENGTH
    assert open_with(keys.secret, LOT, BIDDER, ciphertext) == amount


def test_length_does_not_reveal_amount(keys: Keys) -> None:
    lengths = {len(encrypt_bid(keys.public_key, LOT, BIDDER, a)) for a in (1, 10**7, MAX_AMOUNT)}
    assert lengths == {CIPHERTEXT_TEXT_LENGTH}


def test_encryption_is_randomised(keys: Keys) -> None:
    first = encrypt_bid(keys.public_key, LOT, BIDDER, 500)
    second = encrypt_bid(keys.public_key, LOT, BIDDER, 500)
    assert first != second
    assert ephemeral_of(first) != ephemeral_of(second)


def test_spec_built_ciphertext_opens(keys: Keys) -> None:
    ciphertext = spec_seal(keys.public_key, aad_for(LOT, BIDDER), bid_plaintext(777))
    assert open_with(keys.secret, LOT, BIDDER, ciphertext) == 777


def test_encrypt_bid_matches_spec(keys: Keys) -> None:
    raw = b64url_decode(encrypt_bid(keys.public_key, LOT, BIDDER, 4242))
    assert len(raw) == CIPHERTEXT_LENGTH == 93
    assert raw[0] == 2
    shared = group.mul(keys.secret, raw[1:33])
    key = HKDF(hashes.SHA256(), 32, raw[1:33] + keys.public_key, b"achyk sealed bid v2").derive(shared)
    plaintext = AESGCM(key).decrypt(raw[33:45], raw[45:], aad_for(LOT, BIDDER))
    assert plaintext == b'{"amount":4242}'.ljust(32, b" ")


def test_authenticated_non_bid_is_reported_as_invalid_amount(keys: Keys) -> None:
    ciphertext = spec_seal(keys.public_key, aad_for(LOT, BIDDER), b'{"amount":0}'.ljust(32))
    with pytest.raises(InvalidBidAmount):
        open_with(keys.secret, LOT, BIDDER, ciphertext)


# --- tampering ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sealed(keys: Keys) -> str:
    return encrypt_bid(keys.public_key, LOT, BIDDER, 1_000_000)


@pytest.mark.parametrize("index", range(1, 33))
def test_flipped_ephemeral_key_bit_is_refused(keys: Keys, sealed: str, index: int) -> None:
    # A non-point or small-order point is caught structurally; any other point by the tag.
    with pytest.raises((MalformedCiphertext, DecryptionFailed)):
        open_with(keys.secret, LOT, BIDDER, flip(sealed, index, bit=index % 8))


@pytest.mark.parametrize(("start", "end"), [(33, 45), (45, 77), (77, 93)])
def test_flipped_bit_in_each_byte_fails_decryption(keys: Keys, sealed: str, start: int, end: int) -> None:
    for index in range(start, end):
        with pytest.raises(DecryptionFailed):
            open_with(keys.secret, LOT, BIDDER, flip(sealed, index, bit=index % 8))


@pytest.mark.parametrize("bit", range(8))
def test_flipped_version_bit_is_malformed(keys: Keys, sealed: str, bit: int) -> None:
    with pytest.raises(MalformedCiphertext):
        open_with(keys.secret, LOT, BIDDER, flip(sealed, 0, bit))


def test_wrong_lot_fails(keys: Keys, sealed: str) -> None:
    with pytest.raises(DecryptionFailed):
        open_with(keys.secret, LOT + 1, BIDDER, sealed)


@pytest.mark.parametrize("other", ["Участник-4", "участник-3", "Участник-3 ", "Bidder"])
def test_wrong_pseudonym_fails(keys: Keys, sealed: str, other: str) -> None:
    with pytest.raises(DecryptionFailed):
        open_with(keys.secret, LOT, other, sealed)


def test_wrong_key_fails(sealed: str) -> None:
    with pytest.raises(DecryptionFailed):
        open_with(group.random_scalar(), LOT, BIDDER, sealed)


@pytest.mark.parametrize("pseudonym", ["", "a|b", "tab\there", "nul\x00", "\ud800", "x" * 201, 7])
def test_bad_pseudonyms_are_refused(keys: Keys, pseudonym: object) -> None:
    with pytest.raises(SealedBidError):
        encrypt_bid(keys.public_key, LOT, pseudonym, 1)  # type: ignore[arg-type]


@pytest.mark.parametrize("lot_id", [0, -5, True, "1017", 1.0])
def test_bad_lot_ids_are_refused(keys: Keys, lot_id: object) -> None:
    with pytest.raises(SealedBidError):
        encrypt_bid(keys.public_key, lot_id, BIDDER, 1)  # type: ignore[arg-type]


# --- structural validation ------------------------------------------------------------------


def test_validate_returns_raw_bytes(sealed: str) -> None:
    assert validate_ciphertext(sealed) == b64url_decode(sealed)


def test_hash_is_sha256_of_raw_bytes(sealed: str) -> None:
    assert ciphertext_hash(sealed) == hashlib.sha256(b64url_decode(sealed)).hexdigest()


def test_hash_refuses_malformed() -> None:
    with pytest.raises(MalformedCiphertext):
        ciphertext_hash("not base64!")


def _malformed_cases(sealed: str) -> list[tuple[object, str]]:
    raw = b64url_decode(sealed)
    return [
        (b"bytes", "must be text"),
        ("", "empty"),
        ("A" * 2000, "2000 characters"),
        (sealed + "=", "alphabet"),
        (sealed[:-1] + "+", "alphabet"),
        (sealed[:10] + " " + sealed[11:], "alphabet"),
        (sealed[:-1], "impossible|canonical|bytes"),
        (b64url_encode(b"\x01" + raw[1:]), "version 1"),
        (b64url_encode(b"\x00" + raw[1:]), "version 0"),
        (b64url_encode(raw[:-1]), "92 bytes"),
        (b64url_encode(raw + b"\x00"), "94 bytes"),
        (b64url_encode(raw[:1] + group.IDENTITY + raw[33:]), "not a point"),
        (b64url_encode(raw[:1] + b"\xff" * 32 + raw[33:]), "not a point"),
    ]


def test_malformed_ciphertexts_are_refused_with_a_reason(sealed: str) -> None:
    for bad, reason in _malformed_cases(sealed):
        with pytest.raises(MalformedCiphertext, match=reason):
            validate_ciphertext(bad)  # type: ignore[arg-type]


def test_decrypt_validates_first(keys: Keys, sealed: str) -> None:
    for bad, _ in _malformed_cases(sealed):
        with pytest.raises(MalformedCiphertext):
            decrypt_bid(group.base_mul(1), keys.public_key, LOT, BIDDER, bad)  # type: ignore[arg-type]


def test_modules_import_only_what_the_verifier_may() -> None:
    # The inspector's offline verifier installs nothing but `cryptography`, `rfc8785` and PyNaCl.
    probe = (
        "import sys\n"
        "before = set(sys.modules)\n"
        "import auction.ledger.verifier.sealed, auction.ledger.verifier.dkg, auction.ledger.verifier.group\n"
        "roots = {name.split('.')[0] for name in set(sys.modules) - before}\n"
        # _openssl and _cffi_backend are loaded by cryptography and PyNaCl themselves, not by our code.
        "allowed = set(sys.stdlib_module_names) | {'auction', 'cryptography', 'rfc8785', 'nacl', '_openssl',"
        " '_cffi_backend', '_sodium'}\n"
        "print(sorted(roots - allowed))\n"
    )
    root = Path(__file__).resolve().parents[3]
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=root, capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]"
