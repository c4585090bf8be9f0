"""Examples for the OpenAPI document: answers of the demo (`make run`), shortened, under a deployment's address.

docs/open-data.md shows the same answers with the requests that produced them.
"""

from __future__ import annotations

from typing import Any

SITE = "https://achyk.example.kg"
BIDS_EXTENSION = (
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_bid_extension/v1.1.5/extension.json"
)
TOKMOK = {"id": "municipality-tokmok", "name": "Tokmok City"}
PACKAGE = {
    "version": "1.1",
    "extensions": [BIDS_EXTENSION],
    "publisher": {"name": "Achyk", "uri": SITE},
    "license": "https://creativecommons.org/publicdomain/zero/1.0/",
    "publicationPolicy": f"{SITE}/opendata/policy",
}


def _ledger(index: int, body_hash: str, kind: str, lot_seq: int, size: int) -> dict[str, Any]:
    proof = f"{SITE}/api/v1/ledger/proof/inclusion?index={index}&size={size}"
    return {
        "index": index,
        "bodyHash": body_hash,
        "kind": kind,
        "lotSeq": lot_seq,
        "checkpointSize": size,
        "proof": proof,
    }


BID_RELEASE: dict[str, Any] = {
    "ocid": "ocds-xxxxxx-2",
    "id": "ocds-xxxxxx-2-22",
    "date": "2026-11-19T06:07:00.000000Z",
    "tag": ["tenderUpdate"],
    "initiationType": "tender",
    "language": "en",
    "parties": [{**TOKMOK, "roles": ["procuringEntity"]}],
    "tender": {
        "id": "ocds-xxxxxx-2-tender",
        "title": "Former kindergarten building, ground floor",
        "status": "active",
        "procuringEntity": TOKMOK,
        "value": {"amount": 45000, "currency": "KGS"},
        "procurementMethod": "open",
        "submissionMethod": ["electronicAuction"],
        "auctionPeriod": {"startDate": "2026-11-19T06:00:00.000000Z", "endDate": "2026-12-14T06:00:00.000000Z"},
    },
    "bids": {
        "statistics": [
            {
                "id": "highestValidBidValue",
                "measure": "highestValidBidValue",
                "date": "2026-11-19T06:07:00.000000Z",
                "value": 45000,
                "currency": "KGS",
            }
        ]
    },
    "achykLedger": _ledger(
        22, "fc02f083e07cf876b688cde4e0ffc24621e4032bed5bfcc17fde1bc03cf299e9", "bid.placed", 12, 34
    ),
}

FEED_EXAMPLE: dict[str, Any] = {
    "uri": f"{SITE}/api/v1/ocds/releases?since=22",
    **PACKAGE,
    "publishedDate": "2026-11-19T06:14:00.000000Z",
    "releases": [BID_RELEASE],
    "links": {"next": f"{SITE}/api/v1/ocds/releases?since=25"},
}

EMPTY_FEED_EXAMPLE: dict[str, Any] = {
    "uri": f"{SITE}/api/v1/ocds/releases?since=600",
    **PACKAGE,
    "publishedDate": "2026-11-26T15:32:08.647203Z",
    "releases": [],
    "links": {"next": f"{SITE}/api/v1/ocds/releases?since=600"},
}

WINNER = {"id": "b-d8041014ecfda84a", "name": "Bidder b-d8041014ecfda84a"}
PLOT = {
    "id": "1",
    "description": "Land plot for a family house, 0.08 ha",
    "classification": {"scheme": "x_achykPropertyKind", "id": "land_plot"},
    "additionalClassifications": [{"scheme": "CPV", "id": "70122100", "description": "Land sale services"}],
    "quantity": 1,
}
RECORD_EXAMPLE: dict[str, Any] = {
    "uri": f"{SITE}/api/v1/ocds/records/ocds-xxxxxx-43",
    **PACKAGE,
    "publishedDate": "2026-11-22T10:00:01.000000Z",
    "records": [
        {
            "ocid": "ocds-xxxxxx-43",
            "releases": [
                {
                    "ocid": "ocds-xxxxxx-43",
                    "id": "ocds-xxxxxx-43-496",
                    "date": "2026-11-22T10:00:01.000000Z",
                    "tag": ["implementation"],
                    "initiationType": "tender",
                    "achykLedger": _ledger(
                        496,
                        "72cac687b00933d63e396c2c3839e2d8e969b27dbf763c326347660b006093fa",
                        "payment.recorded",
                        25,
                        500,
                    ),
                }
            ],
            "compiledRelease": {
                "ocid": "ocds-xxxxxx-43",
                "id": "ocds-xxxxxx-43-2026-11-22T10:00:01.000000Z",
                "date": "2026-11-22T10:00:01.000000Z",
                "tag": ["compiled"],
                "initiationType": "tender",
                "parties": [
                    {**TOKMOK, "roles": ["procuringEntity", "payee"]},
                    {**WINNER, "roles": ["tenderer", "supplier", "payer"]},
                ],
                "tender": {"id": "ocds-xxxxxx-43-tender", "status": "complete", "items": [PLOT]},
                "awards": [
                    {
                        "id": "award-1",
                        "title": "Offer to the winner",
                        "status": "active",
                        "date": "2026-11-19T09:00:01.000000Z",
                        "value": {"amount": 1700000, "currency": "KGS"},
                        "suppliers": [WINNER],
                    }
                ],
                "contracts": [
                    {
                        "id": "contract-495",
                        "awardID": "award-1",
                        "status": "active",
                        "dateSigned": "2026-11-20T00:00:00+06:00",
                        "value": {"amount": 1700000, "currency": "KGS"},
                        "implementation": {
                            "transactions": [
                                {
                                    "id": "payment-496",
                                    "date": "2026-11-22T00:00:00+06:00",
                                    "value": {"amount": 1615000, "currency": "KGS"},
                                    "payer": WINNER,
                                    "payee": TOKMOK,
                                }
                            ]
                        },
                    }
                ],
            },
        }
    ],
}

BULK_LINE_EXAMPLE = (
    '{"ocid":"ocds-xxxxxx-2","id":"ocds-xxxxxx-2-22","date":"2026-11-19T06:07:00.000000Z","tag":["tenderUpdate"],'
    '"initiationType":"tender","language":"en","parties":[…],"tender":{…},"bids":{"statistics":[{"id":'
    '"highestValidBidValue","measure":"highestValidBidValue","date":"2026-11-19T06:07:00.000000Z","value":45000,'
    '"currency":"KGS"}]},"achykLedger":{"index":22,…}}\n'
)
