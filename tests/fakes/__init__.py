"""Protocol-level fakes of the chat platforms, driven by the real libraries."""
