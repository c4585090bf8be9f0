"""The public catalog of lots: filters that update the list in place, and keyset pages."""
