"""The inspector's verification page in a real browser: a proof is trusted only under the trust policy the inspector
pastes (kept by the browser until forgotten), and the browser remembers the checkpoint it trusted."""

from __future__ import annotations

import asyncio
import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from playwright.async_api import Browser, Page, expect

from auction.ledger.verifier.note import Checkpoint, sign_checkpoint
from auction.ledger.verifier.proof_file import build_proof, parse_proof
from auction.ledger.verifier.witnessing import WitnessKey, cosign, timed_checkpoint
from tests.e2e.conftest import Site
from tests.kit.site import LEDGER_SIGNING_SEED
from tests.kit.world import lot_terms

pytestmark = pytest.mark.browser

BISHKEK = ZoneInfo("Asia/Bishkek")
# The integrator signs a checkpoint on its own schedule; this bounds the wait for one, it times nothing.
PROOF_ATTEMPTS = 300
WITNESSED_AT = 1_764_108_000  # 2025-11-25 22:00:00 UTC, 04:00 the next morning in Bishkek


async def published_entry_proof(site: Site) -> str:
    """A lot published through the API, and the tlog-proof of its first ledger entry once a checkpoint covers it."""
    auth = site.world.auth("officer_tokmok")
    async with httpx.AsyncClient(base_url=site.url) as api:
        created = await api.post("/api/v1/lots", json=lot_terms(datetime.now(BISHKEK)), headers=auth)
        assert created.status_code == 201, created.text
        lot_id = created.json()["id"]
        published = await api.post(f"/api/v1/lots/{lot_id}/publish", headers=auth)
        assert published.status_code == 200, published.text
        for _ in range(PROOF_ATTEMPTS):
            chain = (await api.get(f"/api/v1/ledger/lots/{lot_id}/entries")).json()
            if chain["integrated"]:
                first = chain["integrated"][0]["body_hash"]
                proof = await api.get(f"/api/v1/ledger/receipts/{first}/proof")
                if proof.status_code == 200:
                    return proof.text
            await asyncio.sleep(0.2)
    pytest.fail("no signed checkpoint covered the lot's first entry")


def cosigned(proof_text: str, log_key_name: str, witness: Ed25519PrivateKey, when: int) -> str:
    """The proof with its tree re-signed by the site's log key with a time line, and cosigned by `witness`.

    Plays the platform once witnesses cosign: the same tree, the checkpoint a witness would have stamped.
    """
    proof = parse_proof(proof_text)
    tree = Checkpoint.from_note(proof.checkpoint_note)
    log_key = Ed25519PrivateKey.from_private_bytes(LEDGER_SIGNING_SEED)
    checkpoint = timed_checkpoint(tree.origin, tree.size, tree.root, when)
    note = sign_checkpoint(checkpoint, log_key_name, log_key) + cosign(checkpoint.text(), "witness.test", witness, when)
    return build_proof(proof.index, proof.hashes, note)


async def verify(page: Page) -> None:
    await page.click("text=Verify in this browser")
    await expect(page.locator("#verify-verdict[data-outcome]")).to_be_visible()


async def test_a_proof_is_trusted_only_under_the_inspectors_policy(
    site: Site, browser: Browser, artifacts: Path
) -> None:
    proof = await published_entry_proof(site)
    async with httpx.AsyncClient(base_url=site.url) as api:
        log_vkey = (await api.get("/api/v1/ledger/key")).text.strip()
    context = await browser.new_context()
    page = await context.new_page()
    await page.goto(f"{site.url}/ledger/verify?lang=en")
    verdict = page.locator("#verify-verdict")
    steps = page.locator("#verify-steps li")

    # Every check passes against the key the site shows, and still the answer is no trust.
    await page.fill("#f-evidence", proof)
    await verify(page)
    await expect(verdict).to_have_attribute("data-outcome", "not_trusted")
    await expect(verdict).to_have_text(
        "NOT TRUSTED: no trust policy. Every check passed, but against a key only this site vouches for. "
        "Paste your trust policy."
    )
    await expect(page.locator("#verify-steps li.step-failed")).to_have_count(0)
    # What the signatures cover, from the signed entry, its kind by name in the page's language.
    await expect(page.locator("#verify-subject")).to_contain_text("Lot published (lot.published)")

    # The inspector's policy names the log key; its quorum of 0 leaves the answer unwitnessed.
    policy = f"achyk-trust-policy/v1\n# checked with the municipality\nlog {log_vkey}\nquorum 0\ngrace 10\n"
    await page.fill("#f-policy", policy)
    await verify(page)
    await expect(verdict).to_have_attribute("data-outcome", "unwitnessed")
    await expect(steps.last).to_have_attribute("data-step", "history_first")

    # The browser keeps the policy and the checkpoint: after a reload the same checkpoint is recognised.
    await page.reload()
    await expect(page.locator("#f-policy")).to_have_value(policy)
    await page.fill("#f-evidence", proof)
    await verify(page)
    await expect(verdict).to_have_attribute("data-outcome", "unwitnessed")
    await expect(steps.last).to_have_attribute("data-step", "history_same")

    # A witness the site has no cosignature from, required by the policy: refused, naming the quorum.
    witness_key = Ed25519PrivateKey.generate()
    witness = WitnessKey.of("witness.test", witness_key).vkey
    await page.fill("#f-policy", policy.replace("quorum 0", f"witness {witness}\nquorum 1"))
    await verify(page)
    await expect(verdict).to_have_text("Not verified.")
    await expect(page.locator("#verify-steps li.step-failed")).to_have_attribute("data-step", "witnesses")
    await expect(page.locator("#verify-steps li.step-failed .step-error")).to_contain_text("the policy's quorum is 1")
    await expect(page.locator("#verify-steps li.step-failed .step-why")).to_have_text(
        "Only 0 of your policy's 1 witnesses cosigned; your policy needs 1."
    )
    await expect(page.locator("#verify-subject")).to_be_hidden()  # nothing is shown as verified

    # Once the witness has cosigned the same tree, the proof is trusted, and the page shows when, in Bishkek and UTC.
    await page.fill("#f-evidence", cosigned(proof, log_vkey.split("+", 1)[0], witness_key, WITNESSED_AT))
    await verify(page)
    await expect(verdict).to_have_attribute("data-outcome", "verified")
    await expect(verdict).to_have_text(
        "Verified: the entry is in the ledger your policy's log key signed, and a quorum of your witnesses cosigned it."
    )
    await expect(steps.last).to_have_attribute("data-step", "history_same")  # the same tree as remembered
    # ICU versions differ in the joining words and spaces of a long date; the moment itself may not.
    moment = r"November 26, 2025\S* (at )?4:00:00\sAM, Bishkek time \(2025-11-25 22:00:00 UTC\)$"
    await expect(page.locator("#verify-witnesses li")).to_have_text(re.compile(rf"^witness\.test cosigned at {moment}"))
    await expect(page.locator("#verify-quorum-time")).to_contain_text("(2025-11-25 22:00:00 UTC)")
    await page.screenshot(path=str(artifacts / f"ledger-verify-witnessed-{site.backend}.png"), full_page=True)

    # Forgotten, the policy is gone from the browser, and the answer is no trust again.
    await page.click("#policy-forget")
    await expect(page.locator("#policy-status")).to_have_text("This browser has forgotten the policy.")
    await page.reload()
    await expect(page.locator("#f-policy")).to_have_value("")
    await page.fill("#f-evidence", proof)
    await verify(page)
    await expect(verdict).to_have_attribute("data-outcome", "not_trusted")
    await context.close()
