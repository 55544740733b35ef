"""The ranker's shipped index (bot/ask/index.json): current with content/, equal to
scikit-learn's fit and transform, and a stale one never gives a wrong answer."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from bot.ask import index
from bot.ask.cli import corpus_examples
from bot.ask.index import Fitted
from bot.ask.model import C, feature_matrix
from bot.ask.ranker import NGRAMS, char_grams, content_words, topic_of, word_grams
from bot.ask.router import Kind, Router
from bot.flows.loader import Project

ROOT = Path(__file__).resolve().parent.parent
CORPORA = sorted((ROOT / "tests" / "corpus").glob("ask*/*.yaml"))
NEW_PHRASE = "zorblax quibbleton"  # words in no screen: only the new phrase can match them


def training(router: Router) -> tuple[list[str], list[tuple[str, str]]]:
    """The labels of the ranker's texts and the corpus examples, as `ask build` uses them."""
    ranker = router.ranker
    labels = [topic_of(ranker.groups[owner]) for owner in ranker.owners]
    return labels, corpus_examples(ranker)


def test_the_shipped_index_is_current_with_content(router: Router) -> None:
    shipped = Fitted.read()
    assert shipped is not None and shipped.model is not None
    labels, examples = training(router)
    analysers = (char_grams, word_grams)
    fresh = Fitted.fit(router.ranker.texts, labels, NGRAMS, analysers, examples)
    assert shipped.digest == fresh.digest, "content changed: run `safety-bot ask build`"
    assert shipped.examples == fresh.examples == len(examples), "corpora changed: ask build"
    for ours, theirs in ((shipped.chars, fresh.chars), (shipped.words, fresh.words)):
        assert ours.columns == theirs.columns
        assert np.allclose(ours.idf, theirs.idf, atol=1e-6)
        assert np.allclose(ours.dense_t, theirs.dense_t, atol=1e-6)
    assert fresh.model is not None and shipped.model.classes == fresh.model.classes
    assert np.allclose(shipped.model.chars, fresh.model.chars, atol=1e-3)
    assert np.allclose(shipped.model.words, fresh.model.words, atol=1e-3)
    assert router.ranker.fitted.digest == shipped.digest  # the router read it, did not fit


def test_the_run_time_model_gives_scikit_learn_probabilities(router: Router) -> None:
    ranker = router.ranker
    fitted = ranker.fitted
    assert fitted.model is not None
    labels, examples = training(router)
    pairs = [*zip(ranker.texts, labels, strict=True), *examples]
    widths = (fitted.chars.dense_t.shape[0], fitted.words.dense_t.shape[0])

    def vectors(texts: list[str]) -> list:
        return [
            (fitted.chars.vector(char_grams(t)), fitted.words.vector(word_grams(t))) for t in texts
        ]

    theirs = LogisticRegression(C=C, max_iter=5000)
    theirs.fit(feature_matrix(widths, vectors([t for t, _ in pairs])), [y for _, y in pairs])
    assert list(theirs.classes_) == fitted.model.classes
    messages = [str(i["text"]) for p in CORPORA for i in yaml.safe_load(p.read_text())][::7]
    kept = [content_words(m, ranker.words) for m in [*messages, "passwrd", "🆘"]]
    expected = theirs.predict_proba(feature_matrix(widths, vectors(kept)))
    for text, pair, row in zip(kept, vectors(kept), expected, strict=True):
        assert np.allclose(fitted.model.probabilities(*pair), row, atol=2e-3), text


def test_the_bot_does_not_import_scikit_learn() -> None:
    code = (
        "import sys; from bot.app import open_app; from bot.ask.router import Router; "
        "from pathlib import Path; from bot.app import build_registry, load_checked_project; "
        "from bot.settings import Settings; "
        "p = load_checked_project(Settings(data_dir=Path('/nonexistent')), build_registry()); "
        "assert Router.for_project(p, Path('content')) is not None; "
        "print('sklearn' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.stdout.strip() == "False", result.stderr
    assert "fitting it now" not in result.stderr


@pytest.mark.parametrize("corpus", CORPORA, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_the_run_time_transform_scores_as_scikit_learn(router: Router, corpus: Path) -> None:
    texts = [str(item["text"]) for item in yaml.safe_load(corpus.read_text())]
    texts += ["harrasment??", "passwrd", "", "🆘", "x" * 3000]
    ranker = router.ranker
    spaces = []
    for analyse, space in ((char_grams, ranker._chars), (word_grams, ranker._words_space)):
        vectoriser = TfidfVectorizer(analyzer=analyse, sublinear_tf=True, dtype=np.float32)
        vectoriser.fit(ranker.texts)
        spaces.append((vectoriser, space))
    for text in texts:
        kept = content_words(text, ranker._words)
        for vectoriser, space in spaces:
            theirs = (vectoriser.transform([kept]) @ space.dense_t).ravel()
            assert np.allclose(space.similarities(space.vector(kept)), theirs, atol=1e-5), text


@pytest.fixture
def edited_content(tmp_path: Path) -> Path:
    """A force's copy of content/ with one phrase added: the shipped index is stale for it."""
    content = tmp_path / "content"
    shutil.copytree(ROOT / "content", content)
    path = content / "ask_like.yaml"
    text = path.read_text(encoding="utf-8")
    anchor = "  unwanted_calls/dial_1471:\n"
    assert anchor in text
    path.write_text(text.replace(anchor, f"{anchor}    - {NEW_PHRASE}\n"), encoding="utf-8")
    return content


def test_stale_index_fits_at_start_up_and_says_so_without_user_text(edited_content: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "bot",
            "ask",
            f"{NEW_PHRASE}?",
            "--content-dir",
            str(edited_content),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("answer: the screen unwanted_calls/dial_1471")
    assert "was not built from this content" in result.stderr
    assert "zorblax" not in result.stderr  # the log names no text


def test_ask_build_writes_an_index_the_next_start_reads(
    edited_content: Path, project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "index.json"
    code = (
        "import sys; from pathlib import Path; import bot.ask.index as i; "
        f"i.INDEX_FILE = Path({str(target)!r}); from bot.cli import main; "
        f"sys.exit(main(['ask', 'build', '--content-dir', {str(edited_content)!r}]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert str(target) in result.stdout
    monkeypatch.setattr(index, "INDEX_FILE", target)
    built = Router.for_project(project, edited_content)
    assert built is not None
    assert built.ranker.fitted.digest == Fitted.read(target).digest  # type: ignore[union-attr]
    routing = built.route(f"{NEW_PHRASE}?")
    assert routing.kind == Kind.ADVICE and routing.screens[0].key == "unwanted_calls/dial_1471"
