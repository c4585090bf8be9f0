"""Reading the platform's witnesses from configuration."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from auction.ledger.verifier.witnessing import WitnessKey
from auction.ledger.witness_config import witness_config
from auction.settings import Settings

KEYS = [WitnessKey.of(f"w{n}.example.kg", Ed25519PrivateKey.from_private_bytes(bytes([n]) * 32)) for n in (1, 2, 3)]


def settings(**values: object) -> Settings:
    return Settings(secret_key="x" * 32, **values)  # type: ignore[arg-type]


def test_no_witnesses_means_unwitnessed() -> None:
    config = witness_config(settings())
    assert not config.enabled
    assert config.quorum == 0


def test_witnesses_and_a_majority_quorum_by_default() -> None:
    text = "; ".join(f"{k.vkey} http://127.0.0.1:{7381 + i}/" for i, k in enumerate(KEYS))
    config = witness_config(settings(witnesses=text))
    assert config.quorum == 2
    assert [w.url for w in config.witnesses] == [
        "http://127.0.0.1:7381",
        "http://127.0.0.1:7382",
        "http://127.0.0.1:7383",
    ]
    assert config.payload()["witnesses"][0] == {"url": "http://127.0.0.1:7381", "vkey": KEYS[0].vkey}


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"witnesses": "nonsense"}, "item 1: expected"),
        ({"witnesses": f"{KEYS[0].vkey} ftp://x"}, "item 1: expected"),
        ({"witnesses": f"{KEYS[0].vkey} http://a; {KEYS[0].vkey} http://b"}, "twice"),
        ({"witnesses": f"{KEYS[0].vkey} http://a", "witness_quorum": 2}, "between 1 and the 1"),
        ({"witnesses": f"{KEYS[0].vkey[:-4]}AAAA http://a"}, "item 1:"),
    ],
)
def test_a_bad_configuration_says_what_is_wrong(values: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        witness_config(settings(**values))
