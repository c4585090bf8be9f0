"""The monitor: does the platform keep showing everyone one growing, witnessed ledger? (docs/witnesses.md §6)

It fetches the site's newest cosigned checkpoint, opens it with the policy's log keys, requires a quorum of the
policy's witnesses, and checks that it extends the checkpoint it remembered from last time (a consistency proof from
the site, verified here). The remembered checkpoint is DIR/<origin with "/" as "_">.checkpoint, the verifier's
``--state`` layout, and is replaced atomically only after every check passed.
"""

from __future__ import annotations

import base64
import binascii
import os
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from auction.ledger.verifier.merkle import ProofError, verify_consistency
from auction.ledger.verifier.note import Checkpoint, NoteError, b64decode_strict, open_checkpoint
from auction.ledger.verifier.witnessing import TrustPolicy, quorum_time, verify_cosignatures

CHECKPOINT_PATH = "/api/v1/ledger/checkpoint"
CONSISTENCY_PATH = "/api/v1/ledger/proof/consistency"
TIMEOUT_SECONDS = 20.0


class StateError(Exception):
    """The remembered checkpoint cannot be read: the monitor's own files are damaged (not the site's fault)."""


class Unreachable(Exception):
    """The site did not answer, or not with what was asked for; worth retrying, not an inconsistency."""


@dataclass(frozen=True, slots=True)
class Report:
    """One round's verdict: `alert` is None when all is well, else the reason."""

    origin: str
    size: int
    alert: str | None = None
    witnessed: int = 0
    witnesses: int = 0

    def line(self) -> str:
        if self.alert is not None:
            return f"ALERT {self.origin}: {self.alert}"
        return f"OK {self.origin} size {self.size} witnessed by {self.witnessed} of {self.witnesses}"


def state_file(state_dir: Path, origin: str) -> Path:
    return state_dir / (origin.replace("/", "_") + ".checkpoint")


def remember(state_dir: Path, origin: str, note: str) -> None:
    """Replace the remembered checkpoint atomically: a crash leaves the old one or the new one, never half."""
    target = state_file(state_dir, origin)
    temporary = target.with_name(target.name + ".tmp")
    with temporary.open("w", encoding="utf-8") as out:
        out.write(note)
        out.flush()
        os.fsync(out.fileno())
    os.replace(temporary, target)


def _get(client: httpx.Client, url: str, params: dict[str, int] | None = None) -> httpx.Response:
    try:
        response = client.get(url, params=params, timeout=TIMEOUT_SECONDS)
    except httpx.HTTPError as exc:
        raise Unreachable(f"{url}: {exc}") from None
    if response.status_code != 200:
        raise Unreachable(f"{url}: HTTP {response.status_code}")
    return response


def fetch_consistency(client: httpx.Client, site: str, size1: int, size2: int) -> list[bytes]:
    """The site's consistency proof between two sizes, decoded; a malformed answer is Unreachable."""
    response = _get(client, site + CONSISTENCY_PATH, {"size1": size1, "size2": size2})
    try:
        answer = response.json()
        if answer["size1"] != size1 or answer["size2"] != size2:
            raise Unreachable(f"asked for a proof from {size1} to {size2}, got {answer['size1']} to {answer['size2']}")
        return [b64decode_strict(item) for item in answer["path"]]
    except (ValueError, KeyError, TypeError, binascii.Error, NoteError) as exc:
        raise Unreachable(f"{site}{CONSISTENCY_PATH}: not a consistency proof ({exc})") from None


def check(client: httpx.Client, site: str, policy: TrustPolicy, state_dir: Path) -> Report:
    """One round: fetch, verify, compare with the remembered checkpoint, remember the new one if all is well."""
    site = site.rstrip("/")
    note = _get(client, site + CHECKPOINT_PATH).text
    try:
        checkpoint = Checkpoint.from_note(note)
    except NoteError as exc:
        return Report("?", 0, f"the site's checkpoint does not parse: {exc}")
    origin, witnesses = checkpoint.origin, len(policy.witnesses)
    try:
        open_checkpoint(note, policy.logs)
    except NoteError as exc:
        return Report(origin, checkpoint.size, f"not signed by a log key of the policy: {exc}")
    try:
        cosignatures = verify_cosignatures(note, policy.witness_keys)
    except NoteError as exc:
        return Report(origin, checkpoint.size, f"a policy witness's cosignature is forged: {exc}")
    if policy.quorum > 0 and quorum_time(cosignatures, policy.quorum) is None:
        return Report(
            origin,
            checkpoint.size,
            f"size {checkpoint.size} is cosigned by {len(cosignatures)} of {witnesses} witnesses, "
            f"the policy needs {policy.quorum}",
        )
    path = state_file(state_dir, origin)
    if path.exists():
        try:
            previous = Checkpoint.from_note(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, NoteError) as exc:
            raise StateError(f"cannot read the remembered checkpoint {path}: {exc}") from None
        alert = _compare(client, site, previous, checkpoint)
        if alert is not None:
            return Report(origin, checkpoint.size, alert)
    remember(state_dir, origin, note)
    return Report(origin, checkpoint.size, witnessed=len(cosignatures), witnesses=witnesses)


def _compare(client: httpx.Client, site: str, previous: Checkpoint, current: Checkpoint) -> str | None:
    old, new = previous.size, current.size
    if new < old:
        return f"rollback: the site shows size {new}, smaller than the {old} seen before"
    if new == old:
        if current.root != previous.root:
            return (
                f"split view: size {new} now has root {base64.b64encode(current.root).decode()}, "
                f"before {base64.b64encode(previous.root).decode()}"
            )
        return None
    if old == 0:
        return None  # every tree extends the empty one
    proof = fetch_consistency(client, site, old, new)
    try:
        verify_consistency(old, new, proof, previous.root, current.root)
    except ProofError as exc:
        return f"size {new} does not extend the size {old} seen before: {exc}"
    return None


def run(site: str, policy: TrustPolicy, state_dir: Path, *, once: bool, interval: float) -> int:
    """Print one line a round. With `once`: exit 0 if OK, 1 on an alert, 2 if unreachable. Otherwise loop until
    the first alert (exit 1), retrying an unreachable site."""
    with httpx.Client(follow_redirects=False) as client:
        while True:
            try:
                report = check(client, site, policy, state_dir)
            except Unreachable as exc:
                print(f"UNREACHABLE {exc}", flush=True)
                if once:
                    return 2
            else:
                print(report.line(), flush=True)
                if report.alert is not None:
                    return 1
                if once:
                    return 0
            time.sleep(interval)
