"""Briefs from the search results: made, approved, drafted from."""
