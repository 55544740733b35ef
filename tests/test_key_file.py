"""The master key file: on disk (file and folder fsynced) before first use; one key when several
processes start at once on a new data dir (real processes, released together); and
`SAFETY_BOT_KEY_FILE`, a key kept outside the data dir (systemd credentials, Docker secrets)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.store import crypto
from bot.store.crypto import KEY_FILE_NAME, Cipher, encode_key, load_or_create_key
from tests.test_console import run_chat

# One interpreter imports the bot once, then forks the processes that race: each is a process of
# its own (its own pid, file descriptors and SQLite connection) and runs the whole `open_app`.
# The barrier is inside it, where each has found no key file and is about to make one: all of
# them make a key at once, every round. With the barrier before `open_app`, the flow checks
# (0.7 s each, six processes on two cores) spread them out so far that a key file made with
# `os.replace` instead of an exclusive link still passed; now it fails every time.
STARTER = """
import asyncio, os, sys
from pathlib import Path
import bot.app
import bot.store.crypto
from bot.settings import Settings

arrived, told = os.pipe()
barrier, release = os.pipe()
make_key = bot.store.crypto.create_key_file

def at_the_barrier(*args, **kwargs):
    os.write(told, b".")
    os.read(barrier, 1)  # returns when the parent closes `release`: for all at once
    return make_key(*args, **kwargs)

bot.store.crypto.create_key_file = at_the_barrier

async def main():
    app = await bot.app.open_app(Settings(data_dir=Path(sys.argv[1])))
    line = f"{app.cipher.fingerprint} {app.conversations.user_ref('tg:1')}\\n"
    os.write(1, line.encode())  # one write, under PIPE_BUF: the six lines never interleave
    await app.close()

children = []
for _ in range(int(sys.argv[2])):
    pid = os.fork()
    if pid == 0:
        os.close(release)
        try:
            asyncio.run(main())
        except BaseException:
            import traceback
            traceback.print_exc()
            os._exit(1)
        os._exit(0)
    children.append(pid)
os.close(barrier)
for _ in children:
    os.read(arrived, 1)  # every child found no key file
print("ready", flush=True)
sys.stdin.readline()
os.close(release)
failed = [pid for pid in children if os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) != 0]
sys.exit(1 if failed else 0)
"""


def start_together(data_dir: Path, count: int) -> list[str]:
    """`count` processes open the app on `data_dir` at the same moment; their lines."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SAFETY_BOT_", "TELEGRAM_"))}
    proc = subprocess.Popen(
        [sys.executable, "-c", STARTER, str(data_dir), str(count)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    out, err = proc.communicate("go\n", timeout=120)  # the barrier: every process is waiting
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    lines = out.split("\n")
    assert len([line for line in lines if line]) == count, out  # one line from each process
    return [line.strip() for line in lines if line]


@pytest.mark.parametrize("round_", range(3))
def test_processes_starting_at_once_on_a_new_data_dir_end_with_one_key(
    tmp_path: Path, round_: int
) -> None:
    data_dir = tmp_path / "data"
    seen = start_together(data_dir, 6)
    assert len(set(seen)) == 1, seen  # one key id and one pseudonym key for all
    key = crypto.decode_key((data_dir / KEY_FILE_NAME).read_text(), "key")
    assert seen[0].split()[0] == Cipher(key).fingerprint
    assert sorted(p.name for p in data_dir.iterdir() if "key" in p.name) == [KEY_FILE_NAME]
    assert (data_dir / KEY_FILE_NAME).stat().st_mode & 0o777 == 0o600


def test_a_new_key_file_and_its_folder_are_fsynced_before_the_key_is_returned(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced: list[str] = []
    real_fsync = os.fsync

    def recording_fsync(fd: int) -> None:
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", recording_fsync)
    data_dir = tmp_path / "data"
    key = load_or_create_key(data_dir, None, database_exists=False)
    written = [p for p in synced if Path(p).parent == data_dir and ".secret.key" in p]
    assert written, synced  # the key's content, before its name appeared
    assert synced[-1] == str(data_dir)  # then the folder, so the name survives a power cut
    assert crypto.decode_key((data_dir / KEY_FILE_NAME).read_text(), "key") == key


def key_env(key_file: Path) -> dict[str, str]:
    return {"SAFETY_BOT_KEY_FILE": str(key_file)}


def run_with(
    data_dir: Path, lines: list[str], extra: dict[str, str]
) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SAFETY_BOT_", "TELEGRAM_"))}
    return subprocess.run(
        [sys.executable, "-m", "bot", "chat", "--data-dir", str(data_dir)],
        input="".join(f"{line}\n" for line in lines),
        capture_output=True,
        text=True,
        timeout=60,
        env={**env, **extra},
    )


def test_the_key_can_come_from_a_file_outside_the_data_dir(tmp_path: Path) -> None:
    credentials = tmp_path / "credentials"
    credentials.mkdir()
    key_file = credentials / "safety-bot.key"
    key_file.write_text(encode_key(os.urandom(32)) + "\n")
    data_dir = tmp_path / "data"
    first = run_with(data_dir, ["/log he left a note on the car", "/quit"], key_env(key_file))
    assert first.returncode == 0, first.stderr
    assert not (data_dir / KEY_FILE_NAME).exists()  # no key beside the data
    again = run_with(data_dir, ["/incidents 1", "/quit"], key_env(key_file))
    assert "he left a note on the car" in again.stdout

    other = credentials / "other.key"
    other.write_text(encode_key(os.urandom(32)))
    wrong = run_with(data_dir, ["/quit"], key_env(other))
    assert wrong.returncode != 0 and "does not open the database" in wrong.stderr


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("missing", "SAFETY_BOT_KEY_FILE: {path} does not exist"),
        ("empty", "SAFETY_BOT_KEY_FILE: {path} is empty"),
        ("both", "set SAFETY_BOT_KEY or SAFETY_BOT_KEY_FILE, not both"),
        ("bad", "SAFETY_BOT_KEY_FILE ({path}) must decode to 32 bytes"),
    ],
)
def test_a_wrong_key_file_setting_is_one_clear_line(
    tmp_path: Path, setup: str, message: str
) -> None:
    key_file = tmp_path / "safety-bot.key"
    extra = key_env(key_file)
    if setup == "empty":
        key_file.write_text("\n")
    elif setup == "both":
        key_file.write_text(encode_key(os.urandom(32)))
        extra["SAFETY_BOT_KEY"] = encode_key(os.urandom(32))
    elif setup == "bad":
        key_file.write_text("not a key!")
    result = run_with(tmp_path / "data", ["/quit"], extra)
    assert result.returncode != 0
    assert message.format(path=key_file) in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "data" / KEY_FILE_NAME).exists()


def test_without_a_key_setting_the_key_file_is_made_in_the_data_dir(tmp_path: Path) -> None:
    result = run_chat(tmp_path, ["/quit"], "chat")
    assert result.returncode == 0 and (tmp_path / KEY_FILE_NAME).exists()
