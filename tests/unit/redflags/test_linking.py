"""The inspectors' link key, pure: one tag per bidder under a key, another under another key; the fingerprint pins
a key without revealing it; a pasted key is read or refused with a reason; the result hash commits to the rows."""

from __future__ import annotations

import base64
import hashlib

import pytest
import rfc8785

from auction.redflags.linking import (
    DEMO_KEY,
    KeyMalformed,
    demo_inspection_key,
    encode_key,
    fingerprint,
    link_tag,
    parse_key,
    result_hash,
)

KEY = bytes(range(32))
OTHER = bytes(range(1, 33))


def test_a_bidder_has_one_tag_under_a_key_and_another_under_another_key() -> None:
    assert link_tag(KEY, 7) == link_tag(KEY, 7)
    assert link_tag(KEY, 7) != link_tag(KEY, 8)
    assert link_tag(KEY, 7) != link_tag(OTHER, 7)
    tag = link_tag(KEY, 7)
    assert tag.startswith("l-")
    assert len(tag) == 18
    assert all(c in "0123456789abcdef" for c in tag[2:])


def test_the_fingerprint_is_the_domain_separated_hash_and_not_the_plain_one() -> None:
    assert fingerprint(KEY) == hashlib.sha256(b"achyk-inspection-key/v1|" + KEY).hexdigest()
    assert fingerprint(KEY) != hashlib.sha256(KEY).hexdigest()
    assert fingerprint(KEY) != fingerprint(OTHER)


def test_a_pasted_key_is_read_in_either_base64_alphabet_with_or_without_padding() -> None:
    text = encode_key(KEY)
    assert len(text) == 43
    assert parse_key(text) == KEY
    assert parse_key(f"  {text[:20]}\n{text[20:]}= ") == KEY
    assert parse_key(base64.b64encode(KEY).decode()) == KEY
    assert parse_key(demo_inspection_key()) == DEMO_KEY == hashlib.sha256(b"achyk-demo-inspection-key").digest()


@pytest.mark.parametrize(
    ("text", "code", "params"),
    [
        ("", "inspection.key_missing", {}),
        ("   \n", "inspection.key_missing", {}),
        (encode_key(KEY)[:-1] + "!", "inspection.key_malformed", {}),
        ("a", "inspection.key_malformed", {}),
        (encode_key(KEY[:16]), "inspection.key_length", {"length": 16}),
        (encode_key(KEY + b"x"), "inspection.key_length", {"length": 33}),
    ],
)
def test_a_key_that_is_not_32_bytes_of_base64url_is_refused_with_its_reason(
    text: str, code: str, params: dict[str, int]
) -> None:
    with pytest.raises(KeyMalformed) as refused:
        parse_key(text)
    assert refused.value.problem.code == code
    assert refused.value.problem.params == params
    assert refused.value.problem.field == "inspection_key"


def test_the_result_hash_is_of_the_sorted_rows_whatever_their_order() -> None:
    rows = [(2, "b-2", "l-1"), (1, "b-9", "l-1"), (1, "b-1", "l-2")]
    expected = hashlib.sha256(rfc8785.dumps([[1, "b-1", "l-2"], [1, "b-9", "l-1"], [2, "b-2", "l-1"]])).hexdigest()
    assert result_hash(rows) == result_hash(reversed(rows)) == expected
    assert result_hash(rows[:2]) != expected
