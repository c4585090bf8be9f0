"""Custody of a sealed lot's private key by its commission: one passphrase-sealed Shamir share each.

A sealed share (record version 1)::

    scrypt(NFC(passphrase) as UTF-8, salt=16 random bytes, n, r, p, length=64)
        -> bytes 0..31: AES-256-GCM key, bytes 32..47: passphrase check value
    plaintext  = share y as 32 big-endian bytes
    AAD        = f"achyk-commission-share/v1|lot={lot_id}|member={member_id}|x={x}|threshold={k}"
    ciphertext = AES-256-GCM(key, iv=12 random bytes, plaintext, AAD)   # 48 bytes with the tag

The check value lets the opening tell "wrong passphrase" from "the stored share was altered":
an attacker holding the record learns nothing from it that the GCM tag would not already tell a
guesser, so it costs no security. The scrypt parameters are stored in the record so that shares
sealed under older parameters still open.

Standard library and `cryptography` only: the inspector's offline verifier imports this module.
"""

from __future__ import annotations

import hmac
import itertools
import os
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from auction.bidding.shamir import MAX_SHARES, ShamirError, Share, interpolate, split
from auction.ledger.verifier.sealed import (
    InvalidKey,
    Q,
    SealedBidError,
    b64url_decode,
    b64url_encode,
    check_label,
    load_public_key,
    public_key_for,
)

RECORD_VERSION = 1
MIN_PASSPHRASE_LENGTH = 12
SALT_LENGTH = 16
IV_LENGTH = 12
CHECK_LENGTH = 16
_SEALED_Y_LENGTH = 32 + 16  # y plus the GCM tag
_AAD_PREFIX = "achyk-commission-share/v1"
# A stored record chooses its own scrypt cost; cap it so a tampered record cannot demand
# gigabytes of memory at the opening. 128 * r * n bytes of memory: 256 MiB at most.
_MAX_SCRYPT_MEMORY = 2**28
# Subsets tried when looking for the share that spoils a recovery; C(n, k) can be astronomical.
_MAX_SUBSETS_TRIED = 5000


class CommissionError(Exception):
    """Base of every refusal this module makes."""


class WeakPassphrase(CommissionError):
    """A member's passphrase is too short to stand against offline guessing of a leaked record."""

    def __init__(self, message: str, *, member_id: str, min_length: int | None = None) -> None:
        super().__init__(message)
        self.member_id = member_id
        self.min_length = min_length  # set when the passphrase is text, only too short


class WrongPassphrase(CommissionError):
    """The passphrase does not open this member's share."""

    def __init__(self, message: str, *, member_id: str) -> None:
        super().__init__(message)
        self.member_id = member_id


class ShareCorrupted(CommissionError):
    """The passphrase is right but the stored share was altered, or belongs to another lot or member."""

    def __init__(self, message: str, *, member_id: str) -> None:
        super().__init__(message)
        self.member_id = member_id


class MalformedSealedShare(CommissionError):
    """A stored record is not a structurally valid sealed share."""


class QuorumNotMet(CommissionError):
    """Fewer members' shares than the lot's threshold, or shares that cannot be used together."""


class ShareMismatch(CommissionError):
    """The shares combine to a key that is not the lot's; `suspect_members` names culprits if found."""

    def __init__(self, message: str, *, suspect_members: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.suspect_members = suspect_members


@dataclass(frozen=True, slots=True)
class ScryptParams:
    """scrypt cost parameters; production uses PRODUCTION_SCRYPT, tests pass something cheaper."""

    n: int
    r: int
    p: int

    def __post_init__(self) -> None:
        if any(type(v) is not int for v in (self.n, self.r, self.p)):
            raise MalformedSealedShare("scrypt parameters must be integers")
        if self.n < 2 or self.n & (self.n - 1) or not 1 <= self.r <= 32 or not 1 <= self.p <= 16:
            raise MalformedSealedShare(
                f"scrypt parameters out of range: n={self.n} (power of two >= 2), r={self.r} (1..32), "
                f"p={self.p} (1..16)"
            )
        if 128 * self.r * self.n > _MAX_SCRYPT_MEMORY:
            raise MalformedSealedShare(f"scrypt n={self.n}, r={self.r} would need more than 256 MiB")


PRODUCTION_SCRYPT = ScryptParams(n=2**15, r=8, p=1)


@dataclass(frozen=True, slots=True)
class SealedShare:
    """One member's share at rest; `to_dict`/`from_dict` give its JSON form."""

    lot_id: int
    member_id: str
    x: int
    threshold: int
    kdf: ScryptParams
    salt: bytes
    check: bytes
    iv: bytes
    ciphertext: bytes

    def to_dict(self) -> dict[str, object]:
        return {
            "v": RECORD_VERSION,
            "lot": self.lot_id,
            "member": self.member_id,
            "x": self.x,
            "threshold": self.threshold,
            "kdf": {"name": "scrypt", "n": self.kdf.n, "r": self.kdf.r, "p": self.kdf.p},
            "salt": b64url_encode(self.salt),
            "check": b64url_encode(self.check),
            "iv": b64url_encode(self.iv),
            "ciphertext": b64url_encode(self.ciphertext),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> SealedShare:
        """Parse the JSON form strictly, raising MalformedSealedShare naming the bad field."""
        if not isinstance(data, Mapping):
            raise MalformedSealedShare("a sealed share must be a JSON object")
        expected = {"v", "lot", "member", "x", "threshold", "kdf", "salt", "check", "iv", "ciphertext"}
        if set(data) != expected:
            raise MalformedSealedShare(f"sealed share fields must be exactly {sorted(expected)}")
        if _int_field(data, "v") != RECORD_VERSION:
            raise MalformedSealedShare(f"sealed share record version {data['v']!r} is not {RECORD_VERSION}")
        kdf = data["kdf"]
        if not isinstance(kdf, Mapping) or set(kdf) != {"name", "n", "r", "p"} or kdf["name"] != "scrypt":
            raise MalformedSealedShare('sealed share field "kdf" must be {"name": "scrypt", "n", "r", "p"}')
        member = data["member"]
        if not isinstance(member, str):
            raise MalformedSealedShare('sealed share field "member" must be a string')
        share = cls(
            lot_id=_int_field(data, "lot"),
            member_id=member,
            x=_int_field(data, "x"),
            threshold=_int_field(data, "threshold"),
            kdf=ScryptParams(n=_int_field(kdf, "n"), r=_int_field(kdf, "r"), p=_int_field(kdf, "p")),
            salt=_bytes_field(data, "salt", SALT_LENGTH),
            check=_bytes_field(data, "check", CHECK_LENGTH),
            iv=_bytes_field(data, "iv", IV_LENGTH),
            ciphertext=_bytes_field(data, "ciphertext", _SEALED_Y_LENGTH),
        )
        share._check_metadata()
        return share

    def _check_metadata(self) -> None:
        try:
            _aad(self.lot_id, self.member_id, self.x, self.threshold)
        except CommissionError as exc:
            raise MalformedSealedShare(f"sealed share metadata is invalid: {exc}") from None


def _int_field(data: Mapping[str, object], name: str) -> int:
    value = data[name]
    if type(value) is not int:
        raise MalformedSealedShare(f"sealed share field {name!r} must be an integer")
    return value


def _bytes_field(data: Mapping[str, object], name: str, length: int) -> bytes:
    value = data[name]
    if not isinstance(value, str):
        raise MalformedSealedShare(f"sealed share field {name!r} must be base64url text")
    try:
        raw = b64url_decode(value)
    except ValueError as exc:
        raise MalformedSealedShare(f"sealed share field {name!r} {exc}") from None
    if len(raw) != length:
        raise MalformedSealedShare(f"sealed share field {name!r} must be {length} bytes, got {len(raw)}")
    return raw


def _check_context(lot_id: int, member_id: str) -> None:
    if type(lot_id) is not int or lot_id < 1:
        raise CommissionError(f"lot_id must be a positive integer, got {lot_id!r}")
    try:
        check_label("member_id", member_id)
    except SealedBidError as exc:
        raise CommissionError(str(exc)) from None


def _aad(lot_id: int, member_id: str, x: int, threshold: int) -> bytes:
    _check_context(lot_id, member_id)
    if type(x) is not int or type(threshold) is not int or not 1 <= x <= MAX_SHARES:
        raise CommissionError(f"share index must be an integer from 1 to {MAX_SHARES}")
    if not 1 <= threshold <= MAX_SHARES:
        raise CommissionError(f"threshold must be an integer from 1 to {MAX_SHARES}")
    return f"{_AAD_PREFIX}|lot={lot_id}|member={member_id}|x={x}|threshold={threshold}".encode()


def _normalise(passphrase: str) -> bytes:
    # The same passphrase typed on another keyboard or OS may arrive decomposed; NFC makes it one.
    return unicodedata.normalize("NFC", passphrase).encode("utf-8")


def check_passphrase_strength(passphrase: str, member_id: str) -> None:
    """Refuse a passphrase shorter than MIN_PASSPHRASE_LENGTH characters (after NFC normalisation)."""
    if not isinstance(passphrase, str):
        raise WeakPassphrase(f"the passphrase of member {member_id!r} must be text", member_id=member_id)
    try:
        _normalise(passphrase)
    except UnicodeEncodeError:
        raise WeakPassphrase(
            f"the passphrase of member {member_id!r} contains characters that are not valid text",
            member_id=member_id,
        ) from None
    if len(unicodedata.normalize("NFC", passphrase)) < MIN_PASSPHRASE_LENGTH:
        raise WeakPassphrase(
            f"the passphrase of member {member_id!r} is shorter than {MIN_PASSPHRASE_LENGTH} characters; "
            "choose a longer one (several words are easiest to remember)",
            member_id=member_id,
            min_length=MIN_PASSPHRASE_LENGTH,
        )


def _derive(passphrase: str, salt: bytes, kdf: ScryptParams) -> tuple[bytes, bytes]:
    try:
        secret = _normalise(passphrase)
    except UnicodeEncodeError:
        secret = b""  # an unencodable passphrase cannot be the right one; fail as a wrong one would
    out = Scrypt(salt=salt, length=32 + CHECK_LENGTH, n=kdf.n, r=kdf.r, p=kdf.p).derive(secret)
    return out[:32], out[32:]


def seal_share(
    share: Share,
    passphrase: str,
    lot_id: int,
    member_id: str,
    *,
    kdf: ScryptParams = PRODUCTION_SCRYPT,
) -> SealedShare:
    """Encrypt `share` under a key only `passphrase` yields; the passphrase itself is never kept."""
    check_passphrase_strength(passphrase, member_id)
    aad = _aad(lot_id, member_id, share.x, share.threshold)
    salt = os.urandom(SALT_LENGTH)
    iv = os.urandom(IV_LENGTH)
    key, check = _derive(passphrase, salt, kdf)
    ciphertext = AESGCM(key).encrypt(iv, share.y.to_bytes(32, "big"), aad)
    return SealedShare(
        lot_id=lot_id,
        member_id=member_id,
        x=share.x,
        threshold=share.threshold,
        kdf=kdf,
        salt=salt,
        check=check,
        iv=iv,
        ciphertext=ciphertext,
    )


def open_share(sealed: SealedShare, passphrase: str, lot_id: int, member_id: str) -> Share:
    """Decrypt a member's share at the opening; `lot_id` and `member_id` are who is expected.

    Raises ShareCorrupted if the record was filed under another lot or member, WrongPassphrase if
    the passphrase is not the member's, ShareCorrupted if it is but the record was altered.
    """
    if sealed.lot_id != lot_id or sealed.member_id != member_id:
        raise ShareCorrupted(
            f"the share offered for member {member_id!r} of lot {lot_id} was sealed for member "
            f"{sealed.member_id!r} of lot {sealed.lot_id}",
            member_id=member_id,
        )
    aad = _aad(lot_id, member_id, sealed.x, sealed.threshold)
    key, check = _derive(passphrase, sealed.salt, sealed.kdf)
    if not hmac.compare_digest(check, sealed.check):
        raise WrongPassphrase(
            f"the passphrase entered for member {member_id!r} does not open their share of lot {lot_id}; "
            "passphrases are case-sensitive, check the keyboard layout and try again",
            member_id=member_id,
        )
    try:
        plaintext = AESGCM(key).decrypt(sealed.iv, sealed.ciphertext, aad)
    except InvalidTag:
        raise ShareCorrupted(
            f"the passphrase of member {member_id!r} is right but their stored share of lot {lot_id} "
            "has been altered; it cannot be used, open the lot with other members' shares",
            member_id=member_id,
        ) from None
    y = int.from_bytes(plaintext, "big")
    if y >= Q:
        raise ShareCorrupted(
            f"the share of member {member_id!r} decrypts to a value outside the field", member_id=member_id
        )
    return Share(x=sealed.x, y=y, threshold=sealed.threshold)


def split_lot_key(
    private_key: int,
    threshold: int,
    members: Sequence[tuple[str, str]],
    lot_id: int,
    *,
    kdf: ScryptParams = PRODUCTION_SCRYPT,
) -> list[tuple[str, SealedShare]]:
    """Deal the lot key among `members` as (member_id, passphrase), any `threshold` of whom can open.

    Every member id and passphrase is checked before any share is dealt, so a refusal never
    leaves a partly sealed commission behind. The caller must discard `private_key` afterwards.
    """
    member_ids = [member_id for member_id, _ in members]
    if len(set(member_ids)) != len(member_ids):
        raise CommissionError("each commission member may appear only once")
    for member_id, passphrase in members:
        _check_context(lot_id, member_id)
        check_passphrase_strength(passphrase, member_id)
    try:
        shares = split(private_key, threshold, len(members))
    except ShamirError as exc:
        raise CommissionError(f"cannot split the lot key: {exc}") from None
    return [
        (member_id, seal_share(share, passphrase, lot_id, member_id, kdf=kdf))
        for (member_id, passphrase), share in zip(members, shares, strict=True)
    ]


def recover_lot_key(opened_shares: Sequence[tuple[str, Share]], public_key: bytes) -> int:
    """Combine opened (member_id, share) pairs and return the lot's private scalar.

    The result is only returned if its public key is the lot's and, beyond the threshold, every
    share fits it. Otherwise ShareMismatch; when more shares than the threshold are given and
    few enough are wrong to tell which ((m + 1 - k) // 2), `suspect_members` names them so the
    opening can go on without them.
    """
    try:
        load_public_key(public_key)
    except InvalidKey as exc:
        raise CommissionError(str(exc)) from None
    if not opened_shares:
        raise QuorumNotMet("no member's share was given")
    names = [member_id for member_id, _ in opened_shares]
    if len(set(names)) != len(names):
        raise QuorumNotMet("a member's share was given twice; each member counts once")
    by_x: dict[int, str] = {}
    for member_id, share in opened_shares:
        if share.x in by_x:
            raise QuorumNotMet(
                f"members {by_x[share.x]!r} and {member_id!r} hold shares with the same index {share.x}; "
                "one of the records was copied"
            )
        by_x[share.x] = member_id
    thresholds = {share.threshold for _, share in opened_shares}
    if len(thresholds) != 1:
        raise ShareMismatch(
            f"the shares disagree on the threshold ({sorted(thresholds)}); they were not dealt together"
        )
    (threshold,) = thresholds
    if len(opened_shares) < threshold:
        raise QuorumNotMet(f"{len(opened_shares)} member(s) opened their shares but this lot needs {threshold}")

    # Interpolating all m > k shares at 0 can land on the secret even when some are wrong, so
    # beyond the threshold every extra share must also fit the polynomial the first k define.
    points = [(share.x, share.y) for _, share in opened_shares]
    basis = points[:threshold]
    consistent = all(interpolate(basis, x) == y for x, y in points[threshold:])
    candidate = interpolate(basis, 0)
    if consistent and _reproduces(candidate, public_key):
        return candidate
    if consistent and len(opened_shares) > threshold:
        raise ShareMismatch(
            f"all {len(opened_shares)} shares agree with each other but not with this lot's key: "
            "they were dealt for another lot or key"
        )
    if len(opened_shares) == threshold:
        raise ShareMismatch(
            f"the {threshold} shares do not reconstruct this lot's key, so at least one is wrong; "
            "with exactly the threshold it cannot be told which: add another member's share"
        )
    raise _name_bad_shares(opened_shares, threshold, public_key)


def _reproduces(candidate: int, public_key: bytes) -> bool:
    return 1 <= candidate < Q and public_key_for(candidate) == public_key


def _name_bad_shares(opened_shares: Sequence[tuple[str, Share]], threshold: int, public_key: bytes) -> ShareMismatch:
    # First learn the secret from any k shares that reproduce the lot key. That subset is not
    # proof of honesty (shares shifted by a polynomial vanishing at 0 still reproduce it), so
    # then take the polynomial through (0, secret) that the most shares fit. Its outliers are
    # named only within the unique-decoding radius (m + 1 - k) // 2: if no more shares than
    # that are wrong, the outliers are exactly the wrong ones; beyond it, colluding members
    # could make an honest one look wrong, so nobody is named.
    points = [(share.x, share.y) for _, share in opened_shares]
    secret = next(
        (
            candidate
            for subset in itertools.islice(itertools.combinations(points, threshold), _MAX_SUBSETS_TRIED)
            if _reproduces(candidate := interpolate(subset, 0), public_key)
        ),
        None,
    )
    if secret is None:
        return ShareMismatch(
            f"no {threshold} of the {len(opened_shares)} shares reconstruct this lot's key; "
            "too many of them are wrong to tell which"
        )
    best: frozenset[int] = frozenset()
    for subset in itertools.islice(itertools.combinations(points, threshold - 1), _MAX_SUBSETS_TRIED):
        base = [(0, secret), *subset]
        support = frozenset(x for x, y in points if interpolate(base, x) == y)
        best = max(best, support, key=len)
    radius = (len(points) + 1 - threshold) // 2
    suspects = tuple(member_id for member_id, share in opened_shares if share.x not in best)
    if len(suspects) > radius:
        return ShareMismatch(
            f"at least {radius + 1} of the {len(points)} shares are wrong, too many "
            "to tell which for certain; open again with a different set of members"
        )
    return ShareMismatch(
        "the shares of "
        + ", ".join(repr(s) for s in suspects)
        + f" do not fit the sharing that the lot's key and the other {len(best)} shares agree on; "
        "open again without them",
        suspect_members=suspects,
    )
