"""Bidding over HTTP: applications, bids of every format, awards, the live panel, a bidder's own pages."""
