"""Shamir k-of-n secret sharing of a sealed lot's private scalar over GF(q), q the P-256 group order.

Pure arithmetic; Q comes from the verifier's sealed-bid module (auction.ledger.verifier.sealed), which opens the bids.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

# Q is the P-256 group order: every private scalar lives in [1, Q), so sharing it in GF(Q) needs no
# encoding step and any value the shares combine to is again a candidate scalar.
from auction.ledger.verifier.sealed import Q

# x is a share's index and is stored as one byte in records and messages.
MAX_SHARES = 255


class ShamirError(Exception):
    """Base of every refusal this module makes."""


class InvalidShare(ShamirError):
    """A share or a splitting parameter is outside what the scheme allows."""


class DuplicateShare(ShamirError):
    """Two shares claim the same index: interpolating them would divide by zero or hide a conflict."""


class NotEnoughShares(ShamirError):
    """Fewer shares than the threshold were offered; fewer cannot determine the secret."""


@dataclass(frozen=True, slots=True)
class Share:
    """One point (x, y) on the sharing polynomial, with the threshold it was dealt under.

    The threshold travels with the share so that `combine` can refuse too few shares itself
    instead of silently returning a wrong secret; custody (commission.py) authenticates it.
    """

    x: int
    y: int
    threshold: int

    def __post_init__(self) -> None:
        _check_threshold_and_count(self.threshold, MAX_SHARES)
        if type(self.x) is not int or not 1 <= self.x <= MAX_SHARES:
            raise InvalidShare(f"share index x must be an integer from 1 to {MAX_SHARES}, got {self.x!r}")
        if type(self.y) is not int or not 0 <= self.y < Q:
            raise InvalidShare("share value y must be an integer in [0, q) where q is the P-256 group order")


def _check_threshold_and_count(threshold: int, count: int) -> None:
    for name, value in (("threshold", threshold), ("count", count)):
        if type(value) is not int:
            raise InvalidShare(f"{name} must be an integer, got {value!r}")
    if not 1 <= threshold <= count <= MAX_SHARES:
        raise InvalidShare(f"need 1 <= threshold <= count <= {MAX_SHARES}, got threshold={threshold}, count={count}")


def split(
    secret: int,
    threshold: int,
    count: int,
    rng: Callable[[int], int] = secrets.randbelow,
) -> list[Share]:
    """Deal `count` shares of `secret`, any `threshold` of which recover it; shares are x = 1..count.

    `rng(bound)` must return a uniformly random integer in [0, bound); the default is the OS CSPRNG.
    It is a parameter only so tests can make dealing reproducible.
    """
    _check_threshold_and_count(threshold, count)
    if type(secret) is not int or not 1 <= secret < Q:
        raise InvalidShare("the secret must be a P-256 private scalar, an integer in [1, q)")
    coefficients = [secret] + [rng(Q) for _ in range(threshold - 1)]
    if any(type(c) is not int or not 0 <= c < Q for c in coefficients):
        raise InvalidShare("rng returned a value outside [0, q)")
    return [Share(x=x, y=_evaluate(coefficients, x), threshold=threshold) for x in range(1, count + 1)]


def _evaluate(coefficients: Sequence[int], x: int) -> int:
    result = 0
    for coefficient in reversed(coefficients):
        result = (result * x + coefficient) % Q
    return result


def interpolate(points: Iterable[tuple[int, int]], at: int) -> int:
    """Value at `at` of the unique polynomial of degree < len(points) through `points`, mod Q.

    No threshold check: this is the raw Lagrange step, also used to test a suspect share against
    a polynomial fixed by others. With fewer points than the dealing threshold the result is
    meaningless (uniformly random), never an error.
    """
    pts = list(points)
    if not pts:
        raise NotEnoughShares("cannot interpolate through zero points")
    xs = [x % Q for x, _ in pts]
    if len(set(xs)) != len(xs):
        raise DuplicateShare("two points share the same x; each share must come from a different index")
    total = 0
    for i, (xi, yi) in enumerate(pts):
        numerator, denominator = 1, 1
        for j, (xj, _) in enumerate(pts):
            if i != j:
                numerator = numerator * (at - xj) % Q
                denominator = denominator * (xi - xj) % Q
        total = (total + yi * numerator * pow(denominator, -1, Q)) % Q
    return total


def combine(shares: Sequence[Share]) -> int:
    """Recover the secret from at least `threshold` shares dealt together.

    Refuses mixed thresholds, repeated indices and too few shares. It cannot tell a wrong share
    from a right one: the caller must check the result (commission.recover_lot_key checks it
    against the lot's public key).
    """
    if not shares:
        raise NotEnoughShares("no shares were given")
    thresholds = {share.threshold for share in shares}
    if len(thresholds) != 1:
        raise InvalidShare(f"shares were dealt under different thresholds {sorted(thresholds)}")
    (threshold,) = thresholds
    seen: dict[int, Share] = {}
    for share in shares:
        if share.x in seen:
            raise DuplicateShare(f"share x={share.x} was given twice; each share counts once")
        seen[share.x] = share
    if len(shares) < threshold:
        raise NotEnoughShares(f"{len(shares)} share(s) given but {threshold} are needed")
    return interpolate(((share.x, share.y) for share in shares), 0)
