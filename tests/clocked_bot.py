"""`python -m tests.clocked_bot run ...`: the bot, its wall clock set by the test.

`BotProcess(clock=...)` starts the bot this way, with the instant in SAFETY_BOT_TEST_CLOCK.
`time-machine` moves `time.time()`, `datetime.now()` and the rest to that instant and lets them
tick from there (the monotonic clock, which asyncio's timers use, is left alone), so a bot
subprocess sees the date the test chose, not the machine's.
"""

from __future__ import annotations

import datetime as dt
import os
import runpy
import sys

import time_machine

CLOCK_VARIABLE = "SAFETY_BOT_TEST_CLOCK"


def main() -> None:
    start = dt.datetime.fromisoformat(os.environ.pop(CLOCK_VARIABLE))
    with time_machine.travel(start, tick=True):
        sys.argv[0] = "bot"
        runpy.run_module("bot", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
