"""Shamir sharing over the P-256 group order."""

from __future__ import annotations

import itertools
import random
import secrets

import pytest

from auction.bidding.shamir import (
    MAX_SHARES,
    DuplicateShare,
    InvalidShare,
    NotEnoughShares,
    Share,
    combine,
    interpolate,
    split,
)
from auction.ledger.verifier.sealed import Q


def test_q_is_the_p256_group_order() -> None:
    from cryptography.hazmat.primitives.asymmetric import ec

    # n*G is the point at infinity, so deriving a key from n must fail while n-1 works.
    ec.derive_private_key(Q - 1, ec.SECP256R1())
    with pytest.raises(ValueError):
        ec.derive_private_key(Q, ec.SECP256R1())


@pytest.mark.parametrize(("threshold", "count"), [(k, n) for n in range(1, 6) for k in range(1, n + 1)])
def test_every_threshold_subset_recovers(threshold: int, count: int) -> None:
    secret = secrets.randbelow(Q - 1) + 1
    shares = split(secret, threshold, count)
    assert [s.x for s in shares] == list(range(1, count + 1))
    assert all(s.threshold == threshold for s in shares)
    for size in range(threshold, count + 1):
        for subset in itertools.combinations(shares, size):
            assert combine(list(subset)) == secret
            assert combine(list(reversed(subset))) == secret


@pytest.mark.parametrize(("threshold", "count"), [(2, 3), (3, 5), (4, 5), (5, 5)])
def test_fewer_than_threshold_shares_are_refused_and_interpolate_wrong(threshold: int, count: int) -> None:
    secret = secrets.randbelow(Q - 1) + 1
    shares = split(secret, threshold, count)
    for subset in itertools.combinations(shares, threshold - 1):
        with pytest.raises(NotEnoughShares, match=f"{threshold} are needed"):
            combine(list(subset))
        assert interpolate([(s.x, s.y) for s in subset], 0) != secret


def test_threshold_one_gives_everyone_the_secret() -> None:
    shares = split(12345, 1, 4)
    assert {s.y for s in shares} == {12345}
    assert all(combine([s]) == 12345 for s in shares)


def test_max_count() -> None:
    secret = Q - 1
    shares = split(secret, 3, MAX_SHARES)
    assert shares[-1].x == MAX_SHARES
    assert combine(shares[-3:]) == secret
    assert combine([shares[0], shares[127], shares[-1]]) == secret


def test_rng_controls_coefficients() -> None:
    first = split(7, 3, 4, rng=random.Random(1).randrange)
    second = split(7, 3, 4, rng=random.Random(1).randrange)
    third = split(7, 3, 4, rng=random.Random(2).randrange)
    assert first == second
    assert first != third


def test_rng_out_of_range_is_refused() -> None:
    with pytest.raises(InvalidShare, match="rng"):
        split(7, 2, 3, rng=lambda bound: bound)


def test_interpolate_reproduces_other_shares() -> None:
    shares = split(99, 3, 6)
    points = [(s.x, s.y) for s in shares[:3]]
    for share in shares[3:]:
        assert interpolate(points, share.x) == share.y


@pytest.mark.parametrize(
    ("threshold", "count"), [(0, 3), (4, 3), (1, 0), (2, MAX_SHARES + 1), (-1, 2), (True, 2), (2.0, 3)]
)
def test_split_parameters_are_validated(threshold: object, count: object) -> None:
    with pytest.raises(InvalidShare):
        split(5, threshold, count)  # type: ignore[arg-type]


@pytest.mark.parametrize("secret", [0, Q, Q + 1, -1, True, 1.5])
def test_secret_must_be_a_scalar(secret: object) -> None:
    with pytest.raises(InvalidShare, match="private scalar"):
        split(secret, 2, 3)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("x", "y", "threshold"),
    [(0, 1, 2), (256, 1, 2), (1, Q, 2), (1, -1, 2), (1, 1, 0), (1, 1, 256), (True, 1, 2)],
)
def test_share_fields_are_validated(x: int, y: int, threshold: int) -> None:
    with pytest.raises(InvalidShare):
        Share(x=x, y=y, threshold=threshold)


def test_combine_refuses_empty() -> None:
    with pytest.raises(NotEnoughShares):
        combine([])


def test_combine_refuses_the_same_share_twice() -> None:
    shares = split(5, 2, 3)
    with pytest.raises(DuplicateShare, match="x=1"):
        combine([shares[0], shares[0], shares[1]])


def test_combine_refuses_conflicting_shares_at_one_index() -> None:
    shares = split(5, 2, 3)
    forged = Share(x=1, y=(shares[0].y + 1) % Q, threshold=2)
    with pytest.raises(DuplicateShare):
        combine([shares[0], forged])


def test_combine_refuses_mixed_thresholds() -> None:
    a = split(5, 2, 3)
    b = split(5, 3, 3)
    with pytest.raises(InvalidShare, match="different thresholds"):
        combine([a[0], b[1], b[2]])


def test_interpolate_refuses_duplicate_x() -> None:
    with pytest.raises(DuplicateShare):
        interpolate([(1, 2), (1, 3)], 0)
    with pytest.raises(NotEnoughShares):
        interpolate([], 0)
