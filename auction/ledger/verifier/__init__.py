"""The inspector's offline verifier: ``python -m auction.ledger.verifier BUNDLE [options]``.

Everything an inspector needs to check an exported ledger bundle without the platform installed, and the one
copy of the ledger's formats and hash primitives that the platform itself writes with:

    canonical    RFC 8785 canonical JSON and ledger time strings
    entry        body and leaf formats (parse and make)
    merkle       RFC 6962 leaf/node hashing, compact ranges, inclusion and consistency proofs
    note         C2SP signed notes, tlog checkpoints, receipts
    proof_file   C2SP tlog-proof files
    bundle       the export bundle (directory or .zip)
    limits       how much of each input the verifier reads (a hostile input is unusable, exit 2)
    scan         the per-block checks, run in worker processes
    merge        the in-order checks: chain boundaries, key rotations, checkpoints against the rebuilt tree
    inputs       vkeys.txt, checkpoints.txt and the inspector's --key, --since, --receipt
    receipts     --since, --state, tlog-proof and receipt checks
    witnessing   checkpoint time lines, cosignatures, the trust policy, witnessed time
    trust        what the inspector trusts: pinned log keys, the policy's quorum, --checkpoint's forms
    state        --state: the newest trusted checkpoint per origin, remembered atomically
    verify       `verify_bundle`: all of the above, in order
    replay       the auction state machine re-run over every lot's chain
    auction_rules, sealed   the auction rules and sealed-bid opening that both the platform and the replay use
    report, cli, __main__   the outcome, the command line

Imports: the standard library, `cryptography` and `rfc8785` only, and no other part of `auction` (a test and
an import contract enforce it). The platform imports from here, never the reverse.
"""
