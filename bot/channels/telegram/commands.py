"""Telegram's command menu, made from the commands the features declared (`Registry.command`).

The words are content (`menu.command.<name>`); a command whose words content lacks is left out
of the menu (it still works, and /help lists it). After /clear a chat's menu is cut to the
neutral commands (start, urgent help, help): emergency advice stays one step from everywhere.
"""

from __future__ import annotations

from bot.content.catalog import Catalog
from bot.engine.registry import Registry


def command_menu(
    registry: Registry, catalog: Catalog, *, neutral: bool = False
) -> list[tuple[str, str]]:
    """(command, its words) in the menu's order, as Telegram's setMyCommands takes them."""
    return [
        (c.name, catalog.text(c.menu))
        for c in registry.menu_commands(neutral=neutral)
        if c.menu and catalog.has(c.menu)
    ]
