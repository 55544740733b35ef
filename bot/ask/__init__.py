"""Typed questions get answers: free text routed to the advice that fits (issue 15).

`ranker` scores the advice screens for a message (with `model`, a topic classifier, and the
fitted spaces `index` ships in index.json), `incident` tells a described incident from a
question, `router` decides (menu, one screen, a choice, "not covered", journal), `handlers` does
it in the conversation, `cli` prints it for reviewers (`safety-bot ask "TEXT"`) and rebuilds the
index (`safety-bot ask build`), `measure` scores it on the labelled corpora (tests/corpus/ask*/). The words people use for each screen are in
content/ask_like.yaml; figures in docs/ask.md.
"""

from __future__ import annotations

from bot.engine.actions import Registry


def register(registry: Registry) -> None:
    """The engine's `text_router` step and the `a:` advice buttons. The router itself is built
    with the project (bot.app.open_app) and provided as `handlers.ROUTER`."""
    from bot.ask import handlers

    registry.text_router = handlers.user_types_free_text
    registry.button(handlers.PREFIX)(handlers.user_picks_advice)


__all__ = ["register"]
