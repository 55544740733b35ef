"""The incident journal through Telegram: quick capture, a photo kept as evidence, the list, an
export that arrives as a PDF document, and /clear leaving the journal untouched."""

from __future__ import annotations

import hashlib
import io

from pypdf import PdfReader

from tests.fake_bot_api import FakeBotApi, buttons
from tests.telegram_harness import BotProcess, say, sent_texts, tap

USER = 5550301


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


async def test_record_with_a_photo_list_export_and_clear(api: FakeBotApi, bot: BotProcess) -> None:
    await say(api, USER, "/start")
    texts = sent_texts(await say(api, USER, "/log he called 12 times from a hidden number"))
    assert any("Saved as incident 1" in t for t in texts)

    photo = b"\xff\xd8\xff\xe0 the car outside " + bytes(range(256)) * 64
    since = len(api.calls)
    await api.send_photo(USER, photo)
    calls = await api.handled(USER, since)
    assert [c.method for c in calls][:2] == ["getFile", "download"]
    offer = api.last_with_buttons(USER)
    assert "Incident 1" in " ".join(label for label, _ in buttons(offer))
    texts = sent_texts(await tap(api, USER, offer, "Incident 1"))
    assert any("Kept with incident 1" in t for t in texts)

    listing = sent_texts(await say(api, USER, "/incidents"))
    assert any("1." in t for t in listing)

    calls = await say(api, USER, "/export")
    documents = [c for c in calls if c.method == "sendDocument"]
    pdfs = [c for c in documents if c.files["document"].startswith(b"%PDF")]
    assert len(pdfs) == 1 and pdfs[0].params["document"].endswith(".pdf")
    text = pdf_text(pdfs[0].files["document"])
    assert "he called 12 times" in text
    assert hashlib.sha256(photo).hexdigest()[:16] in text.replace("\n", "")

    # the quick exit clears the chat, not the journal
    await say(api, USER, "/clear")
    assert api.screen(USER) == []
    calls = await say(api, USER, "/export")
    pdf = next(
        c for c in calls if c.method == "sendDocument" and c.params["document"].endswith(".pdf")
    )
    assert "he called 12 times" in pdf_text(pdf.files["document"])
