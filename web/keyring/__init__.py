"""The deployment's keys at the web edge: the start-up check each serving process makes (auction.keyring)."""
