"""The console chat: the same engine and store, in a terminal.

Buttons show as numbered choices (type the number or the label); anything else is sent as typed.
`/quit`, Ctrl-D and Ctrl-C leave cleanly. Exports are written to files and their paths printed.

Exports are the only plain copies of what the user wrote, so they are kept apart per user, in
`<data dir>/exports/<user ref>/` (folder 0700, files 0600), and go when the user deletes their
data: the engine saves the user's place after every turn it answers, unless the turn erased the
user's data, so a place that is gone from the store after a turn means "erased" (no reply text is
matched, and the engine knows nothing of the console).
"""

from __future__ import annotations

import asyncio
import getpass
import os
import shutil
import sys
from dataclasses import replace
from pathlib import Path
from typing import TextIO

from bot.app import App, open_app
from bot.engine.events import Event, Kind, Reply
from bot.engine.registry import Registry
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
        if card.number not in reply.text:  # a number is shown once: in the text, or here
            lines.append(f"  ☎  {card.name}: {card.number}")
    if reply.document is not None:
        _private_folder(export_dir)
        safe_name = Path(reply.document.file_name).name or "export"
        path = export_dir / safe_name
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), 0o600)  # a file left from before keeps no wider mode
            handle.write(reply.document.content)
        lines.append(f"  📄 Saved to {path}")
    if reply.buttons:
        lines.append("")
        for number, button in enumerate(reply.buttons, start=1):
            lines.append(f"  {number}. {button.label}")
    return "\n".join(lines)


def _private_folder(folder: Path) -> None:
    """The exports folder and the user's folder in it, readable by this OS user only."""
    for part in (folder.parent, folder):
        part.mkdir(exist_ok=True, mode=0o700)
    os.chmod(folder, 0o700)


def _folder_made(folder: Path) -> bool:
    return os.path.lexists(folder)


def _has_exports(folder: Path) -> bool:
    return folder.is_dir() and any(folder.iterdir())


def _remove_exports(folder: Path) -> bool:
    """Delete the user's exports folder; True once it is gone."""
    try:
        shutil.rmtree(folder)
    except FileNotFoundError:
        pass
    except OSError:  # e.g. a permission changed by hand, or a symlink put in its place
        return False
    return not folder.exists()


async def _data_erased(app: App, user_id: str) -> bool:
    """Did the turn just handled erase the user's data? Their place is gone from the store."""
    try:
        store = app.conversations
        return await store.load_place(store.user_ref(user_id)) is None
    except Exception:  # noqa: BLE001 - the store failed: nothing is known to be erased
        return False


def _add_note(replies: list[Reply], note: str) -> list[Reply]:
    """`note` added to the text of the last reply (above its buttons)."""
    if not replies:
        return [Reply(text=note)]
    last = replies[-1]
    text = f"{last.text}\n\n{note}" if last.text else note
    return [*replies[:-1], replace(last, text=text)]


async def _exports_after_turn(
    app: App, user_id: str, event: Event, replies: list[Reply], export_dir: Path
) -> list[Reply]:
    """Warn before a deletion that exports go too; remove them once the data is erased."""
    if not _folder_made(export_dir):
        return replies  # nothing exported: nothing to warn of or remove
    folder = {"folder": str(export_dir)}
    if await _data_erased(app, user_id):
        removed = _remove_exports(export_dir)
        key = (
            "journal.console_exports_deleted" if removed else "journal.console_exports_not_deleted"
        )
        return _add_note(replies, app.engine.catalog.text(key, folder))
    if (
        event.kind == Kind.COMMAND
        and event.command == "delete_my_data"
        and _has_exports(export_dir)
    ):
        return _add_note(
            replies, app.engine.catalog.text("journal.console_exports_warning", folder)
        )
    return replies


def _read_line(prompt: str) -> str | None:
    try:
        return input(prompt)
    except EOFError:
        return None


def help_note(app: App, event: Event, replies: list[Reply]) -> list[Reply]:
    """/help lists the engine's commands (made from the registry's declarations); the console
    adds the one command it answers itself, /quit."""
    if event.kind != Kind.COMMAND or event.command != "help":
        return replies
    heading = app.engine.catalog.text("bot.help")
    quit_line = app.engine.catalog.text("console.help.quit")
    return [
        replace(r, text=f"{r.text}\n{quit_line}") if r.text.startswith(heading) else r
        for r in replies
    ]


async def chat(
    settings: Settings, out: TextIO = sys.stdout, registry: Registry | None = None
) -> int:
    app = await open_app(settings, registry)
    catalog = app.engine.catalog
    user_id = f"console:{getpass.getuser()}"
    # one folder per user, named by the store's pseudonym for them (not the login name)
    export_dir = settings.data_dir / "exports" / app.conversations.user_ref(user_id)
    prompt = "> " if sys.stdin.isatty() else ""

    def show(replies: list[Reply]) -> None:
        for reply in replies:
            if reply.delete_message:  # a PIN was typed: say honestly that it stays on screen
                reply = replace(reply, text=catalog.text("lock.console_cannot_delete"))
            print(RULE, file=out)
            print(render(reply, export_dir), file=out)
        print(RULE, file=out)
        print(catalog.text("console.prompt"), file=out, flush=True)

    try:
        place = await app.engine.place_of(user_id)
        # A returning user sees the menu, not the last screen: whoever opens the terminal next
        # may not be the person who left it (the place, a draft included, is still kept).
        first = Event.from_text("/start") if place.flow is None else Event.from_text("/menu")
        show(await app.engine.handle(user_id, first))
        while True:
            line = await asyncio.to_thread(_read_line, prompt)
            if line is None or line.strip().lower() in QUIT_WORDS:
                break
            if line.strip().lower() == "/clear":
                # the quick exit: wipe this terminal's screen and scrollback (the journal is kept),
                # then a short "Cleared" screen with the emergency button, Back and Menu
                print(CLEAR_SCREEN, end="", file=out)
                show(
                    await app.engine.handle(user_id, Event.from_text("/clear"))
                )  # closes the journal
                continue
            event = Event.from_text(line)
            replies = help_note(app, event, await app.engine.handle(user_id, event))
            show(await _exports_after_turn(app, user_id, event, replies, export_dir))
    finally:
        await app.close()
    # never "your place is kept": that tells an onlooker there is something to find (blind read)
    print(catalog.text("console.goodbye"), file=out, flush=True)
    return 0
