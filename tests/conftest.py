"""Fixtures every test package may use: the store on SQLite and on a real PostgreSQL server."""

pytest_plugins = ["tests.support.postgres"]
