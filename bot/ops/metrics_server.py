"""The opt-in operator endpoint: `/metrics` (Prometheus) and `/healthz`, beside the bot.

`safety-bot run --metrics-listen 127.0.0.1:9108` (or SAFETY_BOT_METRICS_LISTEN) serves both from
a small threaded HTTP server in the bot's process, off by default. It runs in its own threads so
a scrape never waits on the event loop, and a stuck event loop still gets an answer (503).

`/healthz` answers 200 when all of these hold, else 503 naming the failed check:
- the event loop runs: a callback posted to it runs within 2 s;
- the database is writable: `BEGIN IMMEDIATE` on its own connection succeeds within 2 s (then
  rolls back: nothing is written);
- the inbox is not stuck: no update has waited in it longer than `STUCK_AFTER_SECONDS`.

The answers carry no data of any user; there is no request log (paths could be anything).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import make_wsgi_app

from bot import metrics
from bot.settings import SettingError, Settings
from bot.store.db import DB_FILE_NAME

LISTEN_ENV = "SAFETY_BOT_METRICS_LISTEN"
CHECK_TIMEOUT_SECONDS = 2.0
STUCK_AFTER_SECONDS = 300  # an update is handled in well under a second; 5 minutes is stuck


def add_metrics_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--metrics-listen",
        metavar="HOST:PORT",
        default=os.environ.get(LISTEN_ENV) or None,
        help=f"serve /metrics (Prometheus) and /healthz here, e.g. 127.0.0.1:9108 (env "
        f"{LISTEN_ENV}; default: off)",
    )


def parse_listen(value: str) -> tuple[str, int]:
    host, sep, port = value.strip().rpartition(":")
    host = host.strip("[]")  # [::1]:9108
    if not sep or not host or not port.isdecimal() or not 0 < int(port) < 65536:
        raise SettingError(
            f"--metrics-listen / {LISTEN_ENV}: '{value}' is not HOST:PORT, e.g. 127.0.0.1:9108"
        )
    return host, int(port)


@dataclass(slots=True)
class Health:
    """What `/healthz` checks; the event loop is the one `metrics.bot_running` recorded."""

    db_path: Path
    stuck_after: float = STUCK_AFTER_SECONDS

    def run(self) -> dict[str, str]:
        """Each check's answer: "ok" or what is wrong."""
        results = {}
        for name, check in (
            ("event_loop", self._event_loop),
            ("database_writable", self._database_writable),
            ("inbox", self._inbox),
        ):
            try:
                problem = check()
            except Exception as exc:  # noqa: BLE001 - a failed check is an answer, not a crash
                problem = type(exc).__name__
            results[name] = problem or "ok"
        return results

    def _event_loop(self) -> str | None:
        loop = metrics.running_loop
        if loop is None:
            return "starting"
        if loop.is_closed():
            return "stopped"
        ran = threading.Event()
        loop.call_soon_threadsafe(ran.set)
        return None if ran.wait(CHECK_TIMEOUT_SECONDS) else "not answering within 2 s"

    def _connect(self) -> sqlite3.Connection:
        if not self.db_path.is_file():
            raise FileNotFoundError(self.db_path)
        return sqlite3.connect(self.db_path, timeout=CHECK_TIMEOUT_SECONDS, isolation_level=None)

    def _database_writable(self) -> str | None:
        conn = self._connect()
        try:
            conn.execute("BEGIN IMMEDIATE")  # takes the write lock; writes nothing
            conn.execute("ROLLBACK")
        except sqlite3.OperationalError as exc:
            return f"cannot write ({exc})"  # SQLite's own words: locked, read-only, disk I/O
        finally:
            conn.close()
        return None

    def _inbox(self) -> str | None:
        conn = self._connect()
        try:
            row = conn.execute("SELECT COUNT(*), MIN(received_at) FROM inbox").fetchone()
        finally:
            conn.close()
        waiting, oldest = int(row[0]), row[1]
        if waiting and oldest is not None and time.time() - oldest > self.stuck_after:
            return f"{waiting} update(s) waiting, the oldest for {int(time.time() - oldest)} s"
        return None


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True


class _Server6(_Server):
    address_family = socket.AF_INET6


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass  # no request log: nothing about who asks, or what


def make_app(health: Health) -> Callable[..., Iterable[bytes]]:
    prometheus = make_wsgi_app(metrics.REGISTRY)

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/metrics":
            return prometheus(environ, start_response)
        if path == "/healthz":
            results = health.run()
            healthy = all(v == "ok" for v in results.values())
            body = json.dumps({"healthy": healthy, "checks": results}).encode()
            status = "200 OK" if healthy else "503 Service Unavailable"
            start_response(status, [("Content-Type", "application/json")])
            return [body]
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"/metrics or /healthz\n"]

    return app


@dataclass(slots=True)
class MetricsEndpoint:
    health: Health
    server: WSGIServer
    thread: threading.Thread

    @property
    def address(self) -> str:
        host, port = self.server.server_address[:2]
        return f"{host.decode() if isinstance(host, bytes) else host}:{port}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def serve_if_asked(args: argparse.Namespace, settings: Settings) -> MetricsEndpoint | None:
    """The endpoint when `--metrics-listen` (or its variable) is given; else nothing."""
    listen = getattr(args, "metrics_listen", None)
    return start_endpoint(listen, settings) if listen else None


def start_endpoint(listen: str, settings: Settings) -> MetricsEndpoint:
    """Serve /metrics and /healthz on `listen` (HOST:PORT) from a daemon thread."""
    host, port = parse_listen(listen)
    health = Health(settings.data_dir / DB_FILE_NAME)
    try:
        kind = _Server6 if ":" in host else _Server
        server = make_server(host, port, make_app(health), kind, handler_class=_QuietHandler)
    except OSError as exc:
        raise SettingError(
            f"--metrics-listen / {LISTEN_ENV}: cannot listen on {listen} ({exc.strerror})"
        ) from exc
    thread = threading.Thread(target=server.serve_forever, name="metrics", daemon=True)
    thread.start()
    return MetricsEndpoint(health, server, thread)
