"""Chat platform adapters: Telegram, Discord and a local console."""
