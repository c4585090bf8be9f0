"""The site in Kyrgyz, Russian and English: catalogs, choosing the reader's language, and translated words."""
