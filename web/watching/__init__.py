"""Watching: an account's watchlist and saved catalog searches, as pages and as the JSON API."""
