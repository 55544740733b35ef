"""Console exports: kept per user, private, and deleted with /delete_my_data.

The console is driven as a real subprocess, as a person would type into it.
"""

from __future__ import annotations

import getpass
import stat
from pathlib import Path

from tests.chat_client import project_said as said
from tests.chat_client import project_words as words
from tests.test_console import run_chat

WHAT = "he followed me to the station"
WORD = b"station"


def export_folders(data_dir: Path) -> list[Path]:
    exports = data_dir / "exports"
    return sorted(exports.iterdir()) if exports.exists() else []


def files_holding(data_dir: Path, needle: bytes) -> list[Path]:
    return [p for p in data_dir.rglob("*") if p.is_file() and needle in p.read_bytes()]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def log_and_export(data_dir: Path) -> tuple[str, Path]:
    """A first session: one incident logged, then exported. Returns its output and the PDF."""
    result = run_chat(data_dir, [f"/log {WHAT}", "/export", "/quit"], "chat")
    assert result.returncode == 0, result.stderr
    assert said(result.stdout, "journal.logged", number=1)
    folders = export_folders(data_dir)
    assert len(folders) == 1, folders  # the user's own folder, and nothing loose beside it
    (pdf,) = sorted(folders[0].glob("*.pdf"))
    return result.stdout, pdf


def test_export_is_private_in_a_folder_of_its_own(tmp_path: Path) -> None:
    out, pdf = log_and_export(tmp_path)
    folder = pdf.parent
    assert folder.parent == tmp_path / "exports"
    assert folder.is_dir() and not folder.is_symlink()
    assert getpass.getuser() not in folder.name  # named by the store's pseudonym, not the login
    assert mode(tmp_path / "exports") == 0o700
    assert mode(folder) == 0o700
    files = sorted(folder.iterdir())
    assert [p.suffix for p in files] == [".csv", ".pdf"]
    for path in files:
        assert mode(path) == 0o600, path
        assert f"Saved to {path}" in out  # the full path is told to the user
    assert pdf.read_bytes().startswith(b"%PDF")
    # the export is the one place the typed words are readable: the check below can see them
    assert files_holding(tmp_path, WORD) != []
    assert all(p.parent == folder for p in files_holding(tmp_path, WORD))


def test_exporting_again_makes_loosened_files_private_again(tmp_path: Path) -> None:
    _, pdf = log_and_export(tmp_path)
    for path in [pdf.parent, *pdf.parent.iterdir()]:
        path.chmod(0o755 if path.is_dir() else 0o644)  # loosened by hand, or by an older version
    result = run_chat(tmp_path, ["/export", "/quit"], "chat")
    assert result.returncode == 0, result.stderr
    assert mode(pdf.parent) == 0o700
    assert {mode(p) for p in pdf.parent.iterdir()} == {0o600}


def test_delete_my_data_removes_the_exports_too(tmp_path: Path) -> None:
    _, pdf = log_and_export(tmp_path)
    folder = pdf.parent
    # a second session: delete, and press "2. Yes, delete everything" (1 is emergency)
    result = run_chat(tmp_path, ["/delete_my_data", "2", "/quit"], "chat")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert f"2. {words('journal.btn_delete_yes')}" in out
    # before the user chooses, they are told the exported files will go too, and where they are
    opening = words("journal.delete_confirm", incidents="").split(":")[
        0
    ]  # "This deletes everything"
    confirm = out[out.index(opening) : out.index(f"2. {words('journal.btn_delete_yes')}")]
    assert said(confirm, "journal.console_exports_warning", folder=folder)
    assert words("journal.deleted") in out
    assert words("journal.console_exports_deleted", folder=folder) in out
    assert not folder.exists()
    assert export_folders(tmp_path) == []
    assert files_holding(tmp_path, WORD) == []
    assert files_holding(tmp_path, b"followed me") == []
    assert out.rstrip().endswith("Goodbye.")  # not "your place is kept": nothing is
    # and the journal is empty: the deletion was real, not only the files
    again = run_chat(tmp_path, ["/incidents", "/quit"], "chat")
    assert said(again.stdout, "journal.list_empty")


def test_log_export_and_delete_in_one_session(tmp_path: Path) -> None:
    result = run_chat(tmp_path, [f"/log {WHAT}", "/export", "/delete_my_data", "2"], "chat")
    assert result.returncode == 0, result.stderr
    assert f"2. {words('journal.btn_delete_yes')}" in result.stdout  # what "2" picked
    assert "Saved to " in result.stdout  # the console's own line for a file it wrote
    assert said(result.stdout, "journal.console_exports_deleted")
    assert export_folders(tmp_path) == []
    assert files_holding(tmp_path, WORD) == []


def test_keeping_the_data_keeps_the_exports(tmp_path: Path) -> None:
    _, pdf = log_and_export(tmp_path)
    before = pdf.read_bytes()
    # "3. No, keep it", then ordinary turns: none of them removes anything
    result = run_chat(tmp_path, ["/delete_my_data", "3", "/menu", "/incidents", "/quit"], "chat")
    assert result.returncode == 0, result.stderr
    assert f"3. {words('journal.btn_delete_no')}" in result.stdout  # what "3" picked
    assert words("journal.delete_kept") in result.stdout
    assert not said(result.stdout, "journal.console_exports_deleted")
    assert pdf.read_bytes() == before
    assert mode(pdf) == 0o600


def test_without_exports_deleting_says_nothing_of_them(tmp_path: Path) -> None:
    result = run_chat(tmp_path, [f"/log {WHAT}", "/delete_my_data", "2", "/quit"], "chat")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert f"2. {words('journal.btn_delete_yes')}" in out  # what "2" picked
    assert words("journal.deleted") in out
    assert not said(out, "journal.console_exports_warning")
    assert not said(out, "journal.console_exports_deleted")
    assert not (tmp_path / "exports").exists()
    assert files_holding(tmp_path, WORD) == []
