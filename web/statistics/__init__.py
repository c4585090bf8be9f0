"""The public statistics pages, their CSV files and JSON API (auction/statistics)."""
