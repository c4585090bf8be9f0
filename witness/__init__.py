"""achyk-witness: an independent witness of the Achyk ledger (c2sp.org/tlog-witness) and its monitor.

Run by a body the operator does not control (an audit chamber, a prosecutor's office, an NGO). It cosigns a log's
checkpoint only if it extends the last one it cosigned, stamps the cosignature with its own clock, and keeps the
requests that prove a fork. See docs/witnesses.md. It imports the formats from auction.ledger.verifier and nothing
else of the platform, so it runs on a machine that has no part of the platform's configuration.
"""
