"""Epson Connect API v2: the client, its wire shapes, and a local simulator."""
