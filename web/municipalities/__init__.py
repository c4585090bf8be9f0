"""The municipal hierarchy for API clients' filters."""
