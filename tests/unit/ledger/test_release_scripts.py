"""release.scripts on the platform chain: the replay accepts exactly its fields and SRI hashes, and the verifier's
report lists the scripts in force."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from auction.ledger.verifier.entry import parse_leaf
from auction.ledger.verifier.release import release_notes
from auction.ledger.verifier.replay import replay
from auction.ledger.verifier.verify import verify_bundle
from tests.unit.ledger.factory import Log

SITE = "sha384-" + "A" * 63 + "B"
BIDDING = "sha384-" + "0123456789+/" * 5 + "abcd"


def release(version: str = "0.1.0", **changes: Any) -> dict[str, Any]:
    return {"version": version, "scripts": {"/static/js/site.js": SITE, "/static/js/bidding.js": BIDDING}} | changes


def logged(*payloads: dict[str, Any], actor: str = "system") -> Log:
    """Each release logged by the system, the last one by ``actor``."""
    log = Log()
    for n, payload in enumerate(payloads, 1):
        log.add("release.scripts", None, payload, actor=actor if n == len(payloads) else "system")
    log.checkpoint()
    return log


def test_the_replay_accepts_release_scripts_on_the_platform_chain() -> None:
    log = logged(release(), release("0.2.0"))
    assert replay(parse_leaf(leaf) for leaf in log.leaves) == []


@pytest.mark.parametrize(
    ("payload", "actor", "reason"),
    [
        (release(commit="abc123"), "system", "payload has unknown fields ['commit']"),
        ({"scripts": release()["scripts"]}, "system", "payload misses fields ['version']"),
        (release(), "admin:1", "actor 'admin:1' is not system"),
        (release(scripts={"/static/js/site.js": "sha256-abc"}), "system", "the hash of /static/js/site.js is not"),
        (release(scripts={"/etc/passwd.js": SITE}), "system", "script path '/etc/passwd.js' is not"),
        (release(scripts={}), "system", "scripts must be an object of 1 to"),
        (release(version=""), "system", "version must be a text of 1 to 64"),
    ],
)
def test_the_replay_refuses_a_release_it_cannot_read(payload: dict[str, Any], actor: str, reason: str) -> None:
    log = logged(release(), payload, actor=actor)
    findings = replay(parse_leaf(leaf) for leaf in log.leaves)
    assert len(findings) == 1
    assert findings[0].index == 1
    assert findings[0].reason.startswith(f"platform chain, release.scripts: {reason}"), findings[0].reason


def test_the_report_lists_the_scripts_in_force(tmp_path: Path) -> None:
    log = logged(release(), release("0.2.0", scripts={"/static/js/site.js": BIDDING}))
    report = verify_bundle(log.write(tmp_path / "bundle"), key=log.vkey, replay=replay)
    assert report.ok, report.text()
    at = report.notes.index("scripts in force (release 0.2.0, entry 1, 2 releases logged):")
    assert report.notes[at + 1 :] == [f"  /static/js/site.js {BIDDING}"]
    assert "scripts in force" in report.text()


def test_a_ledger_without_releases_says_so() -> None:
    assert release_notes([]) == ["no release.scripts entry: the ledger records no script hashes"]
