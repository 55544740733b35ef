"""Defects found in flow and content files, each naming the file, the line and the step."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    path: Path
    line: int
    message: str
    step: str | None = None

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}"
        if self.step:
            where += f": step '{self.step}'"
        return f"{where}: {self.message}"


class ProjectInvalid(Exception):
    """Raised when flow or content files are broken; the bot must not start on them."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        lines = [str(p) for p in problems]
        super().__init__(
            f"{len(problems)} problem(s) in the flow and content files:\n" + "\n".join(lines)
        )
