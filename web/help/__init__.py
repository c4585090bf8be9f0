"""Help and frequently asked questions: how a citizen registers, applies, pays, bids, signs and verifies."""
