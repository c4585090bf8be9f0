"""Accounts over HTTP: registration, API tokens, logging in and out."""
