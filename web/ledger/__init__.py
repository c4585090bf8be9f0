"""The public ledger: its API (checkpoints, proofs, export) and the inspector's desk."""
