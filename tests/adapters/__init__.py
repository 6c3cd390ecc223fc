"""Tests of the chat platform adapters against protocol-level fakes."""
