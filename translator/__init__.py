"""translator package."""
