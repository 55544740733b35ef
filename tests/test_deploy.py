"""deploy/: the files parse and hold the hardening they promise, every setting is documented, and
the exact command lines the Dockerfile and the systemd unit run start the bot against the fake
Bot API and answer a message.

Docker does not run here, so images are not built: the Dockerfile's ENTRYPOINT + CMD and ENV
are run as they are, with only the image's paths (/app, /data) mapped to this checkout and a
temp dir. The same for the unit's ExecStartPre/ExecStart/Environment (/opt/safety-bot,
/var/lib/safety-bot). `systemd-analyze verify` checks the unit where it is installed; where it
is not, the test says so and checks the unit's keys by parsing only.
"""

from __future__ import annotations

import asyncio
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bot.settings import PROJECT_ROOT
from bot.store.crypto import encode_key
from tests.telegram_harness import project_env, running_api

DEPLOY = PROJECT_ROOT / "deploy"
VENV_BIN = Path(sys.executable).parent


# -- Dockerfile --------------------------------------------------------------------------------
def dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    joined, buf = [], ""
    for raw in (DEPLOY / "Dockerfile").read_text().splitlines():
        line = raw.strip()
        if not buf and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):
            continue
        if line.endswith("\\"):
            buf += line[:-1] + " "
            continue
        joined.append(buf + line)
        buf = ""
    out = []
    for line in joined:
        word, _, rest = line.partition(" ")
        out.append((word.upper(), rest.strip()))
    return out


def docker_words(args: str) -> list[str]:
    args = args.strip()
    if args.startswith("["):
        return list(yaml.safe_load(args))  # exec form is a JSON array
    return shlex.split(args)


def docker_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for inst, args in dockerfile():
        if inst == "ENV":
            for pair in shlex.split(args):
                key, _, value = pair.partition("=")
                env[key] = value
    return env


def docker_command() -> list[str]:
    found = dict(dockerfile())
    return docker_words(found.get("ENTRYPOINT", "[]")) + docker_words(found.get("CMD", "[]"))


def test_dockerfile() -> None:
    instructions = dockerfile()
    kinds = [i for i, _ in instructions]
    froms = [a for i, a in instructions if i == "FROM"]
    assert len(froms) == 1 and re.match(r"python:3\.11-slim", froms[0]), froms
    users = [a for i, a in instructions if i == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    assert kinds.index("USER") > max(i for i, k in enumerate(kinds) if k == "RUN")
    volumes = [docker_words(a) for i, a in instructions if i == "VOLUME"]
    assert ["/data"] in volumes
    run = " ".join(a for i, a in instructions if i == "RUN")
    assert "install -d -m 0700 -o safetybot -g safetybot /data" in run  # the volume starts private
    health = next(a for i, a in instructions if i == "HEALTHCHECK")
    assert docker_words(health.split("CMD", 1)[1]) == ["safety-bot", "doctor", "--quick"]
    assert docker_command() == ["safety-bot", "run"]
    env = docker_env()
    assert env["SAFETY_BOT_DATA_DIR"] == "/data"
    for inst, args in instructions:  # everything copied into the image exists in the repo
        if inst == "COPY":
            for src in shlex.split(args)[:-1]:
                assert (PROJECT_ROOT / src).exists(), src
    # dependencies only from the lock, hashes checked; the bot itself adds nothing unpinned
    installs = [a for i, a in instructions if i == "RUN" and "pip install" in a]
    assert "pip install --require-hashes -r deploy/requirements.lock" in installs[0]
    assert "pip install --no-deps --no-build-isolation ." in installs[1]
    assert len(installs) == 2
    copied = {src for i, a in instructions if i == "COPY" for src in shlex.split(a)[:-1]}
    assert {"flows", "content", "setup.py", "MANIFEST.in"} <= copied  # the wheel's defaults
    assert "SAFETY_BOT_FLOWS_DIR" not in env  # the packaged defaults serve unless a force sets it
    ignore = (DEPLOY / "Dockerfile.dockerignore").read_text().split()
    for secret in ("**/*.key", "**/.env", "**/*.db", "data/", "**/.venv"):
        assert secret in ignore, f"{secret} could end up in the image"


# -- compose -----------------------------------------------------------------------------------
def compose(name: str) -> dict:
    return yaml.safe_load((DEPLOY / name).read_text())


def check_hardened_service(service: dict) -> None:
    assert service["read_only"] is True
    assert service["cap_drop"] == ["ALL"]
    assert "no-new-privileges:true" in service["security_opt"]
    assert "data:/data" in service["volumes"]
    assert service["restart"] == "unless-stopped"
    assert service["env_file"][0]["path"] == ".env"
    build = service["build"]
    assert (DEPLOY / build["context"] / build["dockerfile"]).resolve() == DEPLOY / "Dockerfile"
    check_key_and_backups_apart(service)


def check_key_and_backups_apart(service: dict) -> None:
    """The key comes from a secret, not the data volume; backups have their own volume."""
    assert service["secrets"] == ["safety_bot_key"]
    assert service["environment"]["SAFETY_BOT_KEY_FILE"] == "/run/secrets/safety_bot_key"
    assert service["environment"]["SAFETY_BOT_ENV"] == "production"
    assert "backups:/backups" in service["volumes"]


def test_compose_polling() -> None:
    doc = compose("compose.yaml")
    bot = doc["services"]["bot"]
    check_hardened_service(bot)
    assert "ports" not in bot and "expose" not in bot  # polling listens on nothing
    assert bot["command"] == ["run"]
    assert "data" in doc["volumes"] and "backups" in doc["volumes"]
    assert doc["secrets"]["safety_bot_key"] == {"file": "./secrets/safety-bot.key"}


def test_compose_webhook_behind_proxy() -> None:
    doc = compose("compose.webhook.yaml")
    bot, proxy = doc["services"]["bot"], doc["services"]["proxy"]
    check_hardened_service(bot)
    assert "ports" not in bot  # only the proxy is reachable from outside
    command = bot["command"]
    assert command[0] == "run" and "--webhook-url" in command
    assert command[command.index("--listen") + 1] == "0.0.0.0"
    port = command[command.index("--port") + 1]
    assert bot["expose"] == [port]
    assert "443:443" in proxy["ports"]
    assert "./Caddyfile:/etc/caddy/Caddyfile:ro" in proxy["volumes"]
    caddy = (DEPLOY / "Caddyfile").read_text()
    assert f"reverse_proxy bot:{port}" in caddy
    assert "{$BOT_DOMAIN}" in caddy and "path {$WEBHOOK_PATH}" in caddy
    assert caddy.count("{") == caddy.count("}")
    for name in ("TELEGRAM_WEBHOOK_URL", "BOT_DOMAIN", "WEBHOOK_PATH"):
        assert name in (DEPLOY / "compose.webhook.yaml").read_text()


# -- systemd -----------------------------------------------------------------------------------
def unit() -> dict[str, list[tuple[str, str]]]:
    sections: dict[str, list[tuple[str, str]]] = {}
    current = None
    for raw in (DEPLOY / "safety-bot.service").read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            current = line.strip("[]")
            sections[current] = []
            continue
        key, sep, value = line.partition("=")
        assert sep and current, f"not a key=value line: {raw}"
        sections[current].append((key.strip(), value.strip()))
    return sections


def unit_values(section: str, key: str) -> list[str]:
    return [v for k, v in unit()[section] if k == key]


def map_unit_paths(text: str, data_dir: Path, credentials: Path | None = None) -> str:
    """The unit's paths mapped to this checkout; `%d` (systemd's credentials folder) too."""
    if credentials is not None:
        text = text.replace("%d", str(credentials))
    return (
        text.replace("/opt/safety-bot/venv/bin", str(VENV_BIN))
        .replace("/var/lib/safety-bot", str(data_dir))
        .replace("/opt/safety-bot", str(PROJECT_ROOT))
    )


def unit_command(key: str, data_dir: Path) -> list[str]:
    argv = shlex.split(map_unit_paths(unit_values("Service", key)[0], data_dir))
    assert Path(argv[0]).exists(), argv
    return argv


def test_systemd_unit(tmp_path: Path) -> None:
    sections = unit()
    assert set(sections) == {"Unit", "Service", "Install"}
    service = dict(sections["Service"])
    required = {
        "DynamicUser": "yes",
        "StateDirectory": "safety-bot",
        "StateDirectoryMode": "0700",
        "UMask": "0077",
        "ProtectSystem": "strict",
        "ProtectHome": "yes",
        "NoNewPrivileges": "yes",
        "PrivateTmp": "yes",
        "PrivateDevices": "yes",
        "RestrictSUIDSGID": "yes",
        "CapabilityBoundingSet": "",
        "Type": "exec",
        "Restart": "on-failure",
    }
    for key, value in required.items():
        assert service.get(key) == value, (
            f"[Service] {key}={value} expected, got {service.get(key)}"
        )
    assert unit_values("Service", "Environment") == [
        "SAFETY_BOT_DATA_DIR=/var/lib/safety-bot",
        "SAFETY_BOT_FLOWS_DIR=/opt/safety-bot/flows",
        "SAFETY_BOT_CONTENT_DIR=/opt/safety-bot/content",
        "SAFETY_BOT_KEY_FILE=%d/safety-bot.key",  # the key, apart from the data
        "SAFETY_BOT_ENV=production",
    ]
    assert unit_values("Service", "LoadCredential") == ["safety-bot.key:/etc/safety-bot/secret.key"]
    assert service["ExecStart"].endswith("/safety-bot run")
    assert service["ExecStartPre"].endswith("/safety-bot doctor --quick")
    assert service["EnvironmentFile"] == "/etc/safety-bot/env"
    assert unit_values("Install", "WantedBy") == ["multi-user.target"]


def test_systemd_unit_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:  # test_systemd_unit checked the keys by parsing; this needs systemd's tool
        pytest.skip("systemd-analyze is not installed: `systemd-analyze verify` not run")
    # verify the unit as written, with its install prefix mapped to this checkout (verify checks
    # that ExecStart's program exists)
    copy = tmp_path / "safety-bot.service"
    copy.write_text(map_unit_paths((DEPLOY / "safety-bot.service").read_text(), tmp_path))
    done = subprocess.run(
        [analyze, "verify", str(copy)], capture_output=True, text=True, timeout=120, check=False
    )
    about_unit = [ln for ln in (done.stdout + done.stderr).splitlines() if copy.name in ln]
    assert done.returncode == 0 and not about_unit, done.stdout + done.stderr
    print(f"systemd-analyze verify: passed ({analyze})")


# -- settings ----------------------------------------------------------------------------------
def test_env_example_documents_every_setting() -> None:
    text = (DEPLOY / ".env.example").read_text()
    lines = text.splitlines()
    documented: dict[str, int] = {}
    for n, line in enumerate(lines):
        m = re.match(r"^#?([A-Z][A-Z0-9_]+)=", line)
        if m:
            documented[m.group(1)] = n
    used = set()
    for path in (PROJECT_ROOT / "bot").rglob("*.py"):
        used |= set(re.findall(r"\b((?:SAFETY_BOT|TELEGRAM)_[A-Z0-9_]+)\b", path.read_text()))
    compose_vars = set(re.findall(r"\$\{([A-Z_]+)", (DEPLOY / "compose.webhook.yaml").read_text()))
    needed = used | compose_vars
    assert {"TELEGRAM_BOT_TOKEN", "SAFETY_BOT_KEY", "SAFETY_BOT_DATA_DIR"} <= needed
    missing = needed - set(documented)
    assert not missing, f"settings used but not in deploy/.env.example: {sorted(missing)}"
    for name, n in documented.items():  # each under a comment (a group may share one)
        above = n - 1
        while above >= 0 and re.match(r"^#?[A-Z][A-Z0-9_]+=", lines[above]):
            above -= 1
        assert above >= 0 and lines[above].startswith("# "), f"{name} has no comment above it"
    # secrets are empty in the example
    assert re.search(r"^TELEGRAM_BOT_TOKEN=$", text, re.M)
    assert re.search(r"^#SAFETY_BOT_KEY=$", text, re.M)


def test_readme_covers_the_operator_topics() -> None:
    text = (DEPLOY / "README.md").read_text()
    for heading in (
        "## Polling or webhook?",
        "## Where the data and the key live, and why they are backed up separately",
        "## Backups while the bot runs",
        "## Restoring",
        "## Rotating the encryption key",
        "## Upgrading",
    ):
        assert heading in text
    assert "migrations run automatically at start-up" in text.lower()
    for name in os.listdir(DEPLOY):
        if name not in ("README.md", "Dockerfile.dockerignore", "__pycache__"):
            assert name in text, f"deploy/README.md does not mention {name}"


# -- the real command lines against the fake Bot API -------------------------------------------
async def start_and_answer(
    argv: list[str], env: dict[str, str], pre: list[str] | None = None
) -> None:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "SAFETY_BOT_"))}
    base["PATH"] = f"{VENV_BIN}{os.pathsep}{base.get('PATH', '')}"
    async with running_api() as api:
        full = {**base, **env, "TELEGRAM_BOT_TOKEN": api.token, "TELEGRAM_API_ROOT": api.root}
        if pre is not None:
            done = await asyncio.create_subprocess_exec(
                *pre, env=full, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
            )
            out, _ = await done.communicate()
            assert done.returncode == 0, out.decode()
        log = Path(env["SAFETY_BOT_DATA_DIR"]).parent / "bot.log"
        with log.open("wb") as handle:  # noqa: ASYNC230 - a local file for the child's output
            proc = await asyncio.create_subprocess_exec(
                *argv, env=full, stdout=handle, stderr=handle, cwd="/"
            )
            try:
                await api.wait_for(
                    lambda: api.calls_of("setMyCommands") or proc.returncode is not None,
                    within=60,
                    what="the bot to start",
                )
                assert proc.returncode is None, log.read_text()
                await api.send_text(4242, "/start")
                sent = await api.wait_for(
                    lambda: api.calls_of("sendMessage", 4242), within=60, what="an answer"
                )
                assert sent[0].params.get("text"), "an empty answer"
            finally:
                if proc.returncode is None:
                    proc.send_signal(signal.SIGTERM)
                    try:
                        await asyncio.wait_for(proc.wait(), 30)
                    except TimeoutError:
                        proc.kill()
                        await proc.wait()
        assert proc.returncode == 0, log.read_text()
        assert api.token not in log.read_text()


def with_project(env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    """While the real flows are mid-change elsewhere, the harness's valid copy (else as is)."""
    return {**env, **project_env(tmp_path)}


async def test_docker_command_line_answers_a_message(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    env = {
        k: v.replace("/app", str(PROJECT_ROOT)).replace("/data", str(data))
        for k, v in docker_env().items()
        if k.startswith("SAFETY_BOT_")
    }
    argv = docker_command()
    assert argv[0] == "safety-bot"
    argv[0] = str(VENV_BIN / "safety-bot")  # the console script `pip install .` puts on PATH
    await start_and_answer(argv, with_project(env, tmp_path))
    assert (data / "secret.key").exists() and (data / "safety-bot.db").exists()


async def test_systemd_command_line_answers_a_message(tmp_path: Path) -> None:
    data = tmp_path / "state"
    data.mkdir(mode=0o700)  # StateDirectoryMode=0700
    credentials = tmp_path / "credentials"  # what LoadCredential= makes: a private copy
    credentials.mkdir(mode=0o700)
    (name, _, source) = unit_values("Service", "LoadCredential")[0].partition(":")
    assert source == "/etc/safety-bot/secret.key"
    key = credentials / name
    key.write_text(encode_key(os.urandom(32)) + "\n")
    key.chmod(0o400)
    env = dict(
        map_unit_paths(v, data, credentials).split("=", 1)
        for v in unit_values("Service", "Environment")
    )
    pre = unit_command("ExecStartPre", data)
    argv = unit_command("ExecStart", data)
    await start_and_answer(argv, with_project(env, tmp_path), pre=pre)
    assert (data / "safety-bot.db").exists()
    assert not (data / "secret.key").exists()  # the key stays apart from the data


@pytest.mark.parametrize("name", ["compose.yaml", "compose.webhook.yaml"])
def test_compose_files_parse(name: str) -> None:
    doc = compose(name)
    assert doc["name"].startswith("safety-bot") and "bot" in doc["services"]
