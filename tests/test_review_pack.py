"""`safety-bot review-pack`: every screen of every flow as the person sees it on Telegram, with
its sources and a sign-off sheet, as a static site; read back with the standard library's HTML
parser (and, in test_review_pack_browser.py, in headless Chromium).

Expectations come from the loaded project (its flows, its texts, the engine's replies), never
from a list of flow names: other engineers add flows and change words.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hashlib
import html
import io
import json
import os
import re
import shutil
import struct
import tomllib
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from pypdf import PdfReader

from bot.app import build_registry, project_checks
from bot.cli import main
from bot.engine.engine import Engine
from bot.flows.loader import Project, load_project
from bot.settings import PROJECT_ROOT, Settings
from tests.chat_client import ChatClient

AS_OF = "2026-11-29"


# -- reading the pack back -------------------------------------------------------------------
@dataclass
class Key:
    text: str
    href: str | None
    kind: str


@dataclass
class Card:
    flow: str
    step: str
    kind: str
    bubbles: list[str] = field(default_factory=list)
    keys: list[Key] = field(default_factory=list)
    contact_cards: list[str] = field(default_factory=list)
    entries: list[str] = field(default_factory=list)  # content ids listed beside it
    then: str | None = None


class Page(HTMLParser):
    """One page of the pack: its ids, links, scripts, screen cards and sign-off rows."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path
        self.ids: set[str] = set()
        self.links: list[tuple[str, str]] = []  # (attribute, value)
        self.scripts = 0
        self.stylesheets = 0
        self.flow: str | None = None
        self.cards: list[Card] = []
        self.signoff_ids: list[str] = []
        self.ticks = 0
        self._card: Card | None = None
        self._grab: tuple[str, str] | None = None  # (what, tag) being read
        self._text = ""
        self._key: tuple[str | None, str] | None = None
        self._in_then = False
        self._row_id = False
        self.feed(path.read_text(encoding="utf-8"))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        classes = a.get("class", "").split()
        if "id" in a:
            self.ids.add(a["id"])
        for attr in ("href", "src"):
            if attr in a:
                self.links.append((attr, a[attr]))
        if tag == "script":
            self.scripts += 1
        if tag == "link" and a.get("rel") == "stylesheet":
            self.stylesheets += 1
        if tag == "section" and "data-flow" in a:
            self.flow = a["data-flow"]
        if tag == "article" and "screen" in classes:
            kind = next(c for c in classes if c.startswith("kind-"))[5:]
            self._card = Card(self.flow or "", a["data-step"], kind)
            self.cards.append(self._card)
        elif self._card is not None:
            self._inside_card(self._card, tag, a, classes)
        if tag == "td" and "tick" in classes:
            self.ticks += 1
        if tag == "td" and "id" in classes:
            self._row_id = True
        elif tag == "code" and self._row_id:
            self._grab, self._text = ("signoff", tag), ""

    def _inside_card(self, card: Card, tag: str, a: dict[str, str], classes: list[str]) -> None:
        """A tag inside a screen card: its bubble, content ids, contact cards and where next."""
        if tag == "div" and "bubble" in classes:
            self._grab, self._text = ("bubble", tag), ""
        elif tag in ("a", "span") and any(c.startswith("key-") for c in classes):
            kind = next(c for c in classes if c.startswith("key-"))[4:]
            self._key = (a.get("href") if tag == "a" else None, kind)
            self._grab, self._text = ("key", tag), ""
        elif tag == "div" and "card" in classes:
            card.contact_cards.append(a["id"])
        elif tag == "code" and "key" in classes:
            self._grab, self._text = ("entry", tag), ""
        elif tag == "p" and "then" in classes:
            self._in_then = True
        elif tag == "a" and self._in_then:
            card.then = a["href"]

    def handle_data(self, data: str) -> None:
        if self._grab is not None:
            self._text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "article":
            self._card = None
        if tag == "p":
            self._in_then = False
        if tag == "td":
            self._row_id = False
        if self._grab is None or tag != self._grab[1]:
            return
        what = self._grab[0]
        if what == "bubble":
            self._card.bubbles.append(self._text)
        elif what == "key":
            href, kind = self._key
            self._card.keys.append(Key(self._text.strip(), href, kind))
        elif what == "entry":
            self._card.entries.append(self._text)
        elif what == "signoff":
            self.signoff_ids.append(self._text)
        self._grab = None


@dataclass
class Pack:
    root: Path
    project: Project
    pages: dict[str, Page]
    output: str

    def flow_cards(self, flow: str) -> list[Card]:
        return self.pages[f"flow-{flow}.html"].cards

    def card(self, flow: str, step: str) -> Card:
        return next(c for c in self.flow_cards(flow) if c.step == step)

    @property
    def cards(self) -> list[Card]:
        return [c for name, p in self.pages.items() if name.startswith("flow-") for c in p.cards]


def load(settings: Settings) -> Project:
    registry = build_registry()
    return load_project(
        settings.flows_dir,
        settings.content_dir,
        region=settings.region,
        **project_checks(registry),
    )


def write_pack(
    out: Path, capsys: pytest.CaptureFixture[str], *extra: str, settings: Settings | None = None
) -> Pack:
    settings = settings or Settings(data_dir=out.parent / "data")
    args = ["review-pack", str(out), "--as-of", AS_OF, *extra]
    args += ["--flows-dir", str(settings.flows_dir), "--content-dir", str(settings.content_dir)]
    args += ["--region", settings.region]
    assert main(args) == 0
    output = capsys.readouterr().out
    pages = {p.name: Page(p) for p in sorted(out.glob("*.html"))}
    return Pack(out, load(settings), pages, output)


@pytest.fixture(scope="module")
def pack(tmp_path_factory: pytest.TempPathFactory) -> Pack:
    """The real project's pack, written once for the module."""
    out = tmp_path_factory.mktemp("pack") / "pack"
    buffer = io.StringIO()  # capsys is per test; this fixture is per module
    with contextlib.redirect_stdout(buffer):
        settings = Settings(data_dir=out.parent / "data")
        assert main(["review-pack", str(out), "--as-of", AS_OF]) == 0
    pages = {p.name: Page(p) for p in sorted(out.glob("*.html"))}
    return Pack(out, load(settings), pages, buffer.getvalue())


@pytest.fixture
def project_copy(tmp_path: Path) -> Settings:
    """A copy of the real flows and content to change."""
    shutil.copytree(PROJECT_ROOT / "flows", tmp_path / "flows")
    shutil.copytree(PROJECT_ROOT / "content", tmp_path / "content")
    return Settings(
        data_dir=tmp_path / "data",
        flows_dir=tmp_path / "flows",
        content_dir=tmp_path / "content",
    )


@pytest.fixture
def no_graphviz(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """PATH without Graphviz's `dot` (and faster packs for the tests that change content)."""
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))


# -- every screen, in order --------------------------------------------------------------------
def test_every_step_of_every_flow_has_one_card_on_its_flow_page(pack: Pack) -> None:
    flows = pack.project.flows
    assert {f"flow-{fid}.html" for fid in flows} <= set(pack.pages)
    for fid, flow in flows.items():
        cards = pack.flow_cards(fid)
        assert sorted(c.step for c in cards) == sorted(flow.steps), fid
        assert cards[0].step == flow.start, f"{fid} does not open at its start step"
    assert len(pack.cards) == sum(len(f.steps) for f in flows.values())
    assert f"{len(flows)} flows, {len(pack.cards)} screens" in pack.output


def test_the_index_lists_every_flow_start_first(pack: Pack) -> None:
    index = pack.pages["index.html"]
    listed = [v for attr, v in index.links if v.startswith("flow-")]
    assert sorted(listed) == sorted(f"flow-{fid}.html" for fid in pack.project.flows)
    assert listed[0] == "flow-start.html"


def test_each_screen_shows_the_words_and_buttons_of_its_steps(pack: Pack) -> None:
    catalog = pack.project.catalog
    for flow in pack.project.flows.values():
        for step in flow.steps.values():
            card = pack.card(flow.id, step.id)
            said = [*step.say, *([step.ask] if step.ask else [])]
            shown = "\n".join(card.bubbles)
            for key in said:
                if not catalog.uses_slots(key):
                    assert catalog.text(key) in shown, (flow.id, step.id, key)
                assert key in card.entries, (flow.id, step.id, key)
            labels = [k.text for k in card.keys]
            options = [catalog.text(o.label) for o in step.options]
            options += [catalog.text(c.label) for c in step.choices]
            engine_own = [k for k in labels if not k.startswith("📞")]
            assert engine_own[: len(options)] == options, (flow.id, step.id)


# -- the same as the bot: walk the real engine and compare ---------------------------------------
async def test_a_conversation_with_the_engine_shows_what_the_pack_shows(
    pack: Pack, project_settings: Settings
) -> None:
    """Through the engine's front door (`handle`): /start, then each menu button in turn; the
    screen the person lands on is the pack's card for that step, word for word, button for
    button (contact buttons first, as Telegram's keyboard has them)."""
    from bot.app import open_app

    app = await open_app(project_settings)
    try:
        chat = ChatClient(app.engine)
        await chat.send("/start")
        await check_landed(pack, app.engine, chat)
        menu = app.engine.project.flows["menu"]
        await chat.send("/menu")
        await check_landed(pack, app.engine, chat)
        for option in menu.steps[menu.start].options:
            if option.target.command:
                continue  # a screen the code makes: not a flow step
            await chat.send("/menu")
            await chat.click(app.engine.catalog.text(option.label))
            await check_landed(pack, app.engine, chat)
    finally:
        await app.close()


async def check_landed(pack: Pack, engine: Engine, chat: ChatClient) -> None:
    place = await engine.place_of(chat.user_id)
    screen = next(r for r in reversed(chat.replies) if r.screen)
    card = pack.card(place.flow, place.step)
    assert "\n".join(card.bubbles) == screen.text
    expected = [f"📞 {c.name}: {c.number}" for c in screen.contacts]
    expected += [b.label for b in screen.buttons]
    assert [k.text for k in card.keys] == expected


# -- links -------------------------------------------------------------------------------------
def test_every_link_and_picture_in_the_pack_resolves(pack: Pack) -> None:
    sources = (pack.root / "graphs").glob("*.svg")
    assert sorted(p.stem for p in sources) == sorted(pack.project.flows)
    for name, page in pack.pages.items():
        for attr, value in page.links:
            parts = urlsplit(value)
            if parts.scheme in ("http", "https"):
                assert attr == "href", f"{name}: an external {attr} {value}"
                continue
            assert not parts.scheme and not parts.netloc, f"{name}: {value}"
            target = pack.root / parts.path if parts.path else page.path
            assert target.is_file(), f"{name}: {value} points to no file"
            if parts.fragment:
                assert parts.fragment in pack.pages[target.name].ids, f"{name}: {value}"


def test_buttons_lead_to_the_screen_the_flow_file_names(pack: Pack) -> None:
    flows = pack.project.flows
    for flow in flows.values():
        for step in flow.steps.values():
            if step.kind != "screen" or not step.options:
                continue
            card = pack.card(flow.id, step.id)
            own = [k for k in card.keys if k.kind == "option"]
            for option, key in zip(step.options, own, strict=True):
                t = option.target
                if t.flow:
                    assert (
                        key.href == f"flow-{t.flow}.html#s-{t.flow}-{t.step or flows[t.flow].start}"
                    )
                elif t.step:
                    assert key.href == f"flow-{flow.id}.html#s-{flow.id}-{t.step}"
                elif t.command:
                    assert key.href and key.href.startswith(("index.html#cmd-", "flow-"))


def test_the_emergency_button_is_on_every_screen_that_waits(pack: Pack) -> None:
    """On every screen the person can stop at, one button opens the emergency advice (in the
    emergency flow itself: its own screens); a message that does not wait leads on to one."""
    emergency = pack.project.flows["emergency"]
    for card in pack.cards:
        step = pack.project.flows[card.flow].steps[card.step]
        if step.interactive:
            into = [k for k in card.keys if (k.href or "").startswith("flow-emergency.html")]
            assert into, f"{card.flow}.{card.step}: no button into the emergency advice"
        else:
            assert card.then, f"{card.flow}.{card.step} leads nowhere"
    first = pack.card("emergency", emergency.start)
    assert first.contact_cards, "the emergency advice offers the 999 card"


def test_pages_need_no_script_and_no_file_beyond_the_pack(pack: Pack) -> None:
    for name, page in pack.pages.items():
        assert page.scripts == 0, name
        assert page.stylesheets == 0, f"{name}: the style is inlined"
        assert "<style>" in page.path.read_text(encoding="utf-8")


def test_telegram_escaping_is_kept(
    project_copy: Settings, tmp_path: Path, capsys, no_graphviz
) -> None:
    """A text with <, > and & shows as the person sees it (Telegram HTML), never as markup."""
    flows = load(project_copy).flows
    key = flows["start"].steps[flows["start"].start].say[0]
    override(project_copy, key, "Tap <b>here</b> & see.")
    pack = write_pack(tmp_path / "pack", capsys, settings=project_copy)
    first = pack.card("start", flows["start"].start)
    assert first.bubbles[0].startswith("Tap <b>here</b> & see.")
    raw = (tmp_path / "pack" / "flow-start.html").read_text(encoding="utf-8")
    assert "Tap &lt;b&gt;here&lt;/b&gt; &amp; see." in raw


# -- beside each screen, and the sign-off sheet --------------------------------------------------
def test_the_sign_off_sheet_lists_every_text_and_number_once_with_a_box(pack: Pack) -> None:
    sheet = pack.pages["signoff.html"]
    catalog = pack.project.catalog
    every = sorted([*catalog.texts, *catalog.contacts])
    assert sorted(sheet.signoff_ids) == every
    assert sheet.ticks == len(every)


def test_beside_each_screen_its_sources_and_review_dates(pack: Pack) -> None:
    catalog = pack.project.catalog
    html = (pack.root / "flow-emergency.html").read_text(encoding="utf-8")
    step = pack.project.flows["emergency"].steps[pack.project.flows["emergency"].start]
    item = catalog.texts[step.say[0]]
    assert catalog.sources[item.source].replace('"', "&#34;") in html
    assert f"reviewed {item.reviewed.isoformat()}" in html


def test_the_manifest_records_every_item_with_its_hash(pack: Pack) -> None:
    manifest = json.loads((pack.root / "manifest.json").read_text(encoding="utf-8"))
    catalog = pack.project.catalog
    assert manifest["region"] == catalog.region
    assert manifest["generated"] == AS_OF
    items = {(i["kind"], i["id"]): i for i in manifest["items"]}
    assert len(items) == len(catalog.texts) + len(catalog.contacts)
    for key, text in catalog.texts.items():
        assert items[("text", key)]["sha256"] == hashlib.sha256(text.text.encode()).hexdigest()
        assert items[("text", key)]["source"] == text.source


def test_the_next_pack_flags_exactly_what_changed_since_the_signed_one(
    project_copy: Settings, tmp_path: Path, capsys, no_graphviz
) -> None:
    signed = write_pack(tmp_path / "signed", capsys, settings=project_copy)
    assert "0 new or changed" in signed.output
    project = load(project_copy)
    menu = project.flows["menu"].steps[project.flows["menu"].start]
    changed = project.catalog.texts[menu.say[0]]
    source = changed.path.read_text(encoding="utf-8")
    old_first_line = changed.text.splitlines()[0]
    changed.path.write_text(
        source.replace(old_first_line, old_first_line + " Take your time.", 1), encoding="utf-8"
    )
    extra = project_copy.content_dir / "zz_new.yaml"
    extra.write_text(
        "new.text:\n  text: A new line.\n  source: bot\n  reviewed: 2026-11-01\n", encoding="utf-8"
    )

    after = write_pack(
        tmp_path / "next",
        capsys,
        "--since",
        str(tmp_path / "signed" / "manifest.json"),
        settings=project_copy,
    )
    assert "2 new or changed" in after.output
    manifest = json.loads((tmp_path / "next" / "manifest.json").read_text(encoding="utf-8"))
    assert (
        len(manifest["items"])
        == len(json.loads((tmp_path / "signed" / "manifest.json").read_text())["items"]) + 1
    )
    sheet = (tmp_path / "next" / "signoff.html").read_text(encoding="utf-8")
    assert sheet.count('<span class="flag change">changed</span>') == 1
    assert sheet.count('<span class="flag change">new</span>') == 1
    menu_page = (tmp_path / "next" / "flow-menu.html").read_text(encoding="utf-8")
    assert "changed since signed pack" in menu_page
    assert old_first_line + " Take your time." in menu_page


def test_a_text_due_for_review_is_flagged_beside_its_screen(
    project_copy: Settings, tmp_path: Path, capsys, no_graphviz
) -> None:
    later = (dt.date.fromisoformat(AS_OF) + dt.timedelta(days=800)).isoformat()
    out = tmp_path / "pack"
    args = ["review-pack", str(out), "--as-of", later]
    args += [
        "--flows-dir",
        str(project_copy.flows_dir),
        "--content-dir",
        str(project_copy.content_dir),
    ]
    assert main(args) == 0
    page = (out / "flow-emergency.html").read_text(encoding="utf-8")
    assert "due for review" in page


def test_a_region_pack_shows_its_force_in_place(
    project_copy: Settings, tmp_path: Path, capsys, no_graphviz
) -> None:
    regions = project_copy.content_dir / "regions"
    default = Settings(data_dir=tmp_path / "d").region
    text = (regions / f"{default}.yaml").read_text(encoding="utf-8")
    police = load(project_copy).catalog.contacts
    name = next(c.name for k, c in police.items() if k not in load_base_contacts(project_copy))
    (regions / "testshire.yaml").write_text(
        text.replace(name, "Testshire Police"), encoding="utf-8"
    )
    settings = Settings(
        data_dir=tmp_path / "data",
        flows_dir=project_copy.flows_dir,
        content_dir=project_copy.content_dir,
        region="testshire",
    )
    pack = write_pack(tmp_path / "pack", capsys, settings=settings)
    shown = "\n".join("\n".join(c.bubbles) for c in pack.cards)
    assert "Testshire Police" in shown
    assert name not in shown
    assert json.loads((tmp_path / "pack" / "manifest.json").read_text())["region"] == "testshire"
    signed_elsewhere = write_pack(tmp_path / "first", capsys, settings=project_copy)
    against = write_pack(
        tmp_path / "again",
        capsys,
        "--since",
        str(signed_elsewhere.root / "manifest.json"),
        settings=settings,
    )
    assert f"signed pack is for region {project_copy.region}, not testshire" in against.output
    assert "region <b>testshire</b>" in (tmp_path / "pack" / "index.html").read_text()


def override(settings: Settings, key: str, text: str) -> None:
    """Give `key` another text through the region pack (the one place a text may be redefined)."""
    path = settings.content_dir / "regions" / f"{settings.region}.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data.setdefault("texts", {})[key] = {"text": text, "source": "bot", "reviewed": "2026-11-01"}
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def load_base_contacts(settings: Settings) -> set[str]:
    return set(yaml.safe_load((settings.content_dir / "contacts.yaml").read_text()))


def test_without_graphviz_the_pack_says_why_the_diagrams_are_missing(
    tmp_path: Path, capsys, no_graphviz
) -> None:
    pack = write_pack(tmp_path / "pack", capsys)
    assert "Graphviz is not installed" in pack.output
    for name, page in pack.pages.items():
        if name.startswith("flow-"):
            assert "No diagram: Graphviz is not installed" in page.path.read_text(encoding="utf-8")
    assert not list((tmp_path / "pack").glob("graphs/*.svg"))


def test_a_folder_with_other_files_is_refused(tmp_path: Path, capsys) -> None:
    out = tmp_path / "documents"
    out.mkdir()
    (out / "letter.txt").write_text("mine")
    assert main(["review-pack", str(out)]) == 2
    assert "not empty" in capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == ["letter.txt"]


def test_a_missing_since_manifest_is_named(tmp_path: Path, capsys) -> None:
    assert main(["review-pack", str(tmp_path / "p"), "--since", str(tmp_path / "nope.json")]) == 2
    assert "nope.json" in capsys.readouterr().err
    assert not (tmp_path / "p").exists()


def test_the_templates_are_package_data() -> None:
    """The installed wheel carries the templates (pyproject's package-data names them)."""
    data = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())
    patterns = data["tool"]["setuptools"]["package-data"]["bot.ops.review_pack"]
    templates = PROJECT_ROOT / "bot" / "ops" / "review_pack" / "templates"
    shipped = {p.name for pattern in patterns for p in templates.parent.glob(pattern)}
    assert shipped == {p.name for p in templates.iterdir()}
    assert os.path.exists(templates / "style.css")


# -- in a real browser -------------------------------------------------------------------------
PHONE_WIDTH = 390
PHONE_HEIGHT = 844
# Run by WebDriver in the page (the pack itself has no script): at phone width, does any text run
# outside its bubble, button or card, or the page scroll sideways; and is each screen's button
# into the emergency advice laid out and visible?
LAYOUT_CHECK = """
const emergencyPage = arguments[0];
const out = {width: window.innerWidth, pageOverflow: document.documentElement.scrollWidth >
  window.innerWidth + 1, screens: [], overflow: [], emergencyVisible: {}};
const inside = (inner, outer) => inner.left >= outer.left - 0.5 && inner.right <= outer.right + 0.5;
for (const screen of document.querySelectorAll("article.screen")) {
  out.screens.push(screen.dataset.step);
  const phone = screen.querySelector(".phone").getBoundingClientRect();
  for (const box of screen.querySelectorAll(".bubble, .key, .card")) {
    const range = document.createRange();
    range.selectNodeContents(box);
    const rect = box.getBoundingClientRect();
    const words = range.getBoundingClientRect();
    if (box.scrollWidth > box.clientWidth + 1 || !inside(rect, phone) || !inside(words, rect)) {
      out.overflow.push(screen.dataset.step + ": " + box.textContent.slice(0, 60));
    }
  }
  const emergency = [...screen.querySelectorAll("a.key")].filter(
    (a) => a.getAttribute("href").startsWith(emergencyPage));
  out.emergencyVisible[screen.dataset.step] = emergency.some((a) => {
    const r = a.getBoundingClientRect();
    const style = getComputedStyle(a);
    return r.width > 40 && r.height > 20 && style.visibility === "visible";
  });
}
return out;
"""


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """Debian's headless Chromium at a phone's width (390 px), driven through WebDriver
    (Selenium and Debian's chromedriver; .ci/run installs both when missing)."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    if chromium is None or driver_path is None:
        pytest.skip(
            "headless Chromium or chromedriver is not installed "
            "(apt-get install chromium chromium-driver; .ci/run does this): "
            "the browser checks of the review pack did not run"
        )
    webdriver = pytest.importorskip("selenium.webdriver", reason="pip install -e '.[test]'")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"):
        options.add_argument(arg)  # --no-sandbox: tests and CI run as root in a container
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.add_experimental_option(
        "mobileEmulation",
        {"deviceMetrics": {"width": PHONE_WIDTH, "height": PHONE_HEIGHT, "pixelRatio": 1.0}},
    )
    driver = webdriver.Chrome(options=options, service=Service(driver_path))
    try:
        yield driver
    finally:
        driver.quit()


def measured(browser, page: Path, emergency_page: str = "flow-emergency.html") -> dict:  # noqa: ANN001
    browser.get(page.as_uri())
    return browser.execute_script(LAYOUT_CHECK, emergency_page)


def screenshot(browser, page: Path, target: Path, height: int = 2400) -> None:  # noqa: ANN001
    """The top of `page` at phone width, `height` px tall."""
    browser.get(page.as_uri())
    phone_height(browser, height)
    try:
        assert browser.execute_script("return window.innerWidth") == PHONE_WIDTH
        browser.save_screenshot(str(target))
    finally:
        phone_height(browser, PHONE_HEIGHT)


def phone_height(browser, height: int) -> None:  # noqa: ANN001
    browser.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": PHONE_WIDTH, "height": height, "deviceScaleFactor": 1, "mobile": True},
    )


def png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", head[16:24])


def test_the_first_flow_at_phone_width_in_chromium(pack: Pack, browser) -> None:  # noqa: ANN001
    first = next(v for _, v in pack.pages["index.html"].links if v.startswith("flow-"))
    shot = pack.root / "first-flow.png"
    screenshot(browser, pack.root / first, shot)
    assert png_size(shot) == (PHONE_WIDTH, 2400)
    assert shot.stat().st_size > 20_000, "a blank page"
    keep = os.environ.get("REVIEW_PACK_SCREENSHOT")  # docs/review-pack.png is made this way
    if keep:
        shutil.copyfile(shot, keep)


def test_in_chromium_every_screen_is_there_fits_its_bubble_and_has_the_emergency_button(
    pack: Pack,
    browser,  # noqa: ANN001
) -> None:
    for fid, flow in pack.project.flows.items():
        result = measured(browser, pack.root / f"flow-{fid}.html")
        assert result["width"] == PHONE_WIDTH
        assert sorted(result["screens"]) == sorted(flow.steps), fid
        assert result["overflow"] == [], f"{fid}: text outside its bubble: {result['overflow']}"
        assert not result["pageOverflow"], f"{fid}: the page scrolls sideways at {PHONE_WIDTH} px"
        for sid, step in flow.steps.items():
            if step.interactive:
                assert result["emergencyVisible"][sid], f"{fid}.{sid}: no visible emergency button"


@pytest.mark.parametrize("page", ["index.html", "signoff.html"])
def test_in_chromium_the_index_and_sign_off_sheet_fit_a_phone(
    pack: Pack,
    browser,  # noqa: ANN001
    page: str,
) -> None:
    result = measured(browser, pack.root / page)
    assert result["width"] == PHONE_WIDTH and not result["pageOverflow"], page


def test_in_chromium_a_long_unbroken_text_still_fits(
    project_copy: Settings,
    tmp_path: Path,
    capsys,  # noqa: ANN001
    no_graphviz,  # noqa: ANN001
    browser,  # noqa: ANN001
) -> None:
    """A 120-character word (a pasted link, say) wraps inside its bubble."""
    flows = load(project_copy).flows
    key = flows["menu"].steps[flows["menu"].start].say[0]
    override(project_copy, key, "See " + "x" * 120 + " and a long line of ordinary words after it.")
    pack = write_pack(tmp_path / "pack", capsys, settings=project_copy)
    result = measured(browser, pack.root / "flow-menu.html")
    assert result["screens"] and result["overflow"] == []


def test_the_layout_check_sees_text_outside_its_bubble(tmp_path: Path, browser) -> None:  # noqa: ANN001
    """A bubble that does not wrap is caught: the check is not blind."""
    page = tmp_path / "flow-bad.html"
    page.write_text(
        "<!doctype html><html><head><meta name='viewport' content='width=device-width'>"
        "<style>body{margin:0}.phone{width:100%}.bubble{white-space:pre}</style></head><body>"
        "<article class='screen' data-step='s'><div class='phone'>"
        f"<div class='bubble'>{'word ' * 60}</div>"
        "<a class='key key-emergency' href='flow-emergency.html#x'>Help</a></div></article>"
        "</body></html>",
        encoding="utf-8",
    )
    result = measured(browser, page)
    assert result["overflow"] and result["pageOverflow"], result


def printed(browser, page: Path) -> list[str]:  # noqa: ANN001
    """`page` printed to A4 by Chromium, each sheet's text as pypdf reads it back."""
    browser.get(page.as_uri())
    pdf = browser.execute_cdp_cmd(
        "Page.printToPDF", {"paperWidth": 8.27, "paperHeight": 11.69, "printBackground": True}
    )
    reader = PdfReader(io.BytesIO(base64.b64decode(pdf["data"])))
    return [unicodedata.normalize("NFKC", p.extract_text()).strip() for p in reader.pages]


def test_printed_every_flow_starts_a_new_sheet_in_conversation_order(
    pack: Pack,
    browser,  # noqa: ANN001
) -> None:
    sheets = printed(browser, pack.root / "print.html")
    index = pack.pages["index.html"]
    order = [v[len("flow-") : -len(".html")] for _, v in index.links if v.startswith("flow-")]
    starts = []
    for fid in order:
        first_line = f"{unicodedata.normalize('NFKC', flow_title(pack, fid))} {fid}"
        found = [i for i, text in enumerate(sheets) if text.startswith(first_line)]
        assert len(found) == 1, f"flow {fid} does not start a sheet of its own"
        starts.append(found[0])
    assert starts == sorted(starts) and len(set(starts)) == len(starts)


def test_printed_each_sign_off_group_starts_a_new_sheet(pack: Pack, browser) -> None:  # noqa: ANN001
    raw = (pack.root / "signoff.html").read_text(encoding="utf-8")
    titles = [
        html.unescape(t)
        for t in re.findall(r'<section class="group" id="[^"]+">\s*<h2>(?:<a [^>]*>)?([^<]+)', raw)
    ]
    assert len(titles) > len(pack.project.flows) // 2
    sheets = printed(browser, pack.root / "signoff.html")
    starts = [
        next(
            i for i, text in enumerate(sheets) if text.startswith(unicodedata.normalize("NFKC", t))
        )
        for t in titles
    ]
    assert starts == sorted(set(starts)), "a group shares a sheet with the one before it"
    assert "Signature" in sheets[-1]


def flow_title(pack: Pack, fid: str) -> str:
    flow = pack.project.flows[fid]
    catalog = pack.project.catalog
    return catalog.text(flow.title) if flow.title and catalog.has(flow.title) else fid
