"""What `safety-bot doctor` found: one line per finding, and the exit code they add up to."""

from __future__ import annotations

from dataclasses import dataclass

OK, WARN, FAIL = "ok", "warn", "FAIL"


@dataclass(frozen=True)
class Finding:
    status: str  # OK, WARN or FAIL
    area: str
    message: str


@dataclass
class Report:
    findings: list[Finding]

    def add(self, status: str, area: str, message: str) -> None:
        self.findings.append(Finding(status, area, message))

    @property
    def failed(self) -> bool:
        return any(f.status == FAIL for f in self.findings)

    @property
    def warned(self) -> bool:
        return any(f.status == WARN for f in self.findings)

    def exit_code(self, strict: bool = False) -> int:
        return 1 if self.failed or (strict and self.warned) else 0

    def render(self) -> str:
        lines = [f"  {f.status:<4}  {f.area:<9} {f.message}" for f in self.findings]
        fails = sum(f.status == FAIL for f in self.findings)
        warns = sum(f.status == WARN for f in self.findings)
        if fails:
            lines.append(f"{fails} problem(s) to fix, {warns} warning(s).")
        elif warns:
            lines.append(f"No problems; {warns} warning(s).")
        else:
            lines.append("All checks passed.")
        return "\n".join(lines)
