"""The danger classifier beside the grammar: it catches wordings no rule names, says why, and its
shipped weights are the ones its reviewable examples make.

Figures (cross-validation on the seen examples, the blind corpus) are in docs/danger.md and
tests/test_danger_corpus.py; here: behaviour that could fail.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bot.engine.danger import DangerDetector, training
from bot.engine.danger.classifier import Classifier, features

ROOT = Path(__file__).resolve().parents[1]
CONTENT = ROOT / "content"


@pytest.fixture(scope="module")
def detector() -> DangerDetector:
    return DangerDetector.from_content(CONTENT)


@pytest.fixture(scope="module")
def rules_only() -> DangerDetector:
    return DangerDetector.from_file(CONTENT / "danger_grammar.yaml", classifier=False)


# Wordings the round-1 grammar missed on its held-aside corpus (now seen, in the examples).
@pytest.mark.parametrize(
    "text",
    [
        "he's wrecking the house",
        "he's ransacking the kitchen",
        "can you get someone to my house now",
        "theres a man in a balaclava at my back gate",
    ],
)
def test_the_classifier_raises_the_alarm_where_no_rule_does(
    detector: DangerDetector, rules_only: DangerDetector, text: str
) -> None:
    assert not rules_only.is_danger(text)
    assert detector.is_danger(text)
    explanation = detector.explain(text)
    assert explanation.by_classifier and not explanation.by_rules


@pytest.mark.parametrize(
    ("text", "held_back", "now_text"),
    [
        ("last year he was wrecking the house", "a past time and no 'now'", "now"),
        (
            "should i call 999 if he is wrecking the house",
            "the question guard stopped a rule",
            "he is wrecking the house",
        ),
        (
            "log this: he is wrecking the house",
            "a record to keep ('log this') and no 'now'",
            "log this: he is wrecking the house now",
        ),
        ("he is wrecking the house lol", "an idiom or a joke", "he is wrecking the house"),
        (
            "he is wrecking the house, police have arrived and i'm safe",
            "the person says they are safe or it is over",
            "he is wrecking the house, police are on their way",
        ),
        (
            "i thought he is wrecking the house, it was someone else",
            "a mistaken fright",
            "i think he is wrecking the house",
        ),
        (
            "how do i know if he is wrecking the house",
            "a question, and no 'now'",
            "how do i know, he is wrecking the house now",
        ),
    ],
)
def test_the_classifier_is_held_back_where_the_grammar_reads_calm(
    rules_only: DangerDetector, text: str, held_back: str, now_text: str
) -> None:
    eager = DangerDetector(rules_only.grammar, Classifier({"w:wrecking": 9.0}, 0.0, 0.7))
    explanation = eager.explain(text)
    assert explanation.score > 0.99 and explanation.held_back == held_back
    assert not explanation.is_danger and not eager.is_danger(text)
    assert f"but stopped: {held_back}" in str(explanation)
    if now_text == "now":
        now_text = text.replace("last year", "now")
    assert eager.is_danger(now_text), eager.explain(now_text)


@pytest.mark.parametrize(
    "text", ["should i call 999 if he is wrecking the house", "last year he was wrecking the house"]
)
def test_a_confident_score_is_not_held_back(rules_only: DangerDetector, text: str) -> None:
    """Round 7a: above the confident line the classifier alarms where the grammar reads calm."""
    sure = DangerDetector(rules_only.grammar, Classifier({"w:wrecking": 9.0}, 0.0, 0.6, "", 0.9))
    explanation = sure.explain(text)
    assert explanation.held_back and explanation.is_danger and sure.is_danger(text)
    assert "but confident: counts" in str(explanation)
    # what the words say is calm (an idiom or joke, an all-clear) holds whatever the score
    for calm in (
        "he is wrecking the house lol",
        "he is wrecking the house, police have arrived and i'm safe",
    ):
        assert sure.explain(calm).held_back and not sure.is_danger(calm)
        assert not sure.explain(calm).is_danger
    unsure = DangerDetector(rules_only.grammar, Classifier({"w:wrecking": 1.5}, 0.0, 0.6, "", 0.9))
    assert unsure.explain(text).score < 0.9 and not unsure.is_danger(text)


def test_explain_prints_the_score_and_the_ngrams_that_weighed(detector: DangerDetector) -> None:
    out = str(detector.explain("he's wrecking the house"))
    assert "classifier: 0.9" in out or "classifier: 1.00" in out
    assert "alarm line 0.60: counts" in out
    assert "words 'he is'" in out  # the n-gram, as read (contraction written out), with its weight
    calm = str(detector.explain("how do I get a restraining order"))
    assert "below the alarm line" in calm and calm.startswith("not danger")


def test_features_are_words_pairs_and_letter_slices() -> None:
    found = features([["he", "is", "here"]])
    assert {"w:he", "w:he is", "w:is here", "c: he ", "c:her", "c:ere "} <= found.keys()
    assert found["c:he"] == 2 and found["w:he"] == 1  # a slice counts once per word that has it
    assert "w:he here" not in found  # pairs only of neighbours, and never across parts
    assert "w:is here" not in features([["he", "is"], ["here"]])


def test_scores_are_the_logistic_of_the_weights_present() -> None:
    model = Classifier({"w:knife": 3.0, "w:cake": -3.0}, bias=0.0, threshold=0.7)
    assert model.score([["knife"]]) == pytest.approx(1 / (1 + 2.718281828459045**-3))
    assert model.score([["knife", "cake"]]) == pytest.approx(0.5)
    assert model.contributions([["cake", "knife"]]) in (
        [("w:cake", -3.0), ("w:knife", 3.0)],
        [("w:knife", 3.0), ("w:cake", -3.0)],
    )


def test_the_shipped_weights_are_made_from_the_training_data_and_the_grammar() -> None:
    """After editing content/danger_examples.yaml, the training list, a corpus it names or the
    grammar, run `safety-bot danger train` and commit classifier.json."""
    shipped = Classifier.load()
    assert shipped is not None
    assert shipped.digest == training.digest(CONTENT), "run `safety-bot danger train`"
    files = training.training_files(CONTENT)
    assert CONTENT / "danger_examples.yaml" in files and CONTENT / "danger_training.yaml" in files
    assert sum("tests/corpus/danger" in str(f) for f in files) >= 13  # the seen corpora train


def test_the_training_list_names_each_corpus_once_with_its_writer() -> None:
    samples = training.load_samples(CONTENT)
    writers = {s.writer for s in samples}
    assert {"danger", "danger2", "danger9", ""} <= writers
    listing = yaml.safe_load((CONTENT / "danger_training.yaml").read_text(encoding="utf-8"))
    files = [entry["file"] for entry in listing["corpora"]]
    assert len(files) == len(set(files))


def _tiny_content(tmp_path: Path) -> Path:
    content = tmp_path / "content"
    content.mkdir()
    (content / "danger_grammar.yaml").write_text(
        (CONTENT / "danger_grammar.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    corpus = [
        {"text": t, "label": "danger", "kind": "k"}
        for t in ("he is wrecking the house", "they are wrecking my flat now", "wrecking it")
    ] + [
        {"text": t, "label": "calm", "kind": "k"}
        for t in ("how do i get an order", "thanks for the help", "what is a non mol")
    ]
    (tmp_path / "corpus.yaml").write_text(yaml.safe_dump(corpus), encoding="utf-8")
    (content / "examples.yaml").write_text(
        yaml.safe_dump([{"text": "wrecking ball song", "label": "calm", "kind": "k"}]),
        encoding="utf-8",
    )
    listing = {
        "corpora": [{"file": "corpus.yaml", "writer": "w1"}],
        "examples": "content/examples.yaml",
    }
    (content / "danger_training.yaml").write_text(yaml.safe_dump(listing), encoding="utf-8")
    return content


def test_training_writes_weights_that_carry_the_digest_of_every_file(tmp_path: Path) -> None:
    content = _tiny_content(tmp_path)
    target = tmp_path / "classifier.json"
    assert "from 7 messages" in training.rebuild(content, target)
    made = Classifier.load(target)
    assert made is not None and made.digest == training.digest(content)
    assert made.threshold == training.THRESHOLD and made.confident == training.CONFIDENT
    assert made.weights["w:wrecking"] > 0 and min(made.weights.values()) < 0
    # a changed corpus file changes the digest: the shipped weights' test then fails
    (tmp_path / "corpus.yaml").write_text("[]", encoding="utf-8")
    assert training.digest(content) != made.digest


def test_examples_are_reviewable_and_labelled() -> None:
    items = yaml.safe_load((CONTENT / "danger_examples.yaml").read_text(encoding="utf-8"))
    assert {i["label"] for i in items} == {"danger", "calm"}
    assert all(set(i) - {"from"} == {"text", "label", "kind"} and i["text"].strip() for i in items)
    with pytest.raises(ValueError, match=r"danger_examples.yaml\[1\]"):
        training.load_examples([{"text": "a", "label": "calm"}, {"text": "b"}])


def test_without_weights_the_grammar_works_alone(tmp_path: Path) -> None:
    assert Classifier.load(tmp_path / "none.json") is None
    alone = DangerDetector.from_file(CONTENT / "danger_grammar.yaml", classifier=False)
    assert alone.is_danger("hes outside") and alone.explain("hi").score is None
    assert "classifier" not in str(alone.explain("hi"))


def test_leaving_a_writer_out_from_the_command_line() -> None:
    """The full leave-one-writer-out (`safety-bot danger cv`, ~2 min CPU) is run by hand and
    recorded in docs/danger.md; here one writer judged by a model trained on two others (cheap)."""
    run = subprocess.run(
        [
            *(sys.executable, "-m", "bot.cli", "danger", "cv"),
            *("--writer", "danger3", "--trained-on", "danger", "danger2"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr
    out = run.stdout
    assert "danger3: grammar or classifier, line 0.60, over the hold-back at 0.90: recall" in out
    assert "danger3: grammar alone: recall" in out and "(0/0)" not in out
    assert "POOLED (danger writers)" in out and "danger2:" not in out
