"""Running the platform: what an operator's monitor reads to know the site is healthy (docs/operations.md)."""
