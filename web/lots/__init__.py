"""Lots over HTTP: the lots API, the public lot page, and the history of published terms."""
