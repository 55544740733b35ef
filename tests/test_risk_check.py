""" "Am I at risk?": the eleven risk questions walked from the menu, answered in several ways.

The result never states a level of risk (the same screens whatever was answered, except that
"very frightened" answered Yes leads straight to the emergency and reporting options), and the
answers are kept as given, dated, in the journal and its export.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import shutil
from pathlib import Path

import pytest
from pypdf import PdfReader

from bot.app import build_registry, project_checks
from bot.engine.events import Reply
from bot.flows.loader import load_project
from tests.chat_client import ChatClient, said_pattern
from tests.journal_support import occurrences, start_app

REPO = Path(__file__).resolve().parent.parent
QUESTIONS = 11
# words that would tell the person how safe they are: none may appear on a result screen
VERDICTS = (
    "low risk",
    "medium risk",
    "high risk",
    "standard risk",
    "you are safe",
    "not at risk",
    "at risk.",
    "score",
    "risk level",
    "level of risk",
    "out of 11",
)


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def flat(text: str) -> str:
    return " ".join(text.split())


# the four answers, by the content id of their button (the names are the test's own)
ANSWERS = {
    "Yes": "risk.answer_yes",
    "No": "risk.answer_no",
    "Not sure": "risk.answer_unsure",
    "Skip": "btn.skip",
}
# what the diary and its copies record for each ("Skip" is recorded as skipped)
RECORDED = {**ANSWERS, "Skip": "risk.answer_skipped"}


async def answer_all(chat: ChatClient, answers: list[str]) -> list[Reply]:
    """From the menu: open the check, start, and answer each question (a name in ANSWERS)."""
    await chat.send("/menu")
    await chat.press("menu.risk_check")
    chat.expect("risk.intro")
    await chat.press("risk.btn_start")
    for n, answer in enumerate(answers, start=1):
        assert f"{n} of 11." in chat.text, chat.text
        assert chat.buttons[:4] == [chat.words(key) for key in ANSWERS.values()]
        assert emergency_button(chat) in chat.buttons
        await chat.press(ANSWERS[answer])
    return chat.replies


def said(chat: ChatClient, text: str, key: str) -> bool:
    return re.search(said_pattern(chat.catalog, key, {}), text) is not None


def opened_answers(chat: ChatClient, label: str) -> bool:
    """Whether a button label is "Answers of <when>" (a saved set)."""
    return re.fullmatch(said_pattern(chat.catalog, "risk.btn_open", {}), label) is not None


def question_words(chat: ChatClient, name: str) -> str:
    """A question's words without its "n of 11." number."""
    return chat.words(f"risk.q_{name}").split(". ", 1)[1]


def emergency_button(chat: ChatClient) -> str:
    return chat.engine.catalog.text("btn.emergency")


@pytest.fixture
async def app(tmp_path: Path):  # noqa: ANN201
    app = await start_app(tmp_path)
    yield app
    await app.close()


async def walk_result(chat: ChatClient) -> tuple[str, str]:
    """The two result screens after the last answer: the first, and the one under "More"."""
    first = chat.text
    await chat.press("btn.more")
    return first, chat.text


async def test_all_no_some_yes_and_all_skipped_get_the_same_words(app) -> None:  # noqa: ANN001
    results = []
    for user, answers in [
        ("test:none", ["No"] * QUESTIONS),
        (
            "test:some",
            ["No", "Yes", "Yes", "Not sure", "No", "Yes", "No", "No", "Yes", "No", "Yes"],
        ),
        ("test:skip", ["Skip"] * QUESTIONS),
        ("test:most", ["Not sure"] + ["Yes"] * 10),
    ]:
        chat = ChatClient(app.engine, user)
        await answer_all(chat, answers)
        chat.expect("risk.saved")
        first, more = await walk_result(chat)
        results.append((first, more))
        assert "tell the police: call 101, or 999 if you are in danger" in flat(first)
        assert said(chat, more, "risk.more_yes")
        assert said(chat, more, "risk.take_them")
        for screen in (first, more):
            for verdict in VERDICTS:
                assert verdict not in screen.lower(), (verdict, screen)
        assert chat.words("risk.btn_my_answers") in chat.buttons
    # no verdict hides in a difference either: the result does not change with the answers
    assert len(set(results)) == 1


async def test_very_frightened_leads_straight_to_emergency_and_reporting(app) -> None:  # noqa: ANN001
    chat = ChatClient(app.engine, "test:frightened")
    await answer_all(chat, ["Yes"] + ["Skip"] * (QUESTIONS - 1))
    chat.expect("risk.frightened")
    assert "If you are in danger now, call 999." in chat.text  # the number from the registry
    assert "999" in chat.contacts  # offered as a number to tap, straight away
    assert chat.buttons[:2] == [chat.words("common.btn_report"), chat.words("report.btn_helpline")]
    assert emergency_button(chat) in chat.buttons
    for verdict in VERDICTS:
        assert verdict not in chat.text.lower()
    await chat.press("common.btn_report")
    assert "101" in chat.contacts
    # the answers were saved before the emergency screen was offered
    await chat.send("/checklists")
    assert len([b for b in chat.buttons if opened_answers(chat, b)]) == 1


async def test_not_sure_on_the_first_question_is_not_very_frightened(app) -> None:  # noqa: ANN001
    chat = ChatClient(app.engine, "test:unsure")
    await answer_all(chat, ["Not sure"] + ["No"] * (QUESTIONS - 1))
    assert not said(chat, chat.text, "risk.frightened")
    chat.expect("risk.any_yes")


async def test_the_export_carries_each_set_as_given_with_its_date(app, tmp_path: Path) -> None:  # noqa: ANN001
    now = [dt.datetime(2026, 3, 12, 20, 30, tzinfo=dt.UTC)]
    app.engine.clock = lambda: now[0]
    chat = ChatClient(app.engine, "test:export")
    first = ["Yes", "No", "Not sure", "Skip", "No", "No", "Yes", "No", "No", "No", "No"]
    await answer_all(chat, first)
    now[0] = dt.datetime(2026, 7, 2, 8, 5, tzinfo=dt.UTC)
    second = ["No"] * QUESTIONS
    await answer_all(chat, second)

    await chat.send("/checklists")
    # newest first, both kept; dates in UK time (BST in July)
    assert [b for b in chat.buttons if opened_answers(chat, b)] == [
        chat.words("risk.btn_open", when="Thu 2 Jul 2026, 09:05"),
        chat.words("risk.btn_open", when="Thu 12 Mar 2026, 20:30"),
    ]
    await chat.press("risk.btn_open", when="Thu 12 Mar 2026, 20:30")
    chat.expect("risk.answered_on", when="Thu 12 Mar 2026, 20:30")
    for question, answer in (("frightened", "Yes"), ("damage", "Not sure"), ("visits", "Skip")):
        shown = f"{question_words(chat, question)}\n→ {chat.words(RECORDED[answer])}"
        assert shown in chat.text, shown
    chat.expect("risk.own_answers")

    replies = await chat.send("/export")
    documents = {r.document.file_name: r.document.content for r in replies if r.document}
    pdf = next(c for n, c in documents.items() if n.endswith(".pdf"))
    text = flat(pdf_text(pdf))
    for when in ("Thu 12 Mar 2026, 20:30", "Thu 2 Jul 2026, 09:05"):
        assert flat(chat.words("risk.answered_on", when=when)) in text
    assert flat(chat.words("risk.own_answers")) in text
    assert text.count(question_words(chat, "frightened")) == 2

    rows = list(
        csv.reader(io.StringIO(documents["risk-questions-2026-07-02.csv"].decode("utf-8-sig")))
    )
    assert rows[0] == [chat.words(f"risk.csv_{c}") for c in ("answered", "question", "answer")]
    march = [r for r in rows[1:] if r[0] == "Thu 12 Mar 2026, 20:30"]
    assert [r[2] for r in march] == [chat.words(RECORDED[a]) for a in first]
    july = [r for r in rows[1:] if r[0] == "Thu 2 Jul 2026, 09:05"]
    assert [r[2] for r in july] == [chat.words(RECORDED[a]) for a in second]
    assert march[0][1] == chat.words("risk.q_frightened")


async def test_answers_are_sealed_private_and_erased_with_the_journal(app, tmp_path: Path) -> None:  # noqa: ANN001
    chat = ChatClient(app.engine, "test:owner")
    await answer_all(chat, ["Yes"] * QUESTIONS)
    await chat.send("/checklists")
    opened = next(r for r in chat.replies for b in r.buttons if opened_answers(chat, b.label))
    data = next(b.data for b in opened.buttons if opened_answers(chat, b.label))
    # the question words are nowhere in the files in plain text
    assert occurrences(tmp_path, b"got other people to help them") == []

    other = ChatClient(app.engine, "test:other")
    replies = await other.event(
        __import__("bot.engine.events", fromlist=["Event"]).Event.button(data)
    )
    assert chat.words("risk.not_found") in "\n".join(r.text for r in replies)

    await chat.send("/delete_my_data")
    await chat.press("journal.btn_delete_yes")
    await chat.send("/checklists")
    chat.expect("risk.list_empty")


def test_the_validator_refuses_a_risk_question_in_the_bots_own_words(tmp_path: Path) -> None:
    shutil.copytree(REPO / "flows", tmp_path / "flows")
    shutil.copytree(REPO / "content", tmp_path / "content")
    path = tmp_path / "content" / "risk_check.yaml"
    text = path.read_text()
    q7 = text.index("risk.q_others:")
    path.write_text(text[:q7] + text[q7:].replace("source: sdash_2009", "source: bot", 1))
    project = load_project(
        tmp_path / "flows",
        tmp_path / "content",
        raise_on_problems=False,
        **project_checks(build_registry()),
    )
    found = [p for p in project.problems if "risk.q_others" in p.message]
    assert len(found) == 1
    assert found[0].path.name == "risk_check.yaml" and found[0].step == "ask_others"
    assert "must cite its source" in found[0].message


async def test_the_check_through_telegram(api, bot) -> None:  # noqa: ANN001
    """Through python-telegram-bot and the fake Bot API: from the menu to the saved answers,
    and the export's risk-questions CSV as a document."""
    from tests.telegram_harness import press, said, say, sent_texts, words

    user = 5550914
    await say(api, user, "/menu")
    await press(api, user, api.last_with_buttons(user), "menu.risk_check")
    await press(api, user, api.last_with_buttons(user), "risk.btn_start")
    for n in range(1, QUESTIONS + 1):
        screen = api.last_with_buttons(user)
        assert f"{n} of 11." in screen["text"]
        answer = ANSWERS["Yes" if n == 1 else "No"]
        texts = sent_texts(await press(api, user, screen, answer))
    assert any(said(t, "risk.frightened") for t in texts)
    calls = await say(api, user, "/export")
    names = [c.params["document"] for c in calls if c.method == "sendDocument"]
    assert any(n.startswith("risk-questions-") and n.endswith(".csv") for n in names)
    risk_csv = next(
        c.files["document"]
        for c in calls
        if c.method == "sendDocument" and c.params["document"].startswith("risk-questions-")
    ).decode("utf-8-sig")
    assert f"{words('risk.q_frightened')},{words('risk.answer_yes')}" in risk_csv
