"""Incident journal: saves per second, encrypted and committed, beside plain aiosqlite inserts.

"Ours" is `IncidentStore.create`: seal the incident (AES-GCM, context bound to its row), then one
`BEGIN IMMEDIATE` transaction inserting the incident and its first revision, committed with
`synchronous=FULL` in WAL mode before it returns: what the user is told "saved" after.
The baseline, in the same run and on the same disk, inserts the same rows with the same SQL into
a second database file with the same schema and pragmas, unencrypted, through a bare aiosqlite
connection: BEGIN, two INSERTs, COMMIT per incident. A second baseline is the floor: one plain
single-row INSERT committed per incident. Rounds alternate ours/baseline and the median is shown.

Then exports 1,000 incidents (with a correction, a note and a police reference on every tenth)
to PDF and CSV and times it. Not a test: run `python bench/bench_journal.py`.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import secrets
import statistics
import tempfile
import time
from pathlib import Path

import aiosqlite

from bot.app import open_app
from bot.content.catalog import load_catalog
from bot.engine.events import Event
from bot.journal.export import build_export
from bot.settings import PROJECT_ROOT
from bot.store.crypto import Cipher
from bot.store.db import PRAGMAS, Database
from bot.store.incidents import KIND_CORRECTION, KIND_NOTE, KIND_POLICE, IncidentStore

KINDS = ("followed", "call", "message", "email", "post", "social_media", "turned_up", "damage")


def incident_fields(n: int, now: dt.datetime) -> dict:
    return {
        "kind": KINDS[n % len(KINDS)],
        "occurred_at": (now - dt.timedelta(hours=n)).isoformat(),
        "place": f"Outside the Co-op on Hospital Street, Nantwich (entry {n})",
        "description": (
            "He was waiting by the bus shelter when I left work and walked behind me to the "
            f"station. He said 'you can't ignore me forever' twice. Entry {n}. "
        )
        * 2,
        "person": "Tall, grey hooded top, black jeans, white trainers, a deep local accent",
        "vehicle": "Silver Vauxhall Corsa, AB12 CDE",
        "caller_number": "+447700900123",
        "witnesses": "My colleague Sam saw him at the bus shelter",
        "effect": "I was shaking and could not sleep; I now take a taxi home",
        "source": "guided",
    }


async def save_ours(store: IncidentStore, rows: list[dict], now: dt.datetime) -> float:
    user = secrets.token_hex(16)
    start = time.perf_counter()
    for fields in rows:
        await store.create(user, fields, now=now, draft_key=secrets.token_hex(8))
    return time.perf_counter() - start


async def save_plain(conn: aiosqlite.Connection, rows: list[dict], now: dt.datetime) -> float:
    user = secrets.token_hex(16)
    recorded = now.isoformat(timespec="seconds")
    start = time.perf_counter()
    for fields in rows:
        incident_id = secrets.randbits(62) + 1
        body = json.dumps({"fields": fields}, ensure_ascii=False, separators=(",", ":")).encode()
        await conn.execute("BEGIN IMMEDIATE")
        await conn.execute_fetchall(
            "INSERT INTO incidents (id, user_ref, number, recorded_at, draft_key) "
            "VALUES (?, ?, (SELECT COALESCE(MAX(number), 0) + 1 FROM incidents "
            "WHERE user_ref = ?), ?, ?) "
            "ON CONFLICT (user_ref, draft_key) DO NOTHING RETURNING number",
            (incident_id, user, user, recorded, secrets.token_hex(8)),
        )
        await conn.execute(
            "INSERT INTO incident_revisions "
            "(incident_id, user_ref, revision, recorded_at, kind, body) "
            "VALUES (?, ?, 1, ?, 'original', ?)",
            (incident_id, user, recorded, body),
        )
        await conn.execute("COMMIT")
    return time.perf_counter() - start


async def save_floor(conn: aiosqlite.Connection, rows: list[dict]) -> float:
    start = time.perf_counter()
    for fields in rows:
        body = json.dumps(fields, ensure_ascii=False, separators=(",", ":"))
        await conn.execute("INSERT INTO floor (body) VALUES (?)", (body,))  # autocommit
    return time.perf_counter() - start


async def bench_saves(workdir: Path, count: int, rounds: int) -> dict[str, float]:
    now = dt.datetime.now(dt.UTC)
    rows = [incident_fields(n, now) for n in range(count)]
    ours_db = await Database.open(workdir / "ours.db")
    store = IncidentStore(ours_db, Cipher(secrets.token_bytes(32)), workdir)
    plain_db = await Database.open(workdir / "plain.db")  # the same schema and pragmas
    await plain_db.close()
    plain = await aiosqlite.connect(workdir / "plain.db", isolation_level=None)
    for pragma in PRAGMAS:
        await plain.execute(pragma)
    await plain.execute("CREATE TABLE IF NOT EXISTS floor (id INTEGER PRIMARY KEY, body TEXT)")
    await save_ours(store, rows[:200], now)  # warm up both
    await save_plain(plain, rows[:200], now)
    ours_t, plain_t, floor_t = [], [], []
    for _ in range(rounds):
        ours_t.append(await save_ours(store, rows, now))
        plain_t.append(await save_plain(plain, rows, now))
        floor_t.append(await save_floor(plain, rows))
    await plain.close()
    await ours_db.close()
    ours = count / statistics.median(ours_t)
    baseline = count / statistics.median(plain_t)
    floor = count / statistics.median(floor_t)
    return {"ours": ours, "baseline": baseline, "floor": floor}


async def bench_export(workdir: Path, count: int) -> dict[str, float]:
    now = dt.datetime.now(dt.UTC)
    db = await Database.open(workdir / "export.db")
    store = IncidentStore(db, Cipher(secrets.token_bytes(32)), workdir)
    user = secrets.token_hex(16)
    for n in range(count):
        saved = await store.create(user, incident_fields(n, now), now=now)
        if n % 10 == 0:
            await store.add_revision(
                user, saved.id, KIND_CORRECTION, {"fields": {"place": "Crewe station"}}, now=now
            )
            await store.add_revision(
                user, saved.id, KIND_NOTE, {"text": "I rang the helpline"}, now=now
            )
            await store.add_revision(
                user,
                saved.id,
                KIND_POLICE,
                {"reference": f"CC/2026/{n:06d}", "officer": "PC Patel"},
                now=now,
            )
    catalog = load_catalog(PROJECT_ROOT / "content", "cheshire", [])
    start = time.perf_counter()
    incidents = await store.all(user)
    loaded = time.perf_counter()
    integrity = await store.verify(user)
    verified = time.perf_counter()
    export = build_export(catalog, incidents, now, integrity)
    built = time.perf_counter()
    await db.close()
    return {
        "load": loaded - start,
        "verify": verified - loaded,
        "build": built - verified,
        "total": built - start,
        "pdf_bytes": len(export.pdf),
        "csv_bytes": len(export.csv),
    }


async def bench_answer_during_export(workdir: Path, count: int, rounds: int) -> dict[str, float]:
    """How long another person waits for /start: while a long export builds, and with none.

    Ours: the export as /export runs it (worker thread). Baseline: nothing else running.
    For scale, "on the loop" is the build time itself: what everyone would wait if the
    export ran on the event loop.
    """
    from bot.settings import Settings

    app = await open_app(Settings(data_dir=workdir / "app"))
    try:
        now = dt.datetime.now(dt.UTC)
        store = IncidentStore(app.db, app.cipher, app.settings.data_dir)
        exporter = app.engine.store.user_ref("bench:exporter")
        for n in range(count):
            await store.create(exporter, incident_fields(n, now), now=now)

        async def other_waits(user: str) -> float:
            start = time.perf_counter()
            await app.engine.handle(user, Event.from_text("/start"))
            return time.perf_counter() - start

        idle, during, builds = [], [], []
        for n in range(rounds):
            idle.append(await other_waits(f"bench:idle{n}"))
            started = time.perf_counter()
            export = asyncio.create_task(
                app.engine.handle("bench:exporter", Event.from_text("/export"))
            )
            await asyncio.sleep(0.05)  # the export is under way (load done, build started)
            during.append(await other_waits(f"bench:busy{n}"))
            await export
            builds.append(time.perf_counter() - started)
        return {
            "idle": statistics.median(idle),
            "during": statistics.median(during),
            "build": statistics.median(builds),
        }
    finally:
        await app.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2000, help="incidents per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--export", type=int, default=1000, help="incidents to export")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        saves = await bench_saves(Path(tmp), args.count, args.rounds)
        export = await bench_export(Path(tmp), args.export)
        waits = await bench_answer_during_export(Path(tmp), args.export, args.rounds)
    ratio = saves["baseline"] / saves["ours"]
    print(f"incident saves, {args.count} per round, median of {args.rounds} rounds")
    print(f"  ours (sealed, committed, synchronous=FULL): {saves['ours']:8.0f} /s")
    print(f"  baseline (same rows, plain aiosqlite)     : {saves['baseline']:8.0f} /s")
    print(f"  ratio baseline/ours                       : {ratio:8.2f}x  (target <= 1.5x)")
    print(f"  floor (one plain INSERT, autocommit)      : {saves['floor']:8.0f} /s")
    print(f"export of {args.export} incidents")
    print(f"  load and decrypt : {export['load']:6.2f} s")
    print(f"  verify the chain : {export['verify']:6.2f} s")
    print(
        f"  PDF + CSV        : {export['build']:6.2f} s  "
        f"({export['pdf_bytes'] / 1e6:.1f} MB + {export['csv_bytes'] / 1e6:.1f} MB)"
    )
    print(f"  total            : {export['total']:6.2f} s  (target < 3 s)")
    print(f"another person's /start while {args.export} incidents export (median of {args.rounds})")
    print(f"  ours (export in a worker thread) : {waits['during'] * 1000:7.1f} ms")
    print(f"  baseline (no export running)     : {waits['idle'] * 1000:7.1f} ms")
    print(f"  ratio ours/baseline              : {waits['during'] / waits['idle']:7.2f}x")
    print(f"  on the loop it would wait the whole /export: {waits['build'] * 1000:7.1f} ms")


if __name__ == "__main__":
    asyncio.run(main())
