"""The Telegram channel: turns updates into engine events and replies into Bot API calls."""
