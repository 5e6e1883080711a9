"""alertmanager package."""
