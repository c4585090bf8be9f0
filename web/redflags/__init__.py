"""Red flags: the public pages and the JSON API over auction/redflags."""
