"""Sealed bids: ECIES over P-256 that a browser's WebCrypto produces byte for byte.

Wire format v1, transported as base64url without padding::

    0x01 || ephemeral public key (65 bytes, SEC1 uncompressed) || IV (12 bytes)
         || AES-256-GCM ciphertext of the 32-byte plaintext || tag (16 bytes)

    shared = ECDH(ephemeral, lot key): the 32-byte x-coordinate (WebCrypto deriveBits(256))
    key    = HKDF-SHA256(IKM=shared, salt=empty, info=b"achyk sealed bid v1", L=32)
    AAD    = f"achyk-sealed-bid/v1|lot={lot_id}|bidder={pseudonym}" as UTF-8

An empty HKDF salt is the RFC 5869 default of HashLen zero bytes: HMAC zero-pads short keys, so
WebCrypto's `salt: new Uint8Array(0)` and `salt=None` here derive the same key.

Plaintext: ``JSON.stringify({amount: n})``, i.e. ``{"amount":n}`` with n in canonical decimal,
right-padded with ASCII spaces to exactly 32 bytes. The padding is still valid JSON and makes
every v1 ciphertext 126 bytes (168 characters): without it the ciphertext length would disclose
how many digits a bid has before the opening.

Standard library and `cryptography` only: part of the inspector's offline verifier, which replays sealed auctions
with it; the platform imports it from here.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

# The P-256 group order: every private scalar lives in [1, Q). Commission shares (auction.bidding.shamir) live
# in GF(Q) for the same reason, and take Q from here: the platform may import the verifier, never the reverse.
Q = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551

WIRE_VERSION = 0x01
POINT_LENGTH = 65
IV_LENGTH = 12
TAG_LENGTH = 16
PLAINTEXT_LENGTH = 32
CIPHERTEXT_LENGTH = 1 + POINT_LENGTH + IV_LENGTH + PLAINTEXT_LENGTH + TAG_LENGTH  # 126 bytes
CIPHERTEXT_TEXT_LENGTH = 168  # base64url characters for CIPHERTEXT_LENGTH bytes, no padding
HKDF_INFO = b"achyk sealed bid v1"
AAD_PREFIX = "achyk-sealed-bid/v1"

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
    """The ciphertext is not structurally a v1 sealed bid; it should never be stored."""


class DecryptionFailed(SealedBidError):
    """The ciphertext is well formed but does not open under this key, lot and bidder."""


class InvalidBidAmount(SealedBidError):
    """The amount is not an integer number of tyiyn in [MIN_AMOUNT, MAX_AMOUNT]."""


class InvalidKey(SealedBidError):
    """A lot key is not a valid P-256 key in the expected encoding."""


@dataclass(frozen=True, slots=True)
class LotKeyPair:
    """A sealed lot's key pair: `private_scalar` in [1, q), `public_key` SEC1 uncompressed (65 bytes)."""

    private_scalar: int
    public_key: bytes

    def __repr__(self) -> str:
        # Keeps the secret out of logs and tracebacks that print locals.
        return f"LotKeyPair(public_key={b64url_encode(self.public_key)!r}, private_scalar=<hidden>)"


def generate_lot_key_pair() -> LotKeyPair:
    """Make a fresh key pair for a sealed lot at publication."""
    private = ec.generate_private_key(ec.SECP256R1())
    return LotKeyPair(
        private_scalar=private.private_numbers().private_value,
        public_key=_point_bytes(private.public_key()),
    )


def public_key_for(private_scalar: int) -> bytes:
    """The SEC1 uncompressed public key of `private_scalar`; how a recovered key is checked."""
    return _point_bytes(_private_key(private_scalar).public_key())


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


def encode_private_key(private_scalar: int) -> str:
    """The scalar as 32 big-endian bytes in base64url: how the opened key is published in the ledger."""
    _private_key(private_scalar)
    return b64url_encode(private_scalar.to_bytes(32, "big"))


def decode_private_key(text: str) -> int:
    """Inverse of `encode_private_key`, refusing anything but a valid P-256 scalar."""
    try:
        raw = b64url_decode(text)
    except (TypeError, ValueError) as exc:
        raise InvalidKey(f"private key {exc}") from None
    if len(raw) != 32:
        raise InvalidKey(f"a P-256 private key is 32 bytes, this one is {len(raw)}")
    scalar = int.from_bytes(raw, "big")
    _private_key(scalar)
    return scalar


def load_public_key(public_key: bytes) -> ec.EllipticCurvePublicKey:
    """Parse a lot public key, refusing anything but an uncompressed point on P-256."""
    if not isinstance(public_key, bytes) or len(public_key) != POINT_LENGTH or public_key[0] != 0x04:
        raise InvalidKey("a lot public key is a 65-byte SEC1 uncompressed P-256 point starting with 0x04")
    try:
        return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), public_key)
    except ValueError:
        raise InvalidKey("the lot public key is not a point on P-256") from None


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


def encrypt_bid(public_key: bytes, lot_id: int, pseudonym: str, amount: int) -> str:
    """Seal `amount` to the lot's public key; the Python twin of web/static/js/sealed-bid.js."""
    lot_public = load_public_key(public_key)
    aad = bid_aad(lot_id, pseudonym)
    plaintext = bid_plaintext(amount)
    ephemeral = ec.generate_private_key(ec.SECP256R1())
    key = _derive_key(ephemeral.exchange(ec.ECDH(), lot_public))
    iv = os.urandom(IV_LENGTH)
    body = AESGCM(key).encrypt(iv, plaintext, aad)
    return b64url_encode(bytes([WIRE_VERSION]) + _point_bytes(ephemeral.public_key()) + iv + body)


def decrypt_bid(private_key: int, lot_id: int, pseudonym: str, ciphertext: str) -> int:
    """Open a sealed bid with the lot's recovered private key; returns the amount in tyiyn.

    Raises MalformedCiphertext, DecryptionFailed (wrong key, lot or bidder, or tampered bytes),
    or InvalidBidAmount (it opened, but the bidder's browser sealed something that is not a bid).
    """
    raw = validate_ciphertext(ciphertext)
    aad = bid_aad(lot_id, pseudonym)
    ephemeral_end = 1 + POINT_LENGTH
    ephemeral = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw[1:ephemeral_end])
    iv = raw[ephemeral_end : ephemeral_end + IV_LENGTH]
    body = raw[ephemeral_end + IV_LENGTH :]
    key = _derive_key(_private_key(private_key).exchange(ec.ECDH(), ephemeral))
    try:
        plaintext = AESGCM(key).decrypt(iv, body, aad)
    except InvalidTag:
        raise DecryptionFailed(
            f"the sealed bid of bidder {pseudonym!r} on lot {lot_id} does not open with this key: "
            "it was altered, copied from another lot or bidder, or sealed to a different lot key"
        ) from None
    return parse_bid_plaintext(plaintext)


def validate_ciphertext(ciphertext: str) -> bytes:
    """Check a submitted ciphertext's structure before it is stored; returns its raw bytes.

    Catches what can be caught without the private key: encoding, version, length and whether
    the ephemeral key is a point on P-256. Whether it decrypts is only known at the opening.
    """
    if not isinstance(ciphertext, str):
        raise MalformedCiphertext(f"the sealed bid must be text, got {type(ciphertext).__name__}")
    if len(ciphertext) > _MAX_TEXT_LENGTH:
        raise MalformedCiphertext(
            f"the sealed bid is {len(ciphertext)} characters; a v1 sealed bid is {CIPHERTEXT_TEXT_LENGTH}"
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
            f"the sealed bid is {len(raw)} bytes; a v1 sealed bid is exactly {CIPHERTEXT_LENGTH} "
            f"({CIPHERTEXT_TEXT_LENGTH} base64url characters), so it was truncated or padded in transit"
        )
    point = raw[1 : 1 + POINT_LENGTH]
    if point[0] != 0x04:
        raise MalformedCiphertext("the sealed bid's ephemeral key is not an uncompressed point (0x04 prefix)")
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    except ValueError:
        raise MalformedCiphertext("the sealed bid's ephemeral key is not a point on P-256") from None
    return raw


def ciphertext_hash(ciphertext: str) -> str:
    """Hex SHA-256 of the ciphertext's raw bytes (not its text), as committed to in the ledger."""
    return hashlib.sha256(validate_ciphertext(ciphertext)).hexdigest()


def _check_amount(amount: int) -> None:
    # bool is an int subclass; True must not become a one-tyiyn bid.
    if type(amount) is not int or not MIN_AMOUNT <= amount <= MAX_AMOUNT:
        raise InvalidBidAmount(f"a bid is a whole number of tyiyn from {MIN_AMOUNT} to {MAX_AMOUNT}, got {amount!r}")


def _private_key(private_scalar: int) -> ec.EllipticCurvePrivateKey:
    if type(private_scalar) is not int or not 1 <= private_scalar < Q:
        raise InvalidKey("a P-256 private key is an integer in [1, q)")
    return ec.derive_private_key(private_scalar, ec.SECP256R1())


def _point_bytes(public_key: ec.EllipticCurvePublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)


def _derive_key(shared_secret: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=HKDF_INFO).derive(shared_secret)
