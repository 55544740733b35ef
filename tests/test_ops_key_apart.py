"""The key and the backups kept apart from the data: `doctor` warns, in webhook or production
mode, when the key sits in the data dir, and when database copies are inside it; `backup PATH`
to a folder that does not exist creates it (PATH ending in /) or refuses clearly."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.app import open_app
from bot.cli import main
from bot.ops.doctor import OK, WARN, run_doctor
from bot.settings import Settings
from bot.store.crypto import encode_key
from tests.conftest import mini_registry

# made up, and assembled at run time so no token-shaped line is committed
TOKEN = "123456789" + ":" + "AAH3xq_9vB-kZ7pQ2rT5uW8yA1cE4gJ6mN0"
WEBHOOK = {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_WEBHOOK_URL": "https://bot.example.org/hook"}
PRODUCTION = {"TELEGRAM_BOT_TOKEN": TOKEN, "SAFETY_BOT_ENV": "production"}


async def deployed(settings: Settings) -> None:
    app = await open_app(settings, mini_registry([]))
    await app.close()


def key_findings(settings: Settings, env: dict[str, str]) -> list[tuple[str, str]]:
    report = run_doctor(settings, env=env, registry=mini_registry([]))
    return [(f.status, f.message) for f in report.findings if f.area in ("key", "backup")]


@pytest.mark.parametrize("env", [WEBHOOK, PRODUCTION], ids=["webhook", "production"])
async def test_doctor_warns_when_the_key_sits_beside_the_data(
    mini_settings: Settings, env: dict[str, str]
) -> None:
    await deployed(mini_settings)
    found = key_findings(mini_settings, env)
    assert any(s == WARN and "sits in the data dir beside the database" in m for s, m in found)
    assert any("SAFETY_BOT_KEY_FILE" in m for s, m in found if s == WARN)


async def test_no_warning_on_a_developers_machine(mini_settings: Settings) -> None:
    await deployed(mini_settings)
    found = key_findings(mini_settings, {"TELEGRAM_BOT_TOKEN": TOKEN})
    assert not any("beside the database" in m for _, m in found)


async def test_a_key_file_outside_the_data_dir_is_kept_apart(
    mini_settings: Settings, tmp_path: Path
) -> None:
    key_file = tmp_path / "credentials" / "safety-bot.key"
    key_file.parent.mkdir()
    key_file.write_text(encode_key(os.urandom(32)))
    os.chmod(key_file, 0o400)
    mini_settings.key, mini_settings.key_file = key_file.read_text(), key_file
    await deployed(mini_settings)
    assert not (mini_settings.data_dir / "secret.key").exists()
    found = key_findings(mini_settings, WEBHOOK)
    assert (OK, f"from SAFETY_BOT_KEY_FILE ({key_file}) (not shown)") in found
    assert (OK, "kept apart from the data dir (webhook mode)") in found
    assert not any(s == WARN for s, _ in found)


async def test_a_key_file_inside_the_data_dir_is_not_apart(mini_settings: Settings) -> None:
    await deployed(mini_settings)
    inside = mini_settings.data_dir / "elsewhere.key"
    inside.write_text(encode_key(os.urandom(32)))
    mini_settings.key, mini_settings.key_file = inside.read_text(), inside
    found = key_findings(mini_settings, PRODUCTION)
    assert any(s == WARN and f"the key ({inside}) sits in the data dir" in m for s, m in found)


async def test_backups_inside_the_data_dir_are_reported(
    mini_settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    await deployed(mini_settings)
    data = str(mini_settings.data_dir)
    assert main(["backup", f"{data}/backups/", "--data-dir", data]) == 0
    out = capsys.readouterr().out
    assert "this copy is inside the data dir" in out
    found = key_findings(mini_settings, {})
    assert any(s == WARN and "database copies inside the data dir (backups/" in m for s, m in found)


async def test_backup_to_a_new_folder_ending_in_a_slash_creates_it(
    mini_settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await deployed(mini_settings)
    folder = tmp_path / "offsite" / "backups"
    data = str(mini_settings.data_dir)
    assert main(["backup", f"{folder}/", "--data-dir", data]) == 0
    assert folder.is_dir() and (folder.stat().st_mode & 0o777) == 0o700
    copies = list(folder.glob("safety-bot-*.db"))
    assert len(copies) == 1
    assert "inside the data dir" not in capsys.readouterr().out
    assert all("database copies" not in m for _, m in key_findings(mini_settings, {}))


async def test_backup_to_a_missing_path_that_could_be_a_folder_is_refused(
    mini_settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await deployed(mini_settings)
    target = tmp_path / "backups"
    assert main(["backup", str(target), "--data-dir", str(mini_settings.data_dir)]) == 2
    err = capsys.readouterr().err
    assert f"{target} does not exist" in err and f"({target}/)" in err
    assert not target.exists()  # no file named like the folder
    assert (
        main(["backup", str(tmp_path / "copy.db"), "--data-dir", str(mini_settings.data_dir)]) == 0
    )
