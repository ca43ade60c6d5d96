"""qa-report.xlsx: the team workbook (and, with --split-by-agent, one workbook per agent).

Reads an `Aggregates` only. Written with openpyxl in write-only (streaming) mode, so a million
findings do not need a million cell objects in memory.

Safety: every string goes through `excel_text` — characters Excel rejects are removed, text
that Excel would run as a formula (leading = + - @ tab CR) gets a leading apostrophe, and
cells over Excel's 32,767-character limit are cut with a visible marker. String cells are
always written with the string type, never as formulas.
"""

from __future__ import annotations

import math
from copy import copy
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.chart import BarChart, Reference
from openpyxl.formatting.rule import CellIsRule, ColorScaleRule, DataBarRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from ..aggregate import Aggregates, check_label

EXCEL_MAX_ROWS = 1_048_576  # rows per worksheet, header included
EXCEL_MAX_CHARS = 32_767  # characters per cell
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
CONTEXT_CHARS = 120  # characters of the message shown on each side of the evidence
PREVIOUS_CHARS = 1_000  # characters of the previous message

HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="2F4858")
HEADER_ALIGN = Alignment(vertical="top", wrap_text=True)
WRAP = Alignment(vertical="top", wrap_text=True)
TOP = Alignment(vertical="top")
BOLD = Font(bold=True)
RED_FILL = PatternFill("solid", fgColor="F8CBAD")
RED_FONT = Font(color="9C0006")
DATETIME_FMT = "yyyy-mm-dd hh:mm"
DATE_FMT = "yyyy-mm-dd"
SCORE_FMT = "0.0"
RATE_FMT = "0%"


def excel_text(value: Any, limit: int = EXCEL_MAX_CHARS) -> str:
    """The one sanitizer for every string cell."""
    text = ILLEGAL_CHARACTERS_RE.sub("", str(value))
    if text[:1] in FORMULA_TRIGGERS:
        text = "'" + text  # shown as text in Excel and in any later CSV export
    if len(text) > limit:
        marker = f" … [truncated: {len(text):,} characters]"
        text = text[: limit - len(marker)] + marker
    return text


def plain(value: Any) -> Any:
    """pandas/numpy values as plain Python values Excel understands; None for missing."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return None if pd.isna(value) else value.to_pydatetime().replace(tzinfo=None)
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):  # numpy scalars
        try:
            value = value.item()
        except (ValueError, AttributeError):
            pass
        if isinstance(value, float) and math.isnan(value):
            return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    return value


@dataclass
class Col:
    header: str
    get: str | Callable[[dict[str, Any]], Any]
    width: float = 14
    fmt: str | None = None
    wrap: bool = False


def _style(ws: Any, number_format: str | None, wrap: bool) -> Any:
    """A cached style array per (number format, wrap) and workbook: assigning Font/Alignment
    objects cell by cell is the slow part of openpyxl."""
    cache = ws.parent.__dict__.setdefault("_qa_styles", {})
    key = (number_format or "General", wrap)
    if key not in cache:
        probe = WriteOnlyCell(ws)
        probe.number_format = key[0]
        probe.alignment = WRAP if wrap else TOP
        cache[key] = probe._style
    return copy(cache[key])


def _cell(ws: Any, value: Any, col: Col | None = None) -> Any:
    value = plain(value)
    if isinstance(value, bool):
        value = "yes" if value else "no"
    fmt = None
    if isinstance(value, str):
        cell = WriteOnlyCell(ws, value=excel_text(value))
        cell.data_type = "s"  # never a formula or an error value, whatever the text looks like
    else:
        cell = WriteOnlyCell(ws, value=value)
        if isinstance(value, datetime):
            fmt = DATETIME_FMT
        elif isinstance(value, date):
            fmt = DATE_FMT
        if col is not None and col.fmt and value is not None:
            fmt = col.fmt
    cell._style = _style(ws, fmt, bool(col and col.wrap))
    return cell


def _header(ws: Any, cols: list[Col]) -> list[Any]:
    row = []
    for col in cols:
        cell = WriteOnlyCell(ws, value=excel_text(col.header))
        cell.data_type = "s"
        cell.font, cell.fill, cell.alignment = HEADER_FONT, HEADER_FILL, HEADER_ALIGN
        row.append(cell)
    return row


def _new_sheet(wb: Workbook, title: str, cols: list[Col], print_title: str, landscape: bool = True) -> Any:
    ws = wb.create_sheet(title)
    for i, col in enumerate(cols, start=1):
        ws.column_dimensions[get_column_letter(i)].width = col.width
    ws.freeze_panes = "B2" if len(cols) > 3 else "A2"
    ws.print_title_rows = "1:1"
    ws.oddHeader.center.text = excel_text(print_title, 200).replace("&", "&&")
    ws.oddFooter.center.text = "Page &P of &N"
    if landscape:
        ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    return ws


def _value(rec: dict[str, Any], col: Col) -> Any:
    return col.get(rec) if callable(col.get) else rec.get(col.get)


def write_table(wb: Workbook, title: str, cols: list[Col], records: Iterable[dict[str, Any]], print_title: str,
                max_rows: int = EXCEL_MAX_ROWS, total: int | None = None,
                setup: Callable[[Any, int], None] | None = None) -> list[tuple[str, int]]:
    """Write records as a table (header in row 1, autofilter, frozen header). Rows beyond
    max_rows go on continuation sheets 'Title (2)', 'Title (3)', … Returns (sheet, rows)."""
    per_sheet = max(1, max_rows - 1)
    written: list[tuple[str, int]] = []
    ws, n, part = None, 0, 1

    def close() -> None:
        if ws is None:
            return
        last = get_column_letter(len(cols))
        ws.auto_filter.ref = f"A1:{last}{n + 1}"
        if setup:
            setup(ws, n)
        written.append((ws.title, n))

    for rec in records:
        if ws is None or n == per_sheet:
            close()
            ws = _new_sheet(wb, title if part == 1 else f"{title} ({part})", cols, print_title)
            ws.append(_header(ws, cols))
            part, n = part + 1, 0
        ws.append([_cell(ws, _value(rec, c), c) for c in cols])
        n += 1
    if ws is None:  # an empty table still gets its sheet and header
        ws = _new_sheet(wb, title, cols, print_title)
        ws.append(_header(ws, cols))
    close()
    return written


def _records(df: pd.DataFrame) -> Iterator[dict[str, Any]]:
    columns = list(df.columns)
    for values in df.itertuples(index=False, name=None):
        yield dict(zip(columns, values))


def _in_context(rec: dict[str, Any]) -> str:
    if not rec.get("span"):
        return rec.get("message_text") or rec.get("evidence") or ""
    before, after = rec["before_text"], rec["after_text"]
    if len(before) > CONTEXT_CHARS:
        before = "…" + before[-CONTEXT_CHARS:]
    if len(after) > CONTEXT_CHARS:
        after = after[:CONTEXT_CHARS] + "…"
    return f"{before}«{rec['evidence']}»{after}"


def _previous(rec: dict[str, Any]) -> str:
    text = rec.get("previous_text") or ""
    return text if len(text) <= PREVIOUS_CHARS else text[:PREVIOUS_CHARS] + "…"


# ----- sheets --------------------------------------------------------------------------------
def _score_scale(low: float, mid: float, high: float) -> ColorScaleRule:
    return ColorScaleRule(start_type="num", start_value=low, start_color="F8696B",
                          mid_type="num", mid_value=mid, mid_color="FFEB84",
                          end_type="num", end_value=high, end_color="63BE7B")


def summary_columns(agg: Aggregates) -> list[Col]:
    cols = [
        Col("Agent", "agent", 24),
        Col("Conversations", "conversations", 14),
        Col("Scored", "scored", 9),
        Col("Mean score", "mean_score", 11, SCORE_FMT),
        Col("Lowest score", "min_score", 11, SCORE_FMT),
        Col("Auto-fails", "auto_fails", 10),
        Col("Findings", "findings", 10),
        Col("Strengths (positive findings)", "positive", 14),
        Col("To improve (negative findings)", "negative", 14),
        Col("First conversation", "first", 17, DATETIME_FMT),
        Col("Last conversation", "last", 17, DATETIME_FMT),
        Col("Languages", "languages", 10),
        Col("Channels", "channels", 16),
    ]
    cols += [Col(f"Pass rate: {c.name}", f"pass_rate.{c.id}", 16, RATE_FMT) for c in agg.criteria]
    cols += [Col(f"Count: {check_label(k)}", f"count.{k}", 14) for k in agg.checks]
    return cols


def _summary(wb: Workbook, agg: Aggregates, max_rows: int) -> None:
    cols = summary_columns(agg)
    idx = {c.header: i for i, c in enumerate(cols, start=1)}
    n_agents = len(agg.agents)

    def setup(ws: Any, n: int) -> None:
        if n == 0:
            return
        last = n + 1
        letter = lambda header: get_column_letter(idx[header])  # noqa: E731
        for header in ("Mean score", "Lowest score"):
            ws.conditional_formatting.add(f"{letter(header)}2:{letter(header)}{last}", _score_scale(0, 70, 100))
        first_rate = idx[f"Pass rate: {agg.criteria[0].name}"] if agg.criteria else None
        if first_rate:
            rng = f"{get_column_letter(first_rate)}2:{get_column_letter(first_rate + len(agg.criteria) - 1)}{last}"
            ws.conditional_formatting.add(rng, _score_scale(0, 0.7, 1))
        ws.conditional_formatting.add(f"{letter('Auto-fails')}2:{letter('Auto-fails')}{last}",
                                      CellIsRule(operator="greaterThan", formula=["0"], fill=RED_FILL, font=RED_FONT))
        ws.conditional_formatting.add(
            f"{letter('To improve (negative findings)')}2:{letter('To improve (negative findings)')}{last}",
            DataBarRule(start_type="num", start_value=0, end_type="max", color="E06666"))
        ws.conditional_formatting.add(
            f"{letter('Strengths (positive findings)')}2:{letter('Strengths (positive findings)')}{last}",
            DataBarRule(start_type="num", start_value=0, end_type="max", color="6AA84F"))
        chart = BarChart()
        chart.type = "bar"
        chart.style = 10
        chart.title = "Mean score per agent"
        chart.y_axis.title = "Mean score (0–100)"
        chart.y_axis.scaling.min = 0
        chart.y_axis.scaling.max = 100
        chart.y_axis.majorGridlines = None
        chart.x_axis.scaling.orientation = "maxMin"  # first agent on top, like the table
        chart.y_axis.delete = False
        chart.x_axis.delete = False
        chart.legend = None
        col = idx["Mean score"]
        chart.add_data(Reference(ws, min_col=col, min_row=1, max_row=last), titles_from_data=True)
        chart.set_categories(Reference(ws, min_col=1, min_row=2, max_row=last))
        chart.height = max(7.5, 0.7 * n + 3)
        chart.width = 20
        ws.add_chart(chart, f"B{last + 4 if not agg.scope else last + 3}")

    records = list(_records(agg.agents))
    write_table(wb, "Summary", cols, records, agg.title, max_rows=max_rows, setup=setup)
    ws = wb["Summary"]
    if not agg.scope and n_agents:
        t = agg.team
        team = {"agent": "Team (all agents)", "conversations": t["conversations"],
                "scored": int(agg.conversations["score"].notna().sum()), "mean_score": t["mean_score"],
                "min_score": agg.conversations["score"].min(), "auto_fails": t["auto_fails"],
                "findings": t["findings"], "positive": t["positive"], "negative": t["negative"],
                "first": agg.agents["first"].min(), "last": agg.agents["last"].max(),
                "languages": ", ".join(sorted(set(agg.conversations["language"].dropna()))),
                "channels": ", ".join(sorted(set(agg.conversations["channel"].dropna())))}
        for c in agg.criteria:
            team[f"pass_rate.{c.id}"] = t["pass_rates"][c.id]
        for k in agg.checks:
            team[f"count.{k}"] = int(agg.checks_table.set_index("check").loc[k, "findings"])
        ws.append([])
        row = [_cell(ws, _value(team, c), c) for c in cols]
        for cell in row:
            cell.font = BOLD
        ws.append(row)


def _criteria(wb: Workbook, agg: Aggregates, max_rows: int) -> None:
    crit = agg.agent_criteria
    rows: list[dict[str, Any]] = []
    for agent in agg.agent_names:
        g = crit[crit["agent"] == agent].set_index("criterion")
        rec: dict[str, Any] = {"agent": agent,
                               "conversations": int(agg.agents.loc[agg.agents["agent"] == agent, "conversations"].iloc[0])}
        for c in agg.criteria:
            rec[f"rate.{c.id}"] = g.loc[c.id, "pass_rate"] if c.id in g.index else None
            rec[f"applicable.{c.id}"] = int(g.loc[c.id, "passed"] + g.loc[c.id, "failed"]) if c.id in g.index else 0
            rec[f"failed.{c.id}"] = int(g.loc[c.id, "failed"]) if c.id in g.index else 0
        rows.append(rec)
    cols = [Col("Agent", "agent", 24), Col("Conversations", "conversations", 14)]
    cols += [Col(f"{c.name} (pass rate)", f"rate.{c.id}", 16, RATE_FMT) for c in agg.criteria]
    cols += [Col(f"{c.name}: applicable", f"applicable.{c.id}", 14) for c in agg.criteria]
    cols += [Col(f"{c.name}: failed", f"failed.{c.id}", 12) for c in agg.criteria]
    k = len(agg.criteria)

    def setup(ws: Any, n: int) -> None:
        if n and k:
            rng = f"C2:{get_column_letter(2 + k)}{n + 1}"
            ws.conditional_formatting.add(rng, _score_scale(0, 0.7, 1))

    write_table(wb, "Criteria", cols, rows, agg.title, max_rows=max_rows, setup=setup)
    if not agg.scope and rows:
        ws = wb["Criteria"]
        team: dict[str, Any] = {"agent": "Team (all agents)", "conversations": agg.team["conversations"]}
        tc = agg.agent_criteria.groupby("criterion")[["passed", "failed"]].sum()
        for c in agg.criteria:
            team[f"rate.{c.id}"] = agg.team["pass_rates"][c.id]
            team[f"applicable.{c.id}"] = int(tc.loc[c.id].sum()) if c.id in tc.index else 0
            team[f"failed.{c.id}"] = int(tc.loc[c.id, "failed"]) if c.id in tc.index else 0
        ws.append([])
        row = [_cell(ws, _value(team, c), c) for c in cols]
        for cell in row:
            cell.font = BOLD
        ws.append(row)


FINDINGS_COLUMNS = [
    Col("Conversation", "conversation_id", 16),
    Col("Date", "started_at", 17, DATETIME_FMT),
    Col("Agent", "agent", 20),
    Col("Channel", "channel", 9),
    Col("Language", "language", 9),
    Col("Message", "message_index", 9),
    Col("Check", "check", 18),
    Col("Rule", "rule", 26),
    Col("Polarity", "polarity", 10),
    Col("Severity", "severity", 9),
    Col("Evidence", "evidence", 40, wrap=True),
    Col("Evidence in context", _in_context, 60, wrap=True),
    Col("Previous message", _previous, 50, wrap=True),
    Col("Suggestion", "suggestion", 50, wrap=True),
    Col("Time expression", "time_expression", 16),
    Col("Due date", "due_date", 12, DATE_FMT),
    Col("Overlap (s)", "overlap_seconds", 10, "0.0"),
    Col("Customer upset because", "upset_because", 30, wrap=True),
    Col("Details", "details_text", 40),
]

PROMISES_COLUMNS = [
    Col("Due date", "due_date", 12, DATE_FMT),
    Col("Time expression", "time_expression", 18),
    Col("Type", "check_label", 18),
    Col("Agent", "agent", 20),
    Col("Conversation", "conversation_id", 16),
    Col("Conversation date", "started_at", 17, DATETIME_FMT),
    Col("Promised at", "message_timestamp", 17, DATETIME_FMT),
    Col("Channel", "channel", 9),
    Col("Language", "language", 9),
    Col("Message", "message_index", 9),
    Col("Commitment", "commitment", 22),
    Col("Promise", "evidence", 60, wrap=True),
    Col("Suggestion", "suggestion", 50, wrap=True),
]

REVIEW_COLUMNS = [
    Col("Agent", "agent", 20),
    Col("Conversation", "conversation_id", 16),
    Col("Date", "started_at", 17, DATETIME_FMT),
    Col("Channel", "channel", 9),
    Col("Language", "language", 9),
    Col("Score", "score", 8, SCORE_FMT),
    Col("Auto-failed", "auto_failed", 11),
    Col("Why review", "reason", 50, wrap=True),
    Col("Failed criteria", "failed_criteria", 60, wrap=True),
]

REJECTED_COLUMNS = [
    Col("File", "file", 50),
    Col("Position", "position", 14),
    Col("Record id", "id", 18),
    Col("Reason", "reason", 80, wrap=True),
]

RUN_INFO_COLUMNS = [Col("Section", 0, 20), Col("Item", 1, 30), Col("Value", 2, 80, wrap=True)]


def write_workbook(path: Path, agg: Aggregates, max_rows: int = EXCEL_MAX_ROWS) -> dict[str, int]:
    """Write one workbook; returns rows per sheet (header excluded)."""
    wb = Workbook(write_only=True)
    wb.properties.title = excel_text(agg.title, 255)
    wb.properties.creator = "qa-audit"
    _summary(wb, agg, max_rows)
    _criteria(wb, agg, max_rows)
    sheets = write_table(wb, "Findings", FINDINGS_COLUMNS, _records(agg.findings), agg.title, max_rows=max_rows)
    promises = write_table(wb, "Promises", PROMISES_COLUMNS, _records(agg.promises), agg.title, max_rows=max_rows)

    def review_setup(ws: Any, n: int) -> None:
        if n:
            ws.conditional_formatting.add(f"F2:F{n + 1}", _score_scale(0, 70, 100))

    review = write_table(wb, "Review queue", REVIEW_COLUMNS, _records(agg.review), agg.title, max_rows=max_rows,
                         setup=review_setup)
    rejected: list[tuple[str, int]] = []
    if not agg.scope:
        rejected = write_table(wb, "Rejected", REJECTED_COLUMNS, _records(agg.rejected), agg.title, max_rows=max_rows)
    info = list(agg.run_info)
    if len(sheets) > 1:
        info.append(("Notes", "Findings",
                     f"{len(agg.findings):,} findings split across {len(sheets)} sheets "
                     f"({', '.join(s for s, _ in sheets)}) because of Excel's row limit; findings.jsonl has them all."))
    info_rows = [{0: a, 1: b, 2: c if not isinstance(c, (list, dict)) else str(c)} for a, b, c in info]
    write_table(wb, "Run info", RUN_INFO_COLUMNS, info_rows, agg.title, max_rows=max_rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    wb.save(tmp)
    tmp.replace(path)
    counts = {name: n for name, n in [*sheets, *promises, *review, *rejected]}
    return counts


def write_excel(out_dir: Path, agg: Aggregates, split_by_agent: bool = False,
                max_rows: int = EXCEL_MAX_ROWS) -> list[Path]:
    """qa-report.xlsx, and agents/<slug>.xlsx per agent when split_by_agent."""
    written = [out_dir / "qa-report.xlsx"]
    write_workbook(written[0], agg, max_rows=max_rows)
    if split_by_agent:
        for agent in agg.agent_names:
            path = out_dir / "agents" / f"{agg.slugs[agent]}.xlsx"
            write_workbook(path, agg.for_agent(agent), max_rows=max_rows)
            written.append(path)
    return written
