"""Sealed-bid encryption: wire format, tamper resistance and strict parsing."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from auction.ledger.verifier.sealed import (
    CIPHERTEXT_LENGTH,
    CIPHERTEXT_TEXT_LENGTH,
    MAX_AMOUNT,
    DecryptionFailed,
    InvalidBidAmount,
    InvalidKey,
    LotKeyPair,
    MalformedCiphertext,
    Q,
    SealedBidError,
    b64url_decode,
    b64url_encode,
    bid_plaintext,
    ciphertext_hash,
    decode_private_key,
    decrypt_bid,
    encode_private_key,
    encrypt_bid,
    generate_lot_key_pair,
    load_public_key,
    parse_bid_plaintext,
    public_key_for,
    validate_ciphertext,
)

LOT = 1017
BIDDER = "Участник-3"

# Produced by web/static/js/sealed-bid.js in Node 20; pins the v1 format against silent drift.
VECTOR_SCALAR = 0x6FBBB7F5EAFD75F7EC6A7991CC2151F596050618D9CAA95BA4AB0465F15E1351
VECTOR_PUBLIC = "BMjkGz_te9nys30yoPFkhdS57bptHmr1Viy84ISIrT7SCE7DxGXlXtIPHxtgqWBCc0sfB6zZyoL3eVEAhHkDCyE"
VECTOR_CIPHERTEXT = (
    "AQTIOCoNAhFNj_iSplVCNTIOtM0DlB7ctJBzwDJESIatil0OnT8LP3f-SjqODVarDuHJVjMOAKSAnJqLXU392vNIqmHoUTBov2PT"
    "IsIUGGndD8VLH94ZFOQuIu-Wd9nxB5EAbbFwf0zAXOY71WWSKhw192PFf-jQOFzoTaQ4"
)
VECTOR_AMOUNT = 12_500_050


@pytest.fixture(scope="module")
def keys() -> LotKeyPair:
    return generate_lot_key_pair()


def flip(ciphertext: str, index: int, bit: int = 0) -> str:
    raw = bytearray(b64url_decode(ciphertext))
    raw[index] ^= 1 << bit
    return b64url_encode(bytes(raw))


def spec_seal(public_key: bytes, aad: bytes, plaintext: bytes, *, salt: bytes | None) -> str:
    """The v1 format built straight from the written spec, independent of sealed.py's code."""
    ephemeral = ec.generate_private_key(ec.SECP256R1())
    lot_key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), public_key)
    shared = ephemeral.exchange(ec.ECDH(), lot_key)
    key = HKDF(hashes.SHA256(), 32, salt, b"achyk sealed bid v1").derive(shared)
    iv = os.urandom(12)
    point = ephemeral.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return b64url_encode(b"\x01" + point + iv + AESGCM(key).encrypt(iv, plaintext, aad))


def aad_for(lot: int, bidder: str) -> bytes:
    return f"achyk-sealed-bid/v1|lot={lot}|bidder={bidder}".encode()


# --- keys and encodings ---------------------------------------------------------------------


def test_key_pair_shape(keys: LotKeyPair) -> None:
    assert 1 <= keys.private_scalar < Q
    assert len(keys.public_key) == 65
    assert keys.public_key[0] == 0x04
    assert public_key_for(keys.private_scalar) == keys.public_key
    assert str(keys.private_scalar) not in repr(keys)
    assert hex(keys.private_scalar) not in repr(keys)


def test_private_key_publication_round_trip(keys: LotKeyPair) -> None:
    text = encode_private_key(keys.private_scalar)
    assert len(b64url_decode(text)) == 32
    assert decode_private_key(text) == keys.private_scalar


@pytest.mark.parametrize("bad", [b64url_encode((0).to_bytes(32, "big")), b64url_encode(Q.to_bytes(32, "big"))])
def test_decode_private_key_refuses_out_of_range(bad: str) -> None:
    with pytest.raises(InvalidKey):
        decode_private_key(bad)


def test_decode_private_key_refuses_wrong_length() -> None:
    with pytest.raises(InvalidKey, match="32 bytes"):
        decode_private_key(b64url_encode(b"\x01" * 31))


@pytest.mark.parametrize("scalar", [0, Q, -1, True])
def test_encode_private_key_refuses_non_scalars(scalar: int) -> None:
    with pytest.raises(InvalidKey):
        encode_private_key(scalar)


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


def test_load_public_key_refuses_compressed_and_off_curve(keys: LotKeyPair) -> None:
    x = keys.public_key[1:33]
    with pytest.raises(InvalidKey):
        load_public_key(b"\x02" + x)
    with pytest.raises(InvalidKey, match="not a point"):
        load_public_key(keys.public_key[:-1] + bytes([keys.public_key[-1] ^ 1]))


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
def test_encrypt_refuses_bad_amounts(keys: LotKeyPair, amount: object) -> None:
    with pytest.raises(InvalidBidAmount):
        encrypt_bid(keys.public_key, LOT, BIDDER, amount)  # type: ignore[arg-type]


# --- round trips ----------------------------------------------------------------------------


@pytest.mark.parametrize("amount", [1, 99, 100, 12_345_678, 2**31, 2**53 // 10, MAX_AMOUNT])
def test_round_trip(keys: LotKeyPair, amount: int) -> None:
    ciphertext = encrypt_bid(keys.public_key, LOT, BIDDER, amount)
    assert len(ciphertext) == CIPHERTEXT_TEXT_LENGTH
    assert decrypt_bid(keys.private_scalar, LOT, BIDDER, ciphertext) == amount


def test_length_does_not_reveal_amount(keys: LotKeyPair) -> None:
    lengths = {len(encrypt_bid(keys.public_key, LOT, BIDDER, a)) for a in (1, 10**7, MAX_AMOUNT)}
    assert lengths == {CIPHERTEXT_TEXT_LENGTH}


def test_encryption_is_randomised(keys: LotKeyPair) -> None:
    first = encrypt_bid(keys.public_key, LOT, BIDDER, 500)
    second = encrypt_bid(keys.public_key, LOT, BIDDER, 500)
    assert first != second
    assert b64url_decode(first)[1:66] != b64url_decode(second)[1:66]


def test_browser_test_vector_still_opens() -> None:
    assert public_key_for(VECTOR_SCALAR) == b64url_decode(VECTOR_PUBLIC)
    assert decrypt_bid(VECTOR_SCALAR, LOT, BIDDER, VECTOR_CIPHERTEXT) == VECTOR_AMOUNT


@pytest.mark.parametrize("salt", [None, b"", b"\x00" * 32])
def test_spec_built_ciphertext_opens(keys: LotKeyPair, salt: bytes | None) -> None:
    # Empty salt, absent salt and 32 zero bytes must agree, or browsers and Python would diverge.
    ciphertext = spec_seal(keys.public_key, aad_for(LOT, BIDDER), bid_plaintext(777), salt=salt)
    assert decrypt_bid(keys.private_scalar, LOT, BIDDER, ciphertext) == 777


def test_encrypt_bid_matches_spec(keys: LotKeyPair) -> None:
    raw = b64url_decode(encrypt_bid(keys.public_key, LOT, BIDDER, 4242))
    assert len(raw) == CIPHERTEXT_LENGTH
    assert raw[0] == 1
    ephemeral = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw[1:66])
    lot_private = ec.derive_private_key(keys.private_scalar, ec.SECP256R1())
    key = HKDF(hashes.SHA256(), 32, b"", b"achyk sealed bid v1").derive(lot_private.exchange(ec.ECDH(), ephemeral))
    plaintext = AESGCM(key).decrypt(raw[66:78], raw[78:], aad_for(LOT, BIDDER))
    assert plaintext == b'{"amount":4242}'.ljust(32, b" ")


def test_authenticated_non_bid_is_reported_as_invalid_amount(keys: LotKeyPair) -> None:
    ciphertext = spec_seal(keys.public_key, aad_for(LOT, BIDDER), b'{"amount":0}'.ljust(32), salt=None)
    with pytest.raises(InvalidBidAmount):
        decrypt_bid(keys.private_scalar, LOT, BIDDER, ciphertext)


# --- tampering ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sealed(keys: LotKeyPair) -> str:
    return encrypt_bid(keys.public_key, LOT, BIDDER, 1_000_000)


@pytest.mark.parametrize("index", range(1, 66))
def test_flipped_ephemeral_key_bit_is_refused(keys: LotKeyPair, sealed: str, index: int) -> None:
    # An off-curve point is caught structurally; the one-in-2**256 on-curve flip by the tag.
    with pytest.raises((MalformedCiphertext, DecryptionFailed)):
        decrypt_bid(keys.private_scalar, LOT, BIDDER, flip(sealed, index, bit=index % 8))


@pytest.mark.parametrize(("region", "start", "end"), [("iv", 66, 78), ("ciphertext", 78, 110), ("tag", 110, 126)])
def test_flipped_bit_in_each_byte_fails_decryption(
    keys: LotKeyPair, sealed: str, region: str, start: int, end: int
) -> None:
    for index in range(start, end):
        for bit in (0, 7):
            with pytest.raises(DecryptionFailed):
                decrypt_bid(keys.private_scalar, LOT, BIDDER, flip(sealed, index, bit))


@pytest.mark.parametrize("bit", range(8))
def test_flipped_version_bit_is_malformed(keys: LotKeyPair, sealed: str, bit: int) -> None:
    with pytest.raises(MalformedCiphertext, match="version"):
        decrypt_bid(keys.private_scalar, LOT, BIDDER, flip(sealed, 0, bit))


def test_wrong_lot_fails(keys: LotKeyPair, sealed: str) -> None:
    with pytest.raises(DecryptionFailed, match="another lot or bidder"):
        decrypt_bid(keys.private_scalar, LOT + 1, BIDDER, sealed)


@pytest.mark.parametrize("other", ["Участник-4", "участник-3", "Участник-3 ", "Bidder"])
def test_wrong_pseudonym_fails(keys: LotKeyPair, sealed: str, other: str) -> None:
    with pytest.raises(DecryptionFailed):
        decrypt_bid(keys.private_scalar, LOT, other, sealed)


def test_wrong_key_fails(sealed: str) -> None:
    with pytest.raises(DecryptionFailed):
        decrypt_bid(generate_lot_key_pair().private_scalar, LOT, BIDDER, sealed)


# --- labels ---------------------------------------------------------------------------------


@pytest.mark.parametrize("pseudonym", ["", "a|b", "tab\there", "nul\x00", "\ud800", "x" * 201, 7])
def test_bad_pseudonyms_are_refused(keys: LotKeyPair, pseudonym: object) -> None:
    with pytest.raises(SealedBidError):
        encrypt_bid(keys.public_key, LOT, pseudonym, 1)  # type: ignore[arg-type]


@pytest.mark.parametrize("lot_id", [0, -5, True, "1017", 1.0])
def test_bad_lot_ids_are_refused(keys: LotKeyPair, lot_id: object) -> None:
    with pytest.raises(SealedBidError):
        encrypt_bid(keys.public_key, lot_id, BIDDER, 1)  # type: ignore[arg-type]


# --- structural validation ------------------------------------------------------------------


def test_validate_returns_raw_bytes(sealed: str) -> None:
    assert validate_ciphertext(sealed) == b64url_decode(sealed)


def test_hash_is_sha256_of_raw_bytes(sealed: str) -> None:
    assert ciphertext_hash(sealed) == hashlib.sha256(b64url_decode(sealed)).hexdigest()
    assert sealed != VECTOR_CIPHERTEXT
    assert ciphertext_hash(VECTOR_CIPHERTEXT) != ciphertext_hash(sealed)


def test_hash_refuses_malformed() -> None:
    with pytest.raises(MalformedCiphertext):
        ciphertext_hash("not base64!")


def _malformed_cases(sealed: str) -> list[tuple[object, str]]:
    raw = b64url_decode(sealed)
    x, y = raw[2:34], int.from_bytes(raw[34:66], "big")
    p256_p = 2**256 - 2**224 + 2**192 + 2**96 - 1
    off_curve_y = ((y + 1) % p256_p).to_bytes(32, "big")
    return [
        (b"bytes", "must be text"),
        ("", "empty"),
        ("A" * 2000, "2000 characters"),
        (sealed + "=", "alphabet"),
        (sealed[:-1] + "+", "alphabet"),
        (sealed[:10] + " " + sealed[11:], "alphabet"),
        (sealed[:-1], "impossible|canonical|bytes"),
        (b64url_encode(b"\x02" + raw[1:]), "version 2"),
        (b64url_encode(b"\x00" + raw[1:]), "version 0"),
        (b64url_encode(raw[:-1]), "125 bytes"),
        (b64url_encode(raw[:67]), "67 bytes"),
        (b64url_encode(raw + b"\x00"), "127 bytes"),
        (b64url_encode(raw[:1] + b"\x02" + x + raw[34:]), "uncompressed"),
        (b64url_encode(raw[:1] + b"\x04" + x + off_curve_y + raw[66:]), "not a point"),
        (b64url_encode(raw[:1] + b"\x04" + bytes(64) + raw[66:]), "not a point"),
    ]


def test_malformed_ciphertexts_are_refused_with_a_reason(sealed: str) -> None:
    for bad, reason in _malformed_cases(sealed):
        with pytest.raises(MalformedCiphertext, match=reason):
            validate_ciphertext(bad)  # type: ignore[arg-type]


def test_decrypt_validates_first(keys: LotKeyPair, sealed: str) -> None:
    for bad, _ in _malformed_cases(sealed):
        with pytest.raises(MalformedCiphertext):
            decrypt_bid(keys.private_scalar, LOT, BIDDER, bad)  # type: ignore[arg-type]


def test_encrypt_refuses_bad_public_key(keys: LotKeyPair) -> None:
    with pytest.raises(InvalidKey):
        encrypt_bid(keys.public_key[:-1], LOT, BIDDER, 1)


def test_modules_import_only_stdlib_and_cryptography() -> None:
    # The inspector's offline verifier installs nothing but `cryptography`.
    probe = (
        "import sys\n"
        "before = set(sys.modules)\n"
        "import auction.ledger.verifier.sealed, auction.bidding.shamir, auction.bidding.commission\n"
        "roots = {name.split('.')[0] for name in set(sys.modules) - before}\n"
        # _openssl and _cffi_backend are loaded by cryptography itself, not by our code.
        "allowed = set(sys.stdlib_module_names) | {'auction', 'cryptography', '_openssl', '_cffi_backend'}\n"
        "print(sorted(roots - allowed))\n"
    )
    root = Path(__file__).resolve().parents[3]
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=root, capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]"
