"""The dialogue core: flows in, replies out. It knows no channel (Telegram, console)."""
