"""The prime-order group of edwards25519 for the commission's joint key (docs/keys.md section 2.1).

Points are 32-byte RFC 8032 encodings, scalars Python integers in [0, L). Decoding from the wire is strict: a point
must be canonical, on the curve, in the prime-order subgroup and not the identity; a scalar must be canonical (< L).
Inside a computation the identity may appear (a sum of points can be it), so the arithmetic here handles it itself:
libsodium's scalar multiplication refuses the identity and the scalar 0 rather than returning them.

Part of the offline verifier: standard library and PyNaCl (libsodium) only.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence

from nacl import bindings

L = 2**252 + 27742317777372353535851937790883648493
POINT_LENGTH = 32
SCALAR_LENGTH = 32
IDENTITY = bytes([1]) + bytes(31)
SIG_DOMAIN = "achyk-commission-sig/v1"
DLEQ_DOMAIN = "achyk-dleq/v1"


class GroupError(ValueError):
    """A point or scalar that is not what docs/keys.md section 2.1 allows, or a proof that does not hold."""


def decode_point(raw: bytes, what: str = "point") -> bytes:
    """Accept `raw` only as a canonical prime-order-subgroup point other than the identity."""
    if not isinstance(raw, bytes) or len(raw) != POINT_LENGTH:
        raise GroupError(f"{what} must be {POINT_LENGTH} bytes")
    if not bindings.crypto_core_ed25519_is_valid_point(raw):
        raise GroupError(f"{what} is not a point of the prime-order subgroup of edwards25519 (or is the identity)")
    return raw


def decode_scalar(raw: bytes, what: str = "scalar") -> int:
    """A canonical 32-byte little-endian scalar (< L)."""
    if not isinstance(raw, bytes) or len(raw) != SCALAR_LENGTH:
        raise GroupError(f"{what} must be {SCALAR_LENGTH} bytes")
    value = int.from_bytes(raw, "little")
    if value >= L:
        raise GroupError(f"{what} is not a canonical scalar (not below the group order)")
    return value


def encode_scalar(value: int) -> bytes:
    return (value % L).to_bytes(SCALAR_LENGTH, "little")


def random_scalar() -> int:
    """A uniform non-zero scalar (64 random bytes reduced, so the bias is negligible)."""
    while True:
        value = int.from_bytes(os.urandom(64), "little") % L
        if value:
            return value


def base_mul(k: int) -> bytes:
    """k·G."""
    k %= L
    if k == 0:
        return IDENTITY
    return bindings.crypto_scalarmult_ed25519_base_noclamp(encode_scalar(k))


def mul(k: int, point: bytes) -> bytes:
    """k·P for P in the prime-order subgroup (or the identity)."""
    k %= L
    if k == 0 or point == IDENTITY:
        return IDENTITY
    return bindings.crypto_scalarmult_ed25519_noclamp(encode_scalar(k), point)


def add(p: bytes, q: bytes) -> bytes:
    if p == IDENTITY:
        return q
    if q == IDENTITY:
        return p
    return bindings.crypto_core_ed25519_add(p, q)


def sub(p: bytes, q: bytes) -> bytes:
    if q == IDENTITY:
        return p
    return bindings.crypto_core_ed25519_sub(p, q)


def point_sum(points: Sequence[bytes]) -> bytes:
    total = IDENTITY
    for point in points:
        total = add(total, point)
    return total


def hs(domain: str, *parts: bytes) -> int:
    """Hs(domain, p1, …, pm): SHA-512 over the domain and length-prefixed parts, reduced mod L."""
    digest = hashlib.sha512(domain.encode("utf-8"))
    for part in parts:
        digest.update(len(part).to_bytes(4, "big"))
        digest.update(part)
    return int.from_bytes(digest.digest(), "little") % L


def schnorr_sign(secret: int, message: bytes, *, nonce: int | None = None) -> bytes:
    """A ‖ z over `message` by `secret`; `nonce` is for test vectors only."""
    w = random_scalar() if nonce is None else nonce % L
    public = base_mul(secret)
    a = base_mul(w)
    c = hs(SIG_DOMAIN, public, a, message)
    return a + encode_scalar(w + c * secret)


def schnorr_verify(public: bytes, message: bytes, signature: bytes) -> bool:
    if not isinstance(signature, bytes) or len(signature) != 64:
        return False
    try:
        a = decode_point(signature[:32])
        z = decode_scalar(signature[32:])
    except GroupError:
        return False
    c = hs(SIG_DOMAIN, public, a, message)
    return base_mul(z) == add(a, mul(c, public))


def dleq_prove(secret: int, r: bytes, *, nonce: int | None = None) -> tuple[bytes, bytes]:
    """D = x·R and the proof c ‖ z that log_G(x·G) = log_R(D); `nonce` is for test vectors only."""
    w = random_scalar() if nonce is None else nonce % L
    y = base_mul(secret)
    d = mul(secret, r)
    a, b = base_mul(w), mul(w, r)
    c = hs(DLEQ_DOMAIN, y, r, d, a, b)
    return d, encode_scalar(c) + encode_scalar(w + c * secret)


def dleq_verify(y: bytes, r: bytes, d: bytes, proof: bytes) -> bool:
    if not isinstance(proof, bytes) or len(proof) != 64:
        return False
    try:
        c = decode_scalar(proof[:32])
        z = decode_scalar(proof[32:])
    except GroupError:
        return False
    a = sub(base_mul(z), mul(c, y))
    b = sub(mul(z, r), mul(c, d))
    return c == hs(DLEQ_DOMAIN, y, r, d, a, b)


def poly_eval(coefficients: Sequence[int], x: int) -> int:
    result = 0
    for coefficient in reversed(coefficients):
        result = (result * x + coefficient) % L
    return result


def commitment_eval(commitments: Sequence[bytes], x: int) -> bytes:
    """Σ_t x^t · C_t: what a share f(x) times G must equal."""
    total = IDENTITY
    power = 1
    for commitment in commitments:
        total = add(total, mul(power, commitment))
        power = power * x % L
    return total


def lagrange_at_zero(indices: Sequence[int], j: int) -> int:
    """λ_j for interpolation at 0 over distinct `indices`."""
    numerator, denominator = 1, 1
    for m in indices:
        if m != j:
            numerator = numerator * m % L
            denominator = denominator * (m - j) % L
    return numerator * pow(denominator, -1, L) % L
