"""Subresource Integrity: every script and stylesheet a page names carries the SHA-384 of the file the site
serves, and the import map covers every module those scripts import."""

from __future__ import annotations

import base64
import hashlib
import json
import re

from tests.kit.page import Page
from tests.web.auction_support import Auctioneer
from tests.web.conftest import Client, log_in

IMPORT = re.compile(r'^import\s[^"]*"\./([a-z0-9-]+\.js)";', re.MULTILINE)


def sri(data: bytes) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode()


async def test_every_static_script_and_stylesheet_has_the_hash_of_the_served_file(
    client: Client, auctioneer: Auctioneer
) -> None:
    lot_id = await auctioneer.sealed_lot()
    await auctioneer.admit(lot_id, "bidder")
    await auctioneer.open(lot_id)
    await log_in(client, "bidder")
    checked: set[str] = set()
    modules: set[str] = set()
    for path in ("/", f"/lots/{lot_id}", "/ledger/verify", "/ledger/", "/me/bids", "/no-such-page"):
        page = Page((await client.get(path)).text)
        tags = page.all("script[src]") + page.all('link[rel="stylesheet"]')
        assert tags, path
        for tag in tags:
            url = str(tag.get("src") or tag.get("href"))
            assert url.startswith("/static/"), url
            served = await client.get(url)
            assert served.status_code == 200, url
            assert tag.get("integrity") == sri(served.content), f"{path}: {url}"
            assert tag.get("crossorigin") == "anonymous", f"{path}: {url}"
            checked.add(url)
            if tag.get("type") == "module":
                modules.add(url)
        # What module scripts import is checked through the import map, which names every script with its hash.
        import_map = json.loads(page.one('script[type="importmap"]').text)
        for url, digest in import_map["integrity"].items():
            assert digest == sri((await client.get(url)).content), url
    assert {"/static/css/site.css", "/static/js/bidding.js", "/static/js/ledger-verify-page.js"} <= checked
    # Follow the imports of the module scripts: each imported file is in the import map.
    seen, queue = set(modules), list(modules)
    while queue:
        url = queue.pop()
        for name in IMPORT.findall((await client.get(url)).text):
            imported = f"/static/js/{name}"
            assert imported in import_map["integrity"], f"{url} imports {imported}, which the import map does not pin"
            if imported not in seen:
                seen.add(imported)
                queue.append(imported)
    assert {"/static/js/lot-key.js", "/static/js/ledger-verify.js", "/static/js/sealed-bid.js"} <= seen
