"""Sealed bids: ElGamal KEM to the commission's joint key + HKDF + AES-256-GCM (docs/keys.md 2.3).

Wire format v2, transported as base64url without padding (93 bytes, 124 characters)::

    0x02 || R (32 bytes, edwards25519) || IV (12 bytes) || AES-256-GCM ciphertext (32 bytes) || tag (16 bytes)

    r random, R = r·G, S = r·Y (Y the lot's joint key)
    key = HKDF-SHA256(IKM=S, salt=R || Y, info=b"achyk sealed bid v2", L=32)
    AAD = f"achyk-sealed-bid/v2|lot={lot_id}|bidder={pseudonym}" as UTF-8

Nobody holds the secret of Y: the commission's members each publish D_j = x̂_j·R with a proof, and any k of them
recombine S (auction.ledger.verifier.dkg.combine). Plaintext: ``{"amount":n}`` right-padded with ASCII spaces to
exactly 32 bytes, so the ciphertext length does not disclose how many digits a bid has.

Part of the inspector's offline verifier (standard library, `cryptography` and PyNaCl); the platform imports it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from auction.ledger.verifier import group

WIRE_VERSION = 0x02
POINT_LENGTH = 32
IV_LENGTH = 12
TAG_LENGTH = 16
PLAINTEXT_LENGTH = 32
CIPHERTEXT_LENGTH = 1 + POINT_LENGTH + IV_LENGTH + PLAINTEXT_LENGTH + TAG_LENGTH  # 93 bytes
CIPHERTEXT_TEXT_LENGTH = 124  # base64url characters for CIPHERTEXT_LENGTH bytes, no padding
HKDF_INFO = b"achyk sealed bid v2"
AAD_PREFIX = "achyk-sealed-bid/v2"

MIN_AMOUNT = 1
# Below 2**53, so the browser's Number holds every allowed amount exactly.
MAX_AMOUNT = 10**15

# Generous ceiling checked before decoding, so a hostile request cannot make us decode megabytes.
_MAX_TEXT_LENGTH = 1024
_MAX_LABEL_LENGTH = 200
_B64URL_ALPHABET = re.compile(r"[A-Za-z0-9_-]*")
_PLAINTEXT = re.compile(rb'\{"amount":(0|[1-9][0-9]{0,15})\} *')
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class SealedBidError(Exception):
    """Base of every refusal this module makes."""


class MalformedCiphertext(SealedBidError):
    """The ciphertext is not structurally a v2 sealed bid; it should never be stored."""


class DecryptionFailed(SealedBidError):
    """The ciphertext is well formed but does not open under this key, lot and bidder."""


class InvalidBidAmount(SealedBidError):
    """The amount is not an integer number of tyiyn in [MIN_AMOUNT, MAX_AMOUNT]."""


class InvalidKey(SealedBidError):
    """A lot key is not a valid edwards25519 prime-order-subgroup point."""


def b64url_encode(data: bytes) -> str:
    """base64url without padding (RFC 4648 section 5), the encoding of every binary field here."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Strict inverse of `b64url_encode`: one string per byte string, so hashes cannot be dodged.

    Refuses padding, characters outside the url-safe alphabet and non-zero trailing bits.
    Raises ValueError with the reason (TypeError if `text` is not a str).
    """
    if not isinstance(text, str):
        raise TypeError(f"expected base64url text, got {type(text).__name__}")
    if not _B64URL_ALPHABET.fullmatch(text):
        raise ValueError("contains characters outside the base64url alphabet A-Z a-z 0-9 - _ (no '=')")
    if len(text) % 4 == 1:
        raise ValueError(f"length {len(text)} is impossible for base64url")
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except binascii.Error as exc:
        raise ValueError(f"is not valid base64url: {exc}") from None
    if b64url_encode(data) != text:
        raise ValueError("is not canonical base64url (non-zero trailing bits)")
    return data


def load_public_key(public_key: bytes) -> bytes:
    """A lot's joint key Y, refusing anything but a prime-order-subgroup point other than the identity."""
    try:
        return group.decode_point(public_key, "the lot public key")
    except group.GroupError as exc:
        raise InvalidKey(str(exc)) from None


def bid_plaintext(amount: int) -> bytes:
    """The exact bytes the browser encrypts for `amount` (see the module docstring)."""
    _check_amount(amount)
    return f'{{"amount":{amount}}}'.encode("ascii").ljust(PLAINTEXT_LENGTH, b" ")


def parse_bid_plaintext(plaintext: bytes) -> int:
    """Read an amount back, accepting only what `bid_plaintext` (or the browser) produces."""
    match = _PLAINTEXT.fullmatch(plaintext)
    if len(plaintext) != PLAINTEXT_LENGTH or match is None:
        raise InvalidBidAmount('the sealed bid opened but its content is not {"amount":<integer>} padded to 32 bytes')
    amount = int(match.group(1))
    _check_amount(amount)
    return amount


def bid_aad(lot_id: int, pseudonym: str) -> bytes:
    """Additional authenticated data binding a ciphertext to its lot and bidder."""
    if type(lot_id) is not int or lot_id < 1:
        raise SealedBidError(f"lot_id must be a positive integer, got {lot_id!r}")
    check_label("pseudonym", pseudonym)
    return f"{AAD_PREFIX}|lot={lot_id}|bidder={pseudonym}".encode()


def check_label(name: str, value: str) -> None:
    """Refuse identifiers that would make a '|'-separated AAD ambiguous or differ between JS and Python.

    '|' could shift text from one field into the next; control characters hide in logs; lone
    surrogates are encoded differently by browsers (replaced) and Python (an error).
    """
    if not isinstance(value, str) or not value:
        raise SealedBidError(f"{name} must be a non-empty string")
    if len(value) > _MAX_LABEL_LENGTH:
        raise SealedBidError(f"{name} is longer than {_MAX_LABEL_LENGTH} characters")
    if "|" in value or _CONTROL.search(value):
        raise SealedBidError(f"{name} must not contain '|' or control characters: {value!r}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise SealedBidError(f"{name} is not valid Unicode text (lone surrogate): {value!r}") from None


def encrypt_bid(
    public_key: bytes, lot_id: int, pseudonym: str, amount: int, *, r: int | None = None, iv: bytes | None = None
) -> str:
    """Seal `amount` to the lot's joint key; `r` and `iv` are for test vectors only."""
    joint = load_public_key(public_key)
    aad = bid_aad(lot_id, pseudonym)
    plaintext = bid_plaintext(amount)
    ephemeral = group.random_scalar() if r is None else r
    big_r = group.base_mul(ephemeral)
    key = _derive_key(group.mul(ephemeral, joint), big_r, joint)
    nonce = os.urandom(IV_LENGTH) if iv is None else iv
    body = AESGCM(key).encrypt(nonce, plaintext, aad)
    return b64url_encode(bytes([WIRE_VERSION]) + big_r + nonce + body)


def ephemeral_of(ciphertext: str) -> bytes:
    """R of a well-formed sealed bid: what each member's decryption share multiplies."""
    return validate_ciphertext(ciphertext)[1 : 1 + POINT_LENGTH]


def decrypt_bid(shared: bytes, public_key: bytes, lot_id: int, pseudonym: str, ciphertext: str) -> int:
    """Open a sealed bid with S = r·Y (recombined from the members' shares); returns the amount in tyiyn.

    Raises MalformedCiphertext, DecryptionFailed (wrong S, lot or bidder, or tampered bytes),
    or InvalidBidAmount (it opened, but the bidder's browser sealed something that is not a bid).
    """
    raw = validate_ciphertext(ciphertext)
    aad = bid_aad(lot_id, pseudonym)
    end = 1 + POINT_LENGTH
    key = _derive_key(shared, raw[1:end], public_key)
    try:
        plaintext = AESGCM(key).decrypt(raw[end : end + IV_LENGTH], raw[end + IV_LENGTH :], aad)
    except InvalidTag:
        raise DecryptionFailed(
            f"the sealed bid of bidder {pseudonym!r} on lot {lot_id} does not open with the commission's shares: "
            "it was altered, copied from another lot or bidder, or sealed to a different lot key"
        ) from None
    return parse_bid_plaintext(plaintext)


def validate_ciphertext(ciphertext: str) -> bytes:
    """Check a submitted ciphertext's structure before it is stored; returns its raw bytes.

    Catches what can be caught without the private key: encoding, version, length and whether
    the ephemeral key is a point of the group. Whether it decrypts is only known at the opening.
    """
    if not isinstance(ciphertext, str):
        raise MalformedCiphertext(f"the sealed bid must be text, got {type(ciphertext).__name__}")
    if len(ciphertext) > _MAX_TEXT_LENGTH:
        raise MalformedCiphertext(
            f"the sealed bid is {len(ciphertext)} characters; a v2 sealed bid is {CIPHERTEXT_TEXT_LENGTH}"
        )
    try:
        raw = b64url_decode(ciphertext)
    except ValueError as exc:
        raise MalformedCiphertext(f"the sealed bid {exc}; it must be unpadded base64url") from None
    if not raw:
        raise MalformedCiphertext("the sealed bid is empty")
    if raw[0] != WIRE_VERSION:
        raise MalformedCiphertext(
            f"the sealed bid has format version {raw[0]}, only version {WIRE_VERSION} is accepted; "
            "reload the bidding page to get the current encryption script"
        )
    if len(raw) != CIPHERTEXT_LENGTH:
        raise MalformedCiphertext(
            f"the sealed bid is {len(raw)} bytes; a v2 sealed bid is exactly {CIPHERTEXT_LENGTH} "
            f"({CIPHERTEXT_TEXT_LENGTH} base64url characters), so it was truncated or padded in transit"
        )
    try:
        group.decode_point(raw[1 : 1 + POINT_LENGTH], "R")
    except group.GroupError:
        raise MalformedCiphertext("the sealed bid's ephemeral key R is not a point of the edwards25519 group") from None
    return raw


def ciphertext_hash(ciphertext: str) -> str:
    """Hex SHA-256 of the ciphertext's raw bytes (not its text), as committed to in the ledger."""
    return hashlib.sha256(validate_ciphertext(ciphertext)).hexdigest()


def _check_amount(amount: int) -> None:
    # bool is an int subclass; True must not become a one-tyiyn bid.
    if type(amount) is not int or not MIN_AMOUNT <= amount <= MAX_AMOUNT:
        raise InvalidBidAmount(f"a bid is a whole number of tyiyn from {MIN_AMOUNT} to {MAX_AMOUNT}, got {amount!r}")


def _derive_key(shared: bytes, big_r: bytes, public_key: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=big_r + public_key, info=HKDF_INFO).derive(shared)
