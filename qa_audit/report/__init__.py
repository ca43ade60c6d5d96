"""Report writers. They only read the run's aggregates (RunData → Aggregates); they never recompute."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..run import RunData

FORMATS = ("xlsx", "html", "jsonl", "csv")


def write_reports(out_dir: Path, data: "RunData", formats: set[str], split_by_agent: bool = False) -> list[Path]:
    """The human reports (Excel, HTML), from aggregates computed once. Machine outputs are
    written while the audit streams. Returns the files written."""
    if not {"xlsx", "html"} & set(formats):
        return []
    from ..aggregate import aggregate

    # Per-agent files of an earlier run into the same folder must not survive: a coach could
    # hand an agent a stale page, or one of a colleague who is no longer in this run.
    agents_dir = out_dir / "agents"
    if agents_dir.is_dir():
        for old in agents_dir.iterdir():
            if old.is_file() and old.suffix in (".html", ".xlsx"):
                old.unlink()

    agg = aggregate(data)
    written: list[Path] = []
    if "xlsx" in formats:
        from .excel import write_excel
        written += write_excel(out_dir, agg, split_by_agent=split_by_agent)
    if "html" in formats:
        from .html import write_html
        written += write_html(out_dir, agg)
    return written
