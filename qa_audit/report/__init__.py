"""Report writers. They only read the run's aggregates (RunData); they never recompute."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..run import RunData

FORMATS = ("xlsx", "html", "jsonl", "csv")


def write_reports(out_dir: Path, data: "RunData", formats: set[str], split_by_agent: bool = False) -> None:
    """The human reports (Excel, HTML). Machine outputs are written while the audit streams."""
    # Excel and HTML writers plug in here (issue: coaching reports).
    return None
