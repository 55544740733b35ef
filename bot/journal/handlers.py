"""What other features use of the journal (bot/ask offers to keep typed text beside advice).

The journal itself is split by concern: drafting.py (the guided record), capture.py (/log, one
message, forwarded text), files.py, browsing.py (the list, one incident, notes, police
references, corrections), erasing.py, export.py; its buttons are buttons.py and pressing.py.
"""

from __future__ import annotations

from bot.journal.capture import offer_to_keep, save_instead_button
from bot.journal.common import DETAILS, RECORD

__all__ = ["DETAILS", "RECORD", "offer_to_keep", "save_instead_button"]
