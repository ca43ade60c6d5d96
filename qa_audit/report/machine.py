"""Machine-readable outputs, written while results stream in: findings.jsonl,
conversations.csv, rejected.jsonl, and manifest.json at the end."""

from __future__ import annotations

import csv
import json
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

from ..model import ConversationResult, Rejection
from ..rubric.schema import Rubric


def _json_default(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, set):
        return sorted(value)
    return str(value)


def dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, sort_keys=False, default=_json_default)


def csv_safe(value: Any) -> Any:
    """Spreadsheet apps run cells that start with = + - @ (or tab/CR) as formulas: prefix a quote."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


class MachineWriter:
    def __init__(self, out_dir: Path, rubric: Rubric, formats: set[str]):
        self.out_dir = out_dir
        self.rubric = rubric
        self.formats = formats
        self._files: list[IO[str]] = []
        self._findings: IO[str] | None = None
        self._csv: Any = None

    def __enter__(self) -> "MachineWriter":
        # rejected.jsonl is always written: every input record must be accounted for
        self._rejected = self._open("rejected.jsonl")
        if "jsonl" in self.formats:
            self._findings = self._open("findings.jsonl")
        if "csv" in self.formats:
            fh = self._open("conversations.csv", newline="")
            self._csv = csv.writer(fh)
            self._csv.writerow(["id", "agent", "language", "channel", "started_at", "messages", "score",
                                "auto_failed", *[c.id for c in self.rubric.criteria], "source"])
        return self

    def _open(self, name: str, newline: str | None = None) -> IO[str]:
        fh = (self.out_dir / name).open("w", encoding="utf-8", newline=newline)
        self._files.append(fh)
        return fh

    def __exit__(self, *exc: object) -> None:
        for fh in self._files:
            fh.close()

    def rejection(self, rejection: Rejection) -> None:
        self._rejected.write(dumps(rejection.to_dict()) + "\n")

    def result(self, result: ConversationResult, summary: Any) -> None:
        if self._findings is not None:
            for f in result.findings:
                row = f.to_dict()
                row["agent"] = result.conversation.agent
                row["language"] = result.language
                self._findings.write(dumps(row) + "\n")
        if self._csv is not None:
            outcomes = {c.criterion: c.outcome for c in result.criteria}
            self._csv.writerow([csv_safe(v) for v in (
                summary.id, summary.agent, summary.language, summary.channel,
                summary.started_at.isoformat() if summary.started_at else "", summary.messages,
                "" if summary.score is None else summary.score, str(summary.auto_failed).lower(),
                *[outcomes.get(c.id, "") for c in self.rubric.criteria], summary.source)])

    @staticmethod
    def write_manifest(out_dir: Path, manifest: dict[str, Any]) -> None:
        (out_dir / "manifest.json").write_text(
            json.dumps(manifest, ensure_ascii=False, indent=2, default=_json_default) + "\n", encoding="utf-8")
