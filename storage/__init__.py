"""Persistence: the store interface, its SQLite backend and token encryption."""
