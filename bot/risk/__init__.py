""" "Am I at risk?": the S-DASH stalking risk questions, answered privately, kept in the journal.

The questions, their order and their words are the flow `flows/risk_check.yaml` and
`content/risk_check.yaml`; this module only keeps what was answered and shows it again:

- `save_risk_answers` (the flow's one action) keeps the whole set, sealed and dated
  (`bot/store/checklists.py`), with each question as it was asked and each answer as given, so
  a later rewording never changes what the person said. The acknowledgement is the next screen,
  shown only after the commit. "Very frightened" answered Yes sends the person to the flow's
  `frightened` screen (emergency and reporting first) instead of `saved`.
- `/checklists` ("My saved answers") lists the sets, newest first; `r:` buttons open one.
- The export carries every set as its own page and CSV (`DiaryAppendix`); `/delete_my_data`
  erases them with the journal.

No score is computed anywhere, on purpose: the checklist's authors say risk identification does
not predict, and no threshold is published for the stalking questions.
"""

from __future__ import annotations

from bot.engine.actions import ActionFailed, DiaryAppendix, Registry, ServiceKey
from bot.engine.events import Button
from bot.engine.turn import Turn
from bot.journal.render import when_text
from bot.store.checklists import CHECKLIST_TABLE, Answer, Checklist, ChecklistStore

FLOW = "risk_check"
KIND = "sdash"
PREFIX = "r:"
COMMAND = "checklists"
# The sealed store of answered sets: built and provided by bot/app.py.
CHECKLISTS: ServiceKey[ChecklistStore] = ServiceKey("checklists")


def store_of(turn: Turn) -> ChecklistStore:
    return turn.service(CHECKLISTS)


def _questions(turn: Turn) -> list[tuple[str, str]]:
    """(slot, content key of the question) for every question of the flow, in its order."""
    steps = turn.steps_of(FLOW).values()
    return [(s.collect or "", s.ask or "") for s in steps if s.kind == "question"]


async def save_risk_answers(turn: Turn) -> None:
    catalog = turn.catalog
    skipped = catalog.text("risk.answer_skipped")
    answers = [
        Answer(catalog.text(ask), turn.shown(slot) or skipped) for slot, ask in _questions(turn)
    ]
    try:
        await store_of(turn).add(turn.user_ref, KIND, answers, turn.now)
    except Exception as exc:  # the database said no: say so calmly, keep the answers
        raise ActionFailed("risk.save_failed") from exc
    if turn.slots.get("frightened") == "yes":
        await turn.go(FLOW, "frightened", fresh=False)


def _title(turn: Turn, checklist: Checklist) -> str:
    return turn.catalog.text("risk.answered_on", {"when": when_text(checklist.answered_at)})


async def list_checklists(turn: Turn) -> None:
    catalog = turn.catalog
    checklists = await store_of(turn).all(turn.user_ref)
    if not checklists:
        turn.show_screen(catalog.text("risk.list_empty"), [], again=f"{PREFIX}l")
        return
    buttons = [
        Button(
            catalog.text("risk.btn_open", {"when": when_text(c.answered_at)}),
            f"{PREFIX}v:{c.id}",
        )
        for c in reversed(checklists)
    ]
    turn.show_screen(catalog.text("risk.list_heading"), buttons, again=f"{PREFIX}l")


def _lines(checklist: Checklist) -> list[str]:
    return [f"{a.question}\n→ {a.answer}" for a in checklist.answers]


async def user_presses_a_checklist_button(turn: Turn) -> None:
    parts = turn.event.data[len(PREFIX) :].split(":")
    if parts == ["l"]:
        await list_checklists(turn)
        return
    checklist = None
    if len(parts) == 2 and parts[0] == "v" and parts[1].isascii() and parts[1].isdigit():
        checklist = await store_of(turn).get(turn.user_ref, int(parts[1]))
    if checklist is None:
        turn.say("risk.not_found")
        await list_checklists(turn)
        return
    catalog = turn.catalog
    text = "\n\n".join(
        [_title(turn, checklist), *_lines(checklist), catalog.text("risk.own_answers")]
    )
    turn.show_screen(text, [], again=f"{PREFIX}v:{checklist.id}")


async def diary_appendix(turn: Turn) -> DiaryAppendix | None:
    """Every answered set, oldest first: one page each, and one CSV row per answer."""
    checklists = await store_of(turn).all(turn.user_ref)
    if not checklists:
        return None
    catalog = turn.catalog
    own = catalog.text("risk.own_answers")
    pages = [
        (_title(turn, c), own, [(a.question, a.answer) for a in c.answers]) for c in checklists
    ]
    rows = [[when_text(c.answered_at), a.question, a.answer] for c in checklists for a in c.answers]
    header = [
        catalog.text(k) for k in ("risk.csv_answered", "risk.csv_question", "risk.csv_answer")
    ]
    return DiaryAppendix(pages, "risk-questions", header, rows)


async def erase_checklists(turn: Turn) -> None:
    await store_of(turn).delete_user(turn.user_ref)


def register(registry: Registry) -> None:
    """The risk check's action, its command and buttons, its export pages and its eraser."""
    registry.action("save_risk_answers")(save_risk_answers)
    registry.needs_steps(FLOW, "frightened")  # save_risk_answers sends the frightened there
    registry.command(COMMAND)(list_checklists)
    registry.button(PREFIX)(user_presses_a_checklist_button)
    registry.diary_appendices.append(diary_appendix)
    registry.on_erase(erase_checklists)
    registry.private(commands=(COMMAND,), buttons=(PREFIX,))  # behind the journal lock
    registry.seal(tables=(CHECKLIST_TABLE,))


__all__ = ["register"]
