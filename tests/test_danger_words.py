"""Danger words: the regressions the issue names, and the grammar's behaviours one by one.

The recall and false-alarm figures come from the blind corpus (tests/test_danger_corpus.py);
these are the specific messages issue 11 reported, which must never regress, and short checks of
each part of bot/engine/danger/ (reading, typos, guards, explain, the grammar file itself).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bot.engine.danger import DangerDetector, GrammarError
from bot.engine.danger import lexicon as lexicon_module
from bot.engine.danger.grammar import Grammar

ROOT = Path(__file__).resolve().parents[1]
GRAMMAR = ROOT / "content" / "danger_grammar.yaml"

# Issue 11: messages written by people who never saw the old phrase list, which it missed.
MISSED_BEFORE = [
    "hes outside",
    "he's outside",
    "he is outside",
    "i need the police now",
    "he's trying the door handle",
    "i can hear someone downstairs",
    "he's parked across the road watching the house",
    "just saw him at the end of my road",
    "I can see his car parked outside",
    "there's a man following me in a car",
    "he followed me onto the bus",
    "he just broke my window",
    "hes smashing my windows",
    "he put his fist through the window",
    "im bleeding",
    "my ex just turned up and wont leave",
    "he's got my daughter and wont give her back",
    "he is threatening to hurt the kids",
    "she's waiting outside my work right now",
    "im scared hes coming",
    "he has a knife",
]
# Issue 11: false alarms of the old list.
ALARMED_BEFORE = [
    "he called 999 on me last year",
    "i rang 999 last time and they were really helpful",
]


@pytest.fixture(scope="module")
def detector() -> DangerDetector:
    return DangerDetector.from_file(GRAMMAR)


@pytest.fixture(scope="module")
def rules() -> DangerDetector:
    """The grammar alone: its guards are tested here; the classifier's own verdicts (which may
    alarm where a guard stopped a rule) in tests/test_danger_classifier.py."""
    return DangerDetector.from_file(GRAMMAR, classifier=False)


@pytest.mark.parametrize("text", MISSED_BEFORE)
def test_what_the_old_list_missed_is_danger(detector: DangerDetector, text: str) -> None:
    assert detector.is_danger(text), detector.explain(text)


@pytest.mark.parametrize("text", ALARMED_BEFORE)
def test_what_the_old_list_raised_an_alarm_for_is_calm(detector: DangerDetector, text: str) -> None:
    assert not detector.is_danger(text), detector.explain(text)


@pytest.mark.parametrize(
    "text",
    [
        "HES OUTSIDE!!!",
        "he’s outside",
        "hes outsdie my house",
        "someone is follwoing me",
        "hlep",
        "heeeelp",
        "s o s",
        "S.O.S",
        "🆘",
        "9 9 9",
        "Jamie's in my garden",
        "ex-husband at my door NOW",
    ],
)
def test_how_people_type_is_read(detector: DangerDetector, text: str) -> None:
    assert detector.is_danger(text), detector.explain(text)


@pytest.mark.parametrize(
    ("text", "guard"),
    [
        ("he's not outside anymore", "negation"),
        ("I'm not in danger, just want advice", "negation"),
        ("he was following me", "past"),
        ("he followed me home last Tuesday", "past_time"),
        ("do I need to give my address when I call 999?", "question"),
        ("should I call 999 or 101?", "question"),
        ("what if he comes to my house", "question"),
        ("i keep dreaming he's outside my door", "hypothetical"),
        ("whenever i go out i think someone is following me", "question"),
        ("every time i go out i think someone is following me", "hypothetical"),
        ("he is going to follow me again", "future"),
        ("he's following me on instagram", "online"),
        # round 3
        ("log this: he followed me from the gym on thursday", "record"),
        ("note for my solicitor - he broke the window, crime ref given", "record"),
        ("this traffic is killing me", "idiom"),
        ("my mum will kill me", "idiom"),
        ("listening to a podcast about a man who broke into his ex's house", "idiom"),
        ("I was strangled by my ex and I still get flashbacks", "idiom"),
        ("my ex turned up and the police took him away", "all_clear"),
        ("he was banging on the door and now i'm safe", "all_clear"),
        ("i thought i saw him outside but it wasn't him", "mistaken"),
        ("i heard a bang outside but it was just fireworks", "mistaken"),
        ("i remember him standing outside my window", "past"),
        ("police said to call 999 if he comes back", "past"),
        ("he kicked the door in last november", "past_time"),
        ("he kicked the door in at my old flat", "past_time"),
        ("say he's outside one night, do i ring or text?", "hypothetical"),
    ],
)
def test_guards_stop_calm_messages_and_say_which(
    rules: DangerDetector, text: str, guard: str
) -> None:
    explanation = rules.explain(text)
    assert not explanation.is_danger, explanation
    assert f"by the {guard} guard" in str(explanation)


@pytest.mark.parametrize(
    "text",
    [
        "he was outside yesterday but today he's back",  # a past time in its own part only
        "he had his hands round my neck just now",  # "had" with "just now" is now
        "he won't let me leave",  # the rule's own "not"
        "my nose wont stop bleeding",  # "won't stop" is "keeps"
        "omg hes at my door what do i do",  # the question comes after
        "he says if i dont open the door he will smash it in",
        # round 3: the new guards keep out of the way of danger
        "lol he's outside again",  # a joke mark holds back only the classifier
        "im fine im fine hes only at the gate",  # an all-clear before the match
        "i'm ok but he's outside",  # ... or in another part
        "i'm hurt and hes gone to get something",  # "gone to" is not "gone"
        "it wasn't him last time, but this time hes at the door",  # mistaken, but earlier
        "he's watching a film in my living room and won't let me leave",  # the scene is far
        "log this he is at my door now",  # a record opener, but "now"
        "Oh god I can hear him on the stairs. I'll sort out legal aid next week.",
        "He just rang. I reported him in May. He's outside my flat.",  # a past time 1 part away
    ],
)
def test_guards_do_not_stop_what_is_happening_now(detector: DangerDetector, text: str) -> None:
    assert detector.is_danger(text), detector.explain(text)


def test_help_on_its_own_is_danger_but_help_with_a_task_is_not(
    detector: DangerDetector, rules: DangerDetector
) -> None:
    for text in ["help", "help me", "pls help", "someone help!!", "i need help now", "HELP"]:
        assert detector.is_danger(text), text
    for text in [
        "help me understand the law",
        "how can this bot help",
        "i need help writing a letter",
        "she helps me with the shopping",
        "thanks for the help earlier",
        "/help",
    ]:
        assert not rules.is_danger(text), rules.explain(text)
    for text in ["thanks for the help earlier", "how can this bot help", "/help"]:
        assert not detector.is_danger(text), detector.explain(text)
    # the classifier alone scores these high ("she", "help me" weigh toward danger); since
    # round 4 (alarm line 0.60) the grammar's idioms of help with a task hold it back
    for text in ["she helps me with the shopping", "help me understand the law"]:
        explanation = detector.explain(text)
        assert not explanation.is_danger and explanation.held_back, explanation


def test_explain_prints_the_reading_the_rule_and_the_verdict(detector: DangerDetector) -> None:
    out = str(detector.explain("hes outsdie, i'm scared"))
    assert out.startswith("DANGER: ")
    assert "part 1 read as: he is outside" in out
    assert "rule 'someone is here' matched [he ... is ... outside]" in out
    out = str(detector.explain("what is stalking"))
    assert out.startswith("not danger: ") and "no rule matched" in out


def test_explain_from_the_command_line() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "bot.cli", "danger", "explain", "he called 999 on me last year"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("not danger: 'he called 999 on me last year'")
    run = subprocess.run(
        [sys.executable, "-m", "bot.cli", "danger", "explain", "he's", "trying", "the", "door"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.stdout.startswith("DANGER: ") and "counts" in run.stdout


def test_odd_input_and_no_grammar(detector: DangerDetector) -> None:
    for text in ["", "   ", "\x00\x07", "🙂🙂🙂", "x" * 5000, "ـــ", "\u202eevil", "مرحبا"]:
        assert detector.is_danger(text) is False
    long_text = "we went to the shops and came home. " * 120 + "he is outside my house"
    assert detector.is_danger(long_text[-4096:])
    assert DangerDetector.from_file(ROOT / "no-such-file.yaml").is_danger("help") is False


def test_lexicon_is_up_to_date_with_the_grammar() -> None:
    """After editing the grammar, `safety-bot danger lexicon` must be run (and its file committed)."""
    grammar = Grammar.from_file(GRAMMAR)
    assert not grammar.stale, "run `safety-bot danger lexicon` after editing danger_grammar.yaml"
    data = json.loads(lexicon_module.LEXICON_FILE.read_text())
    assert "bread" in data["real_words"]  # a real word near "break" is never corrected into it
    assert set(data["forms"]["follow~"]) == {"follow", "follows", "followed", "following"}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("guards:\n  negation: [not, no]\n", "write yes/no/on/off in quotes"),
        ("rules:\n  - says: nothing\n", "needs a name and a match"),
        ("rules:\n  - {name: x, match: [a], ignore: [sometimes]}\n", "no such guard"),
        ("classes:\n  person: [he\n", "line 2"),
    ],
)
def test_a_broken_grammar_names_the_file_and_the_problem(
    tmp_path: Path, body: str, message: str
) -> None:
    path = tmp_path / "danger_grammar.yaml"
    path.write_text(body)
    with pytest.raises(GrammarError) as caught:
        DangerDetector.from_file(path)
    assert str(path) in str(caught.value) and message in str(caught.value)


def test_grammar_file_is_reviewable_yaml() -> None:
    data = yaml.safe_load(GRAMMAR.read_text(encoding="utf-8"))
    assert set(data) == {"spellings", "rewrites", "classes", "guards", "rules"}
    for rule in data["rules"]:
        assert rule["name"] and rule["says"] and rule["match"], rule


@pytest.mark.parametrize(
    "text",
    [
        "I require urgent police assistance at my address.",
        "I wish to report that an individual is currently attempting to gain entry to my home.",
        "Apologies, but there is a gentleman in my garden whom I do not know.",
        "Could you kindly arrange for the police to attend? There is an intruder in my garden.",
        "how do i get the police here now",
        "cant talk hes in the next room",
        "i think hes in the garden",
        "my doorbell camera just went off and it's him",
        "black BMW with no plates following me down the A road",
        "white transit keeps driving past slowly",
        "the door's on fire he set it alight",
        "i can smell petrol at my front door",
        "theres an airtag in my bag that isnt mine",
        "following me. deaf. cant phone. where go",
        "hes between me and the door",
        "he says i'll never see the kids again and he's driving off with them",
    ],
)
def test_round_3_wordings_are_caught_by_the_rules(rules: DangerDetector, text: str) -> None:
    """Kinds the second blind corpus showed the grammar missing: formal wording, requests asked
    as questions, whispers, indirect presence, cameras, vehicles by make, fire, trackers."""
    assert rules.is_danger(text), rules.explain(text)


# Round 4 (docs/danger.md): wordings written by the developer for each new class, guard and
# reading step (not corpus messages), so that a change that undoes one is seen.
@pytest.mark.parametrize(
    "text",
    [
        "heshere",  # words run together
        "hes kickin the door in",  # a dropped g
        "some bodies following me",  # voice-to-text
        "hes ootside me hoose",  # Scots, and "me" for "my"
        "i think she broke my wrist",  # a bone broken
        "my nan is not waking up",
        "im in the wardrobe",  # a hiding place
        "GUN",  # a weapon named alone
        "what do i do right now",
        "diary - he is at the back window",  # a record in the present tense
        "was watching the football and hes just come in",  # an idiom before "just"
        "id like to order a pizza to my flat please hurry",  # a coded call
        "what should i do hes at the front door",  # a statement after a question, no "?"
        "is there a way to text, i cant speak he will hear",  # a whisper inside a question
        "could you send someone please",  # a request, not a maybe
        "he's holding the dog over the balcony",  # a pet held
    ],
)
def test_round_4_readings_of_danger_now(detector: DangerDetector, text: str) -> None:
    assert detector.is_danger(text), detector.explain(text)


@pytest.mark.parametrize(
    "text",
    [
        "nowhere feels like home",  # a real word is never cut ("now here")
        "he keeps messaging me, should i block him?",  # a pattern asked about
        "my neck is killing me",
        "should i call 999 if he is outside",  # a conditional after the question
        "diary: he was outside on friday",
        "diary: he liked my photos again today",  # a record's day is not "now"
        "outside the Co-op",  # a short answer naming nobody: not the classifier's alone
        "non emergency number",
        "personal safety tips pls",
        "help, how do i use this app",  # a cry explained by the next part
        "he threatened me once when we were still together",  # "still" inside a past time
    ],
)
def test_round_4_readings_of_calm(detector: DangerDetector, text: str) -> None:
    assert not detector.is_danger(text), detector.explain(text)


@pytest.mark.parametrize(
    ("text", "guard"),
    [
        ("the kids are banging on the bathroom door again haha", "joke"),
        ("my flatmate is outside arguing with the taxi driver lol", "joke"),
        ("he grabbed my arm in august and i've only just told my mum", "past_time"),
        ("12 oct - he turned up at my work", "past_time"),
        ("the housing officer said if he turns up i should call 999", "hypothetical"),
        ("the police have him in the van outside my house. i am ok", "all_clear"),
        ("the storm is banging on the windows all night", "not_a_person"),
        ("he is outside in handcuffs with the police", "all_clear"),
        ("turned out the banging at the door was the wind", "mistaken"),
        ("she's threatening to take me to court for the flat", "idiom"),
        ("my daughter is playing a horror game where a man is breaking in", "idiom"),
    ],
)
def test_round_6_frames_stop_calm_messages(rules: DangerDetector, text: str, guard: str) -> None:
    explanation = rules.explain(text)
    assert not explanation.is_danger, explanation
    assert f"by the {guard} guard" in str(explanation)


@pytest.mark.parametrize(
    "text",
    [
        "lol he's outside again",  # a joke mark before the match does not stop it
        "he hit me last night and he's just come back",
        "he's at my door and i'm scared, what do i do",  # a question in the present tense
        "my friend said if he turns up again i should text her, he is outside now",
        "someone followed me off the bus where do i go",  # a question about this minute
        "he punched me in the face, should i ring someone?",  # done to the writer
        "my dog is barking like mad and someone is trying the back door",  # a person too
        "the cat ran in scared and the back door is rattling",  # "and": another clause
        "🔪 by the back gate",  # a short phrase naming a weapon: the classifier's to judge
        "a red car has driven past the house four times in ten minutes",
    ],
)
def test_round_6_frames_leave_danger_now(detector: DangerDetector, text: str) -> None:
    assert detector.is_danger(text), detector.explain(text)


@pytest.mark.parametrize(
    ("text", "danger"),
    [
        # a question with no "now", the match not in the present tense: the classifier judges
        ("he followed me round the shop, do i report it?", False),
        ("she came to my work, should i tell my manager?", False),
        ("he grabbed her arm in the car park, should i go back inside?", True),
    ],
)
def test_the_classifier_judges_a_question_about_the_past(
    detector: DangerDetector, rules: DangerDetector, text: str, danger: bool
) -> None:
    explanation = detector.explain(text)
    assert explanation.is_danger is danger, explanation
    assert "asked_not_now guard" in str(explanation) and "the classifier judges it" in str(
        explanation
    )
    assert not rules.is_danger(text)  # the grammar alone stops it


# Round 7b: the mechanisms, each in wording of our own (not from a corpus), read by the rules alone.
@pytest.mark.parametrize(
    ("text", "rule"),
    [
        # a question with a present-danger signal is a plea, not an enquiry about 999
        ("where do i run, he is still behind me", "someone is here"),
        ("how do i ring 999 without talking, he is upstairs", "police now"),
        ("can i ring 999 from here? i am hiding from him", "police now"),
        ("what do i do if he is at the back door right now", "someone is here"),
        # a bare place, harm or pursuit that is the whole message
        ("at window", "a bare place, the whole message"),
        ("in kitchen now", "a bare place, the whole message"),
        ("in garden pls", "a bare place, the whole message"),
        ("bleeding", "hurt"),
        ("injured pls", "a bare harm, the whole message"),
        ("her again", "them again, the whole message"),
        # quoted, and signs
        ("she just texted im at your door", "a message quoted that means danger now"),
        ("i can hear a key in the lock. i changed them in june", "hearing or seeing them now"),
        ("the lady from the shop just told me she knows where i live", "someone says they know"),
        ("he is in the lounge with the carving knife", "someone is here"),
        ("i feel scared he is outside my door", "someone is here"),
        # the guards of round 7b keep out of the way of a person here now
        ("cant talk, he is here, will message later", "someone is here"),
        ("someone is banging on the door, it is my husband", "someone is getting in"),
    ],
)
def test_round_7b_pleas_are_danger(rules: DangerDetector, text: str, rule: str) -> None:
    explanation = rules.explain(text)
    assert explanation.is_danger, explanation
    assert f"rule {rule!r}" in str(explanation) or rule in str(explanation), explanation


@pytest.mark.parametrize(
    ("text", "guard"),
    [
        # a question with no present-danger signal stays an enquiry
        ("should i call 999 or 101 about what he did last week?", "question"),
        ("is there a way to call 999 without talking?", "question"),
        ("what happens when you ring 999 and can't speak, how does it work", "hypothetical"),
        # the one there named as someone ordinary, the writer saying it is not urgent
        ("there's a man at my door, it's the postman", "mistaken"),
        ("he's at the window... the window cleaner i mean", "mistaken"),
        ("cant talk now, in a lecture, will message later", "not_urgent"),
        ("i feel like someone is watching me all the time", "hypothetical"),
        ("i thought someone was following me but i know nobody is", "mistaken"),
    ],
)
def test_round_7b_calm_messages_stay_calm(rules: DangerDetector, text: str, guard: str) -> None:
    explanation = rules.explain(text)
    assert not explanation.is_danger, explanation
    assert f"by the {guard} guard" in str(explanation)


def test_round_7b_a_bare_place_is_a_plea_but_an_answer_to_where_is_not(
    rules: DangerDetector,
) -> None:
    """A place at home typed as the whole message is a plea; a public place, as the journal's
    "Where did it happen?" is answered, is not, nor a bare place inside a longer message."""
    assert rules.is_danger("at door") and rules.is_danger("in house")
    for answer in ["at the station", "on the bus", "in the car park", "at my work"]:
        assert not rules.is_danger(answer), rules.explain(answer)
    assert not rules.is_danger("where was it? in garden, last month")


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        # a sense of now in one sentence, "I just want to know" in another (round 7c)
        (
            "we split up in may. tonight i can hear him in the garden. "
            "i just want to know if i can get an injunction",
            "hearing or seeing them now",
        ),
        # a present alarm asked with the verb first
        ("WHY IS SHE OUTSIDE MY FLAT RIGHT NOW???", "someone here without a verb"),
        ("why is he at my work right now", "someone here without a verb"),
        # a room with "my" or "our"
        ("there's a man in our hallway", "there is someone here"),
        # the plea typed again in a hurry
        ("hlep hlep", "help"),
        # a time that names the person, not when it happens
        ("the man from this morning is following me again", "someone is following or watching"),
    ],
)
def test_round_7c_danger_across_sentences_and_in_questions(
    rules: DangerDetector, text: str, rule: str
) -> None:
    explanation = rules.explain(text)
    assert explanation.is_danger, explanation
    assert f"rule {rule!r}" in str(explanation), explanation


@pytest.mark.parametrize(
    "text",
    [
        "is he allowed to be at my work now?",
        "he used to sit in my kitchen for hours",
        "i just want to know if he can see my location, he was outside last week",
        'he posted "tell her i am watching" under my photo last year',
        "the man from last week was following me then, not since",
    ],
)
def test_round_7c_calm_messages_stay_calm(rules: DangerDetector, text: str) -> None:
    explanation = rules.explain(text)
    assert not explanation.is_danger, explanation
