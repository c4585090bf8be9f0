"""The deployment's one set of keys: where every host gets them, and the start-up check that they agree.

Sessions, CSRF, the ledger's signatures and its pseudonyms must come from one set per deployment: a host with a
key of its own would sign receipts no inspector can verify, or names bidders differently. The set comes from
configuration, or from the database with the private parts sealed under a configured key-encryption key.
"""
