"""The message catalogue files: one TOML file per area, read by bot.catalogue."""
