"""A small, complete project (flows + content) written to a temp dir, for engine and validator tests.

Each validator test breaks one thing in a copy of it; engine tests walk it. It uses the real
`content/bot.yaml` (the engine's own words) so the engine finds every key it needs.
"""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

from bot.settings import PROJECT_ROOT

FLOWS = {
    "start": """\
        flow: start
        title: t.start
        start: welcome
        steps:
          - id: welcome
            say: t.welcome
            options:
              - label: t.go_menu
                flow: menu
        """,
    "menu": """\
        flow: menu
        title: t.menu
        start: choose
        steps:
          - id: choose
            say: t.choose
            options:
              - label: t.advice
                flow: advice
              - label: t.survey
                flow: survey
        """,
    "emergency": """\
        flow: emergency
        title: t.emergency
        start: call
        steps:
          - id: call
            say: t.call_999
            options:
              - label: t.more
                next: more
          - id: more
            say: t.more_text
            next: menu
        """,
    "advice": """\
        flow: advice
        title: t.advice
        start: first
        steps:
          - id: first
            say: t.first
            options:
              - label: t.more
                next: second
          - id: second
            say: [t.second, t.helpline]
            options:
              - label: t.more
                next: third
              - label: t.survey
                flow: survey
                at: ask_phone
          - id: third
            say: t.third
            next: menu
        """,
    "survey": """\
        flow: survey
        title: t.survey
        start: ask_when
        steps:
          - id: ask_when
            collect: when
            ask: t.ask_when
            type: datetime
            next: ask_phone
          - id: ask_phone
            collect: phone
            ask: t.ask_phone
            type: phone
            optional: true
            next: ask_kind
          - id: ask_kind
            collect: kind
            ask: t.ask_kind
            type: choice
            choices:
              - {value: call, label: t.kind_call}
              - {value: letter, label: t.kind_letter}
            next: ask_sure
          - id: ask_sure
            collect: sure
            ask: t.ask_sure
            type: yesno
            on_yes: save
            on_no: ask_when
          - id: save
            action: remember
            next: saved
          - id: saved
            say: t.saved
            next: menu
        """,
}

TEXTS = {
    "t.start": "Start",
    "t.menu": "Menu",
    "t.welcome": "Welcome. This is a test.",
    "t.go_menu": "Go to the menu",
    "t.choose": "What would help?",
    "t.advice": "Advice",
    "t.survey": "Survey",
    "t.emergency": "Emergency",
    "t.call_999": "Call {contact:emergency} now.",
    "t.more": "More",
    "t.more_text": "More emergency advice.",
    "t.first": "First advice screen.",
    "t.second": "Second advice screen.",
    "t.helpline": "Call the {name:helpline} on {contact:helpline}.",
    "t.third": "Third advice screen.",
    "t.ask_when": "When did it happen?",
    "t.ask_phone": "Which number called?",
    "t.ask_kind": "What kind was it?",
    "t.kind_call": "A call",
    "t.kind_letter": "A letter",
    "t.ask_sure": "Save it?",
    "t.saved": "Saved: {slot:kind} at {slot:when}.",
}


def write_mini_project(root: Path) -> tuple[Path, Path]:
    flows, content = root / "flows", root / "content"
    (content / "regions").mkdir(parents=True)
    flows.mkdir()
    for name, body in FLOWS.items():
        (flows / f"{name}.yaml").write_text(textwrap.dedent(body))
    shutil.copy(PROJECT_ROOT / "content" / "bot.yaml", content / "bot.yaml")
    shutil.copy(PROJECT_ROOT / "content" / "danger_grammar.yaml", content / "danger_grammar.yaml")
    (content / "sources.yaml").write_text(
        "bot:\n  title: The bot's own words\ntest:\n  title: A test source\n"
    )
    (content / "contacts.yaml").write_text(
        textwrap.dedent(
            """\
            emergency:
              name: Police emergency
              number: "999"
              source: test
              section: Numbers
            helpline:
              name: Test Helpline
              number: "0808 000 0000"
              source: test
              section: Numbers
            """
        )
    )
    lines = []
    for key, text in TEXTS.items():
        lines.append(f"{key}:\n  text: {text!r}\n  source: test\n  section: Tests\n")
    (content / "texts.yaml").write_text("\n".join(lines).replace("'", '"'))
    (content / "regions" / "cheshire.yaml").write_text("contacts: {}\ntexts: {}\n")
    return flows, content
