"""The registry's names as features import them (`from bot.engine.actions import Registry`).

Everything lives in bot/engine/registry.py; this module stays so feature code need not change.
"""

from bot.engine.registry import (
    Action,
    ActionFailed,
    AppendixMaker,
    Command,
    CommandHandler,
    DiaryAppendix,
    Eraser,
    Registry,
    ServiceKey,
    ServiceMissing,
)

__all__ = [
    "Action",
    "ActionFailed",
    "AppendixMaker",
    "Command",
    "CommandHandler",
    "DiaryAppendix",
    "Eraser",
    "Registry",
    "ServiceKey",
    "ServiceMissing",
]
