"""Danger words: a corpus of danger phrasings and ordinary messages, against the real phrase file.

Prints recall and false-alarm rate (run with `pytest -s` to see them); requires recall 100% and
false alarms at most 5%.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml

from bot.engine.danger import DangerDetector, normalise

ROOT = Path(__file__).resolve().parents[1]
PHRASES = ROOT / "content" / "danger_phrases.yaml"

# Messages that signal immediate danger: plain, shouted, with typos, without apostrophes,
# with chat spellings, with other people named in different ways.
DANGER = [
    "help me",
    "HELP ME",
    "Help!!!",
    "help",
    "hlep",
    "heeeelp",
    "helpp me please",
    "hepl me",
    "please help",
    "Pls help",
    "plz help me now",
    "somebody help",
    "someone help me!!",
    "sos",
    "SOS!!",
    "s.o.s",
    "S O S",
    "999",
    "call 999",
    "999 now",
    "he is outside my house",
    "he's outside my house",
    "hes outside my house",
    "He’s outside my house!!",
    "hes outsdie my house",
    "he is right outside my front door",
    "she's outside my house",
    "they're outside my flat",
    "theyre outside the house",
    "my ex is outside my house",
    "my ex is at the door",
    "there's someone outside",
    "theres somone outside my window",
    "he is at my door",
    "hes banging on the door",
    "hes knocking on my door again",
    "someone is following me",
    "someones following me",
    "someone's following me now",
    "some one is following me",
    "he is folowing me",
    "he's follwing me right now",
    "im being followed",
    "I'm being followed",
    "i think im being followed",
    "they are following me home",
    "he is behind me",
    "he's chasing me",
    "he's breaking in",
    "hes breaking in",
    "he is breakin in",
    "someone is trying to break in",
    "hes trying to get in",
    "he is breaking down the door",
    "he's in my house",
    "someone is in the house",
    "he is in my garden",
    "he is here",
    "hes here",
    "he's here now",
    "he's coming over",
    "hes coming round now",
    "he is coming to get me",
    "hes on his way",
    "he said he is going to kill me",
    "hes gonna kill me",
    "he will kill me",
    "i am in danger",
    "im in danger",
    "I'm in danger now",
    "i am not safe",
    "im not safe",
    "i fear for my life",
    "he has a knife",
    "hes got a knife",
    "he is hurting me",
    "he just hit me",
    "he won't let me leave",
    "he wont let me leave",
    "i cant get away",
    "i'm hiding from him",
    "i am hiding in the bathroom",
    "ive locked myself in",
    "he's found me",
    "call the police for me",
    "please call the police",
    "send help",
    "this is an emergency",
    "its an emergency",
    "emergency",
    "urgent",
    "i need help",
    "need help right now",
    "he is watching me right now",
]

# Ordinary messages: incident descriptions (past), questions, greetings, answers, button labels.
ORDINARY = [
    "hi",
    "hello",
    "Hello there",
    "good morning",
    "thanks",
    "thank you, that helps",
    "ok",
    "yes",
    "no",
    "No, not right now",
    "menu",
    "more",
    "back",
    "Report it (not an emergency)",
    "Is this stalking?",
    "Unwanted calls",
    "Keeping evidence",
    "Record what happened",
    "I know who it is",
    "Staying safe online",
    "Telling people",
    "He followed me home from work last Tuesday",
    "he was outside my house yesterday evening",
    "He was waiting outside my work on Monday",
    "My ex keeps texting me",
    "she sent me 40 messages last night",
    "I got a letter with no stamp through the door this morning",
    "there were flowers left on my car",
    "he turned up at my sister's wedding last month",
    "he has been posting about me on facebook",
    "someone keeps calling from a withheld number",
    "I had 12 missed calls overnight",
    "he left a voicemail saying he misses me",
    "my neighbour saw him walk past twice on Sunday",
    "a parcel arrived with my name written in his handwriting",
    "he commented on all my photos",
    "he drove past my house three times last week",
    "I think he put a tracker on my car, how do I check?",
    "he was at the gym again when I went on Friday",
    "he messaged my friends asking where I live",
    "I changed my number but he found the new one",
    "How do I report stalking?",
    "what is the IASU?",
    "What does the integrated anti-stalking unit do?",
    "Can you help me understand what counts as stalking?",
    "help me understand what harassment means",
    "can you help me with recording an incident",
    "How can this bot help?",
    "what number is the national stalking helpline?",
    "is it stalking if it only happened twice?",
    "should I keep the letters he sent?",
    "how do I print my facebook messages",
    "what is 1471?",
    "do I have to open the parcels?",
    "can I report anonymously?",
    "what happens when I call 101",
    "will the police tell him I reported it?",
    "how do I change my privacy settings",
    "what's a key logger",
    "Is there a way to block his number?",
    "I'm not in danger right now, I just want advice",
    "I'm safe at the moment",
    "I feel a bit better today",
    "I'm worried about going to work tomorrow",
    "Who can I talk to about this?",
    "I'd like to tell my boss, any tips?",
    "my daughter is being harassed at school",
    "he helped me move house years ago, that's how he knows where I live",
    "I was scared last night but I'm ok now",
    "yesterday 9pm",
    "3 days ago",
    "Tue 14:30",
    "outside Tesco on the high street",
    "/help",
    "/menu",
    "thank you so much",
    "bye",
    # harder ones: near-misses a person might really write
    "I'm hiding my new address from him",
    "he is coming to court next week",
    "he threatened to kill me last year",  # counted as danger: a threat to kill gets 999 advice
    "should I call 999 or 101?",  # counted as danger: anything with 999 gets the 999 advice
    "he's in prison now",
    "she is at my mum's house this weekend, I'm staying at a friend's",
    "I'm following the advice about passwords",
    "I used to be scared but not any more",
    "👍",
    "مرحبا",
]


@pytest.fixture(scope="module")
def detector() -> DangerDetector:
    return DangerDetector.from_file(PHRASES)


def test_corpus_sizes() -> None:
    assert len(DANGER) >= 60
    assert len(ORDINARY) >= 60
    assert not set(DANGER) & set(ORDINARY)


def test_recall_and_false_alarms(detector: DangerDetector) -> None:
    missed = [m for m in DANGER if not detector.is_danger(m)]
    alarms = [m for m in ORDINARY if detector.is_danger(m)]
    recall = 1 - len(missed) / len(DANGER)
    false_alarm_rate = len(alarms) / len(ORDINARY)
    print(
        f"\ndanger words: recall {recall:.1%} ({len(DANGER) - len(missed)}/{len(DANGER)}), "
        f"false alarms {false_alarm_rate:.1%} ({len(alarms)}/{len(ORDINARY)})"
    )
    if alarms:
        print("false alarms:", alarms)
    assert missed == [], f"danger messages missed: {missed}"
    assert false_alarm_rate <= 0.05, f"too many false alarms: {alarms}"


def test_phrase_file_is_reviewable_yaml() -> None:
    data = yaml.safe_load(PHRASES.read_text(encoding="utf-8"))
    assert set(data) == {"phrases", "whole_message", "not_danger"}
    for key in data:
        assert all(isinstance(p, str) and p.strip() for p in data[key]), key
    # the phrases the issue names are in the file (as written or as one of their variants)
    detector = DangerDetector.from_file(PHRASES)
    for named in [
        "he is outside my house",
        "someone is following me now",
        "help me",
        "he's breaking in",
        "999",
        "sos",
    ]:
        assert detector.is_danger(named), named


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("He's outside", "hes outside"),
        ("he’s outside", "he is outside"),
        ("I'M BEING FOLLOWED!!!", "im being followed"),
        ("can't", "cannot"),
        ("won't", "wont"),
        ("s o s", "sos"),
    ],
)
def test_normalise_treats_variants_alike(a: str, b: str) -> None:
    assert normalise(a) == normalise(b)


def test_typos_forgiven_but_inflections_and_other_words_are_not(detector: DangerDetector) -> None:
    assert detector.is_danger("hlep me")  # swapped letters
    assert detector.is_danger("hrlp me")  # neighbouring key
    assert detector.is_danger("someone is follwoing me")
    assert not detector.is_danger("she helps me with the shopping")  # "helps" is not a typo
    assert not detector.is_danger("he was following me last year")  # past, not now
    assert not detector.is_danger("he is not outside my house")  # "not" breaks the phrase


def test_not_danger_only_cancels_inside_itself(detector: DangerDetector) -> None:
    assert not detector.is_danger("help me understand the law")
    assert detector.is_danger("help me understand, he is outside my house")


def test_empty_and_odd_input(detector: DangerDetector) -> None:
    for text in ["", "   ", "\x00\x07", "🙂🙂🙂", "x" * 5000, "ـــ", "\u202eevil"]:
        assert detector.is_danger(text) is False, repr(text)  # none of them is a danger
    assert not detector.is_danger("")
    assert DangerDetector([]).is_danger("help me") is False
    assert DangerDetector.from_file(ROOT / "no-such-file.yaml").is_danger("help") is False


def test_fast_enough_for_every_message(detector: DangerDetector) -> None:
    messages = (DANGER + ORDINARY) * 20
    start = time.perf_counter()
    for m in messages:
        detector.is_danger(m)
    per_message = (time.perf_counter() - start) / len(messages)
    long_text = " ".join(f"word{i} went to the shops and came home" for i in range(500))[:4096]
    long_text += " he is outside my house"
    start = time.perf_counter()
    assert detector.is_danger(long_text[-4096:])
    long_time = time.perf_counter() - start
    print(
        f"\ndanger words: {per_message * 1e6:.0f} µs a message; 4,096 characters: {long_time * 1e3:.1f} ms"
    )
    assert per_message < 0.002
    assert long_time < 0.2
