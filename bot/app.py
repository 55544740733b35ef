"""Putting the pieces together for any channel: flows, content, store and engine."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot import ask, journal, risk, tidy
from bot.ask.handlers import ROUTER
from bot.ask.ranker import danger_words
from bot.ask.router import Router
from bot.engine.actions import Registry
from bot.engine.danger import DangerDetector
from bot.engine.engine import Engine
from bot.engine.slots import SLOT_TYPES
from bot.flows.loader import Project, load_project
from bot.settings import Settings
from bot.store.checklists import ChecklistStore
from bot.store.conversations import ConversationStore
from bot.store.crypto import Cipher, load_or_create_key
from bot.store.db import DB_FILE_NAME, Database
from bot.store.incidents import IncidentStore
from bot.store.keys import unlock
from bot.store.locks import LockStore
from bot.store.sealed import SealedData


def build_registry() -> Registry:
    """Every action and command the code offers the flows."""
    registry = Registry()
    # Feature modules register here, e.g. the incident journal: journal.register(registry)
    journal.register(registry)
    # Both channels answer /clear themselves (Telegram deletes messages, the console its screen).
    registry.channel_command("clear", menu_rank=60)
    risk.register(registry)
    tidy.register(registry)
    ask.register(registry)
    journal.guard(registry)  # last: the journal lock guards what every feature declared private
    return registry


def sealed_data(registry: Registry) -> SealedData:
    """Every sealed table and folder: the store's own and what each feature declared on
    `registry` (`registry.seal`). The ops commands (rotate-key, backup) are handed this."""
    return SealedData.of(registry.sealed_tables, registry.sealed_files)


def project_checks(registry: Registry) -> dict[str, Any]:
    """What the code registers, for the validator to check the flows against."""
    return {
        "needed_steps": tuple(registry.needed_steps),
        "known_types": set(SLOT_TYPES),
        "known_actions": set(registry.actions),
        "entry_flows": set(registry.command_flows.values()),
        "known_commands": registry.command_names(),
    }


def load_checked_project(settings: Settings, registry: Registry) -> Project:
    """Load flows and content; raises `ProjectInvalid` naming file, line and step."""
    return load_project(
        settings.flows_dir,
        settings.content_dir,
        region=settings.region,
        **project_checks(registry),
    )


def wire_services(
    registry: Registry,
    project: Project,
    settings: Settings,
    db: Database,
    cipher: Cipher,
    danger: DangerDetector,
) -> None:
    """Build every feature's store and service once, here, and provide it under its typed key
    (a feature reads it with `turn.service(KEY)`; nothing is built lazily from a dict)."""
    registry.provide(journal.INCIDENTS, IncidentStore(db, cipher, settings.data_dir))
    registry.provide(journal.LOCK_STORE, LockStore(db, cipher))
    registry.provide(risk.CHECKLISTS, ChecklistStore(db, cipher))
    router = Router.for_project(project, settings.content_dir, danger_words(danger))
    if router is not None:  # no advice flows to rank: typed questions get the journal offer
        registry.provide(ROUTER, router)


@dataclass
class App:
    settings: Settings
    engine: Engine
    db: Database
    conversations: ConversationStore
    cipher: Cipher
    sealed: SealedData  # every sealed table and folder, as the features declared them

    @property
    def registry(self) -> Registry:
        """What the features declared, and the services built for them."""
        return self.engine.registry

    async def close(self) -> None:
        await self.conversations.close()
        await self.db.close()


async def open_app(
    settings: Settings,
    registry: Registry | None = None,
    clock: Callable[[], dt.datetime] | None = None,
) -> App:
    """Check the flows, open the database (migrating it) and build the engine (on `clock`, the
    real one unless a test passes its own)."""
    registry = registry or build_registry()
    project = load_checked_project(settings, registry)
    sealed = sealed_data(registry)  # a table declared twice stops start-up here
    db_path = settings.data_dir / DB_FILE_NAME
    key = load_or_create_key(settings.data_dir, settings.key, db_path.exists(), settings.key_origin)
    cipher = Cipher(key)
    db = await Database.open(db_path, settings.busy_timeout_ms)
    try:
        ref_key = await unlock(db, cipher)
    except BaseException:
        await db.close()
        raise
    conversations = ConversationStore(db, cipher, ref_key)
    danger = DangerDetector.from_content(settings.content_dir)
    wire_services(registry, project, settings, db, cipher, danger)
    engine = Engine(project, registry, conversations, danger=danger, clock=clock)
    registry.services["engine"] = engine
    await journal.on_open(registry, engine.turn_without_event, engine.clock())
    return App(settings, engine, db, conversations, cipher, sealed)
