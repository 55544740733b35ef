"""The console chat: the same engine and store, in a terminal.

Buttons show as numbered choices (type the number or the label); anything else is sent as typed.
`/quit`, Ctrl-D and Ctrl-C leave cleanly. Exports are written to files and their paths printed.
"""

from __future__ import annotations

import asyncio
import getpass
import os
import sys
from pathlib import Path
from typing import TextIO

from bot.app import open_app
from bot.engine.events import Event, Reply
from bot.settings import Settings

QUIT_WORDS = {"/quit", "/exit"}
RULE = "─" * 40
CLEAR_SCREEN = "\033[2J\033[3J\033[H"


def render(reply: Reply, export_dir: Path) -> str:
    """A reply as terminal text."""
    lines: list[str] = []
    if reply.text:
        lines.append(reply.text)
    for card in reply.contacts:
        lines.append(f"  ☎  {card.name}: {card.number}")
    if reply.document is not None:
        export_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        safe_name = Path(reply.document.file_name).name or "export"
        path = export_dir / safe_name
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(reply.document.content)
        lines.append(f"  📄 Saved to {path}")
    if reply.buttons:
        lines.append("")
        for number, button in enumerate(reply.buttons, start=1):
            lines.append(f"  {number}. {button.label}")
    return "\n".join(lines)


def _read_line(prompt: str) -> str | None:
    try:
        return input(prompt)
    except EOFError:
        return None


async def chat(settings: Settings, out: TextIO = sys.stdout) -> int:
    app = await open_app(settings)
    user_id = f"console:{getpass.getuser()}"
    export_dir = settings.data_dir / "exports"
    prompt = "> " if sys.stdin.isatty() else ""

    def show(replies: list[Reply]) -> None:
        for reply in replies:
            print(RULE, file=out)
            print(render(reply, export_dir), file=out)
        print(RULE, file=out)
        print("(type a number, or /help · /quit to leave)", file=out, flush=True)

    try:
        place = await app.engine.place_of(user_id)
        first = Event.from_text("/start") if place.flow is None else Event.from_text("/help")
        show(await app.engine.handle(user_id, first))
        while True:
            line = await asyncio.to_thread(_read_line, prompt)
            if line is None or line.strip().lower() in QUIT_WORDS:
                break
            if line.strip().lower() == "/clear":
                # the quick exit: wipe this terminal's screen and scrollback (the journal is kept)
                print(CLEAR_SCREEN, end="", file=out)
                print("Cleared. Type /menu to carry on.", file=out, flush=True)
                continue
            show(await app.engine.handle(user_id, Event.from_text(line)))
    finally:
        await app.close()
    print("Goodbye. Your place is kept for next time.", file=out, flush=True)
    return 0
