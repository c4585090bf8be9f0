"""Signed notes, verifier keys, checkpoints and receipts (C2SP signed-note / tlog-checkpoint)."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from auction.ledger.verifier.note import (
    Checkpoint,
    NoteError,
    Receipt,
    ReceiptEntry,
    VerifierKey,
    add_signature,
    format_vkey,
    is_valid_key_name,
    key_hash,
    open_checkpoint,
    open_note,
    open_receipt,
    parse_vkey,
    sign_checkpoint,
    sign_note,
    sign_receipt,
    split_note,
    verify_note,
)

# The worked example in golang.org/x/mod/sumdb/note's documentation: an independent implementation's output.
GO_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
GO_NOTE = (
    GO_TEXT
    + "\n— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)


def _go_key() -> Ed25519PrivateKey:
    seed = base64.b64decode(GO_SKEY.split("+", 4)[4])[1:]
    return Ed25519PrivateKey.from_private_bytes(seed)


def test_go_reference_vector() -> None:
    key = _go_key()
    assert format_vkey("PeterNeumann", key.public_key()) == GO_VKEY
    assert sign_note(GO_TEXT, "PeterNeumann", key) == GO_NOTE
    assert open_note(GO_NOTE, [parse_vkey(GO_VKEY)]) == (GO_TEXT, ["PeterNeumann"])


def test_vkey_round_trip_and_key_hash() -> None:
    key = Ed25519PrivateKey.generate()
    verifier = VerifierKey.from_public_key("example.com/log", key)
    assert parse_vkey(verifier.vkey) == verifier
    assert verifier.key_id == key_hash("example.com/log", verifier.public_key)
    assert len(verifier.key_id) == 4


@pytest.mark.parametrize(
    ("vkey", "message"),
    [
        ("PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "does not match"),
        ("PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "8 lowercase hex"),
        ("Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "invalid key name"),
        ("PeterNeumann+c74f20a3+Ahpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "0x01"),
        ("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T", "base64"),
        ("PeterNeumann+c74f20a3", "name\\+hash\\+key"),
    ],
)
def test_parse_vkey_is_strict(vkey: str, message: str) -> None:
    with pytest.raises(NoteError, match=message):
        parse_vkey(vkey)


def test_key_names() -> None:
    assert is_valid_key_name("achyk.example.kg/ledger")
    for bad in ["", "a b", "a+b", "a\tb", "a\u00a0b", "a\u2003b", "a\nb"]:
        assert not is_valid_key_name(bad)


def test_open_note_ignores_unknown_keys_and_needs_one_known() -> None:
    mine, other = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    note = add_signature(sign_note("hello\n", "other.example", other), "me.example", mine)
    me = VerifierKey.from_public_key("me.example", mine)
    assert open_note(note, [me]) == ("hello\n", ["me.example"])
    with pytest.raises(NoteError, match="no valid signature from a known key"):
        open_note(note, [VerifierKey.from_public_key("me.example", Ed25519PrivateKey.generate())])
    # Same key material under another name is another key: its signature is unknown, not wrong.
    with pytest.raises(NoteError, match="no valid signature"):
        open_note(note, [VerifierKey.from_public_key("me2.example", mine)])


def test_a_bad_signature_from_a_known_key_rejects_the_note() -> None:
    key = Ed25519PrivateKey.generate()
    note = sign_note("hello\n", "me.example", key)
    forged = note.replace("hello", "hellO")
    with pytest.raises(NoteError, match="invalid signature"):
        verify_note(forged, [VerifierKey.from_public_key("me.example", key)])
    line = note.split("\n")[-2]
    raw = bytearray(base64.b64decode(line.split(" ")[2]))
    raw[10] ^= 1
    tampered = note.replace(line.split(" ")[2], base64.b64encode(bytes(raw)).decode())
    with pytest.raises(NoteError, match="invalid signature"):
        verify_note(tampered, [VerifierKey.from_public_key("me.example", key)])


def test_note_text_may_hold_empty_lines() -> None:
    key = Ed25519PrivateKey.generate()
    text = "a\n\nb\n\n"
    note = sign_note(text, "k", key)
    assert open_note(note, [VerifierKey.from_public_key("k", key)])[0] == text


@pytest.mark.parametrize(
    ("note", "message"),
    [
        ("hello\n— k AAAAAAA=\n", "no empty line"),
        ("hello\n\n— k AAAAAAA=", "end with a newline"),
        ("hello\n\n", "non-empty"),
        ("hello\n\n-- k AAAAAAA=\n", "em dash"),
        ("hello\n\n—k AAAAAAA=\n", "em dash"),
        ("hello\n\n— k\n", "'— <name> <base64>'"),
        ("hello\n\n— k AAAA\n", "too short"),
        ("hello\n\n— k AAAAAA==\n", "too short"),
        ("hello\n\n— k AAAAAAB=\n", "canonical base64"),
        ("hello\n\n— k AAAAAAA\n", "base64"),
        ("hel\tlo\n\n— k AAAAAAA=\n", "control character"),
        ("hello\r\n\n— k AAAAAAA=\n", "control character"),
    ],
)
def test_malformed_notes(note: str, message: str) -> None:
    with pytest.raises(NoteError, match=message):
        split_note(note)


def test_too_many_signatures() -> None:
    note = "hello\n\n" + "— k AAAAAAA=\n" * 101
    with pytest.raises(NoteError, match="more than 100"):
        split_note(note)


def test_sign_note_checks_its_input() -> None:
    key = Ed25519PrivateKey.generate()
    with pytest.raises(NoteError, match="end with a newline"):
        sign_note("hello", "k", key)
    with pytest.raises(NoteError, match="invalid key name"):
        sign_note("hello\n", "k k", key)
    with pytest.raises(NoteError, match="control"):
        sign_note("he\x00llo\n", "k", key)


def test_checkpoint_round_trip() -> None:
    key = Ed25519PrivateKey.generate()
    checkpoint = Checkpoint("example.com/log", 20852163, bytes(range(32)))
    assert checkpoint.text() == "example.com/log\n20852163\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n"
    note = sign_checkpoint(checkpoint, "example.com/log", key)
    opened, keys = open_checkpoint(note, [VerifierKey.from_public_key("example.com/log", key)])
    assert opened == checkpoint
    assert [k.name for k in keys] == ["example.com/log"]
    with_ext = Checkpoint("o", 0, bytes(32), ("ext one", "ext two"))
    assert Checkpoint.parse(with_ext.text()) == with_ext


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("o\n08\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n", "leading zeros"),
        ("o\n+8\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n", "leading zeros"),
        ("o\n 8\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n", "leading zeros"),
        ("o\n٨\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n", "leading zeros"),
        ("o\n18446744073709551616\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n", "too large"),
        ("o\n8\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHg==\n", "32 bytes"),
        ("o\n8\nnot base64!\n", "base64"),
        ("o\n8\n", "origin, size and root"),
        ("o\n8\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", "end with a newline"),
        ("\n8\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n", "non-empty"),
        ("o\n8\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n\n", "non-empty"),
    ],
)
def test_checkpoint_parse_is_strict(text: str, message: str) -> None:
    with pytest.raises(NoteError, match=message):
        Checkpoint.parse(text)


def test_receipt_round_trip() -> None:
    key = Ed25519PrivateKey.generate()
    at = datetime(2026, 3, 1, 9, 0, 0, 5, tzinfo=UTC)
    receipt = Receipt("achyk.example.kg/ledger", "ab" * 32, at, 60, ReceiptEntry(7, 12, "bid.withdrawn"))
    assert receipt.text() == (
        "achyk-receipt/v2\nachyk.example.kg/ledger\n" + "ab" * 32 + "\n2026-03-01T09:00:00.000005Z\n60\n"
        "7\n12\nbid.withdrawn\n"
    )
    platform = Receipt("o", "ab" * 32, at, 60, ReceiptEntry(None, 1, "key.rotated"))
    assert platform.text().endswith("\n60\nplatform\n1\nkey.rotated\n")
    assert Receipt.parse(platform.text()) == platform
    note = sign_receipt(receipt, "achyk.example.kg/ledger", key)
    opened, _ = open_receipt(note, [VerifierKey.from_public_key("achyk.example.kg/ledger", key)])
    assert opened == receipt


def test_receipts_issued_before_v2_still_parse() -> None:
    text = "achyk-receipt/v1\no\n" + "ab" * 32 + "\n2026-03-01T09:00:00.000005Z\n60\n"
    receipt = Receipt.parse(text)
    assert receipt.entry is None
    assert receipt.text() == text


@pytest.mark.parametrize(
    "text",
    [
        "achyk-receipt/v2\no\n" + "ab" * 32 + "\n2026-03-01T09:00:00.000005Z\n60\n",
        "achyk-receipt/v3\no\n" + "ab" * 32 + "\n2026-03-01T09:00:00.000005Z\n60\n7\n1\nbid.placed\n",
        "achyk-receipt/v2\no\n" + "ab" * 32 + "\n2026-03-01T09:00:00.000005Z\n60\n07\n1\nbid.placed\n",
        "achyk-receipt/v2\no\n" + "ab" * 32 + "\n2026-03-01T09:00:00.000005Z\n60\n7\n0\nbid.placed\n",
        "achyk-receipt/v2\no\n" + "ab" * 32 + "\n2026-03-01T09:00:00.000005Z\n60\nnull\n1\nbid.placed\n",
        "achyk-receipt/v2\no\n" + "ab" * 32 + "\n2026-03-01T09:00:00.000005Z\n60\n7\n1\nBid Placed\n",
        "achyk-receipt/v1\no\n" + "ab" * 32 + "\n2026-03-01T09:00:00.000005Z\n60\n7\n1\nbid.placed\n",
        "achyk-receipt/v1\no\n" + "AB" * 32 + "\n2026-03-01T09:00:00.000005Z\n60\n",
        "achyk-receipt/v1\no\n" + "ab" * 32 + "\n2026-03-01T09:00:00Z\n60\n",
        "achyk-receipt/v1\no\n" + "ab" * 32 + "\n2026-03-01T09:00:00.000005Z\n060\n",
        "achyk-receipt/v1\no\n" + "ab" * 32 + "\n2026-03-01T09:00:00.000005Z\n60\nextra\n",
        "achyk-receipt/v1\n\n" + "ab" * 32 + "\n2026-03-01T09:00:00.000005Z\n60\n",
    ],
)
def test_receipt_parse_is_strict(text: str) -> None:
    with pytest.raises(NoteError):
        Receipt.parse(text)
