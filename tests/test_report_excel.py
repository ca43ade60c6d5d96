"""qa-report.xlsx read back with openpyxl: sheets, headers, a known finding, the chart, and safety."""

from __future__ import annotations

import json
import re
import zipfile
from datetime import datetime

import openpyxl
import pytest
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.chart import BarChart

from qa_audit.aggregate import aggregate
from qa_audit.report.excel import EXCEL_MAX_CHARS, FINDINGS_COLUMNS, excel_text, write_workbook

from test_report_aggregate import (  # noqa: F401  (session fixtures)
    HYPERLINK, KNOWN_AGENT, KNOWN_CONVERSATION, KNOWN_EVIDENCE, audit_data, report_run,
)

SHEETS = ["Summary", "Criteria", "Findings", "Promises", "Review queue", "Rejected", "Run info"]


def table(ws) -> list[dict]:
    rows = ws.iter_rows(values_only=True)
    header = next(rows)
    return [dict(zip(header, r)) for r in rows if any(v is not None for v in r)]


def all_cells(wb):
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.value is not None:
                    yield ws.title, cell


@pytest.fixture(scope="module")
def wb(report_run):
    return openpyxl.load_workbook(report_run.out / "qa-report.xlsx")


def test_sheet_names_and_headers(wb):
    assert wb.sheetnames == SHEETS
    headers = [c.value for c in wb["Findings"][1]]
    assert headers == [c.header for c in FINDINGS_COLUMNS]
    for needed in ("Conversation", "Agent", "Channel", "Language", "Check", "Rule", "Polarity", "Evidence",
                   "Evidence in context", "Suggestion", "Due date", "Overlap (s)"):
        assert needed in headers
    assert [c.value for c in wb["Summary"][1]][:4] == ["Agent", "Conversations", "Scored", "Mean score"]
    assert [c.value for c in wb["Promises"][1]][:3] == ["Due date", "Time expression", "Type"]
    assert [c.value for c in wb["Review queue"][1]][:3] == ["Agent", "Conversation", "Date"]
    assert [c.value for c in wb["Rejected"][1]] == ["File", "Position", "Record id", "Reason"]
    for name in SHEETS:
        ws = wb[name]
        assert ws.freeze_panes in ("A2", "B2"), name
        assert ws.auto_filter.ref and ws.auto_filter.ref.startswith("A1:"), name
    widths = [wb["Findings"].column_dimensions[letter].width for letter in "ABCKL"]
    assert all(w and w >= 9 for w in widths)


def test_known_finding_row(wb, report_run):
    rows = table(wb["Findings"])
    row = next(r for r in rows if r["Conversation"] == KNOWN_CONVERSATION and r["Check"] == "empathy")
    assert row["Agent"] == KNOWN_AGENT
    assert row["Channel"] == "chat" and row["Language"] == "en"
    assert row["Polarity"] == "positive" and row["Rule"]
    assert row["Evidence"] == KNOWN_EVIDENCE
    assert f"«{KNOWN_EVIDENCE}»" in row["Evidence in context"]
    assert "cracked jug" in row["Previous message"]  # a little context
    findings = [json.loads(line) for line in (report_run.out / "findings.jsonl").read_text(encoding="utf-8").splitlines()]
    expected = next(f for f in findings if f["conversation_id"] == KNOWN_CONVERSATION and f["check"] == "empathy")
    assert row["Suggestion"] == expected["suggestion"] and row["Suggestion"]
    assert row["Message"] == 1 and isinstance(row["Message"], int)
    assert row["Date"] == datetime(2026, 11, 2, 10, 0)  # a real (timezone-naive) date, not text
    promise = next(r for r in rows if r["Conversation"] == KNOWN_CONVERSATION and r["Check"] == "promised_timeline")
    assert promise["Due date"] == datetime(2026, 11, 6) and promise["Time expression"] == "by Friday"
    inter = next(r for r in rows if r["Check"] == "interruption")
    assert inter["Overlap (s)"] == pytest.approx(1.5) and inter["Agent"] == "Tobias Král"
    # every finding of the run has its row
    assert len(rows) == len(findings)


def test_summary_numbers_chart_and_formatting(wb):
    ws = wb["Summary"]
    rows = table(ws)
    agents = [r["Agent"] for r in rows]
    assert agents[:4] == ["Anna Weber", "Grace O'Neill", "Sam Lee", "Tobias Král"]
    assert agents[-1] == "Team (all agents)"
    grace = rows[1]
    assert grace["Conversations"] == 4 and isinstance(grace["Mean score"], float)
    assert grace["Mean score"] == pytest.approx(62.5)
    assert isinstance(grace["First conversation"], datetime)
    rate = grace["Pass rate: No defensive language"]
    assert isinstance(rate, float) and 0 <= rate <= 1
    assert ws.cell(row=3, column=[c.value for c in ws[1]].index("Pass rate: No defensive language") + 1).number_format == "0%"
    charts = ws._charts
    assert len(charts) == 1 and isinstance(charts[0], BarChart)
    assert len(ws.conditional_formatting) >= 3
    crit = wb["Criteria"]
    rules = [r for cf in crit.conditional_formatting for r in cf.rules]
    assert any(r.type == "colorScale" for r in rules)


def test_promises_review_rejected_runinfo(wb, report_run):
    promises = table(wb["Promises"])
    assert {p["Type"] for p in promises} == {"Promised timeline", "Vague promise"}
    due = [p["Due date"] for p in promises if p["Due date"] is not None]
    assert due == sorted(due) and all(isinstance(d, datetime) for d in due)
    assert any(p["Time expression"] == "bis Freitag" for p in promises)
    review = table(wb["Review queue"])
    sam = next(r for r in review if r["Conversation"] == "en-t-101")
    assert "ownership and deflection" in sam["Why review"]
    rejected = table(wb["Rejected"])
    assert len(rejected) == 1 and "invalid JSON" in rejected[0]["Reason"]
    assert rejected[0]["File"].endswith("chats-de.jsonl")
    info = {(r["Section"], r["Item"]): r["Value"] for r in table(wb["Run info"])}
    manifest = json.loads((report_run.out / "manifest.json").read_text(encoding="utf-8"))
    assert info[("Rubric", "sha256")] == manifest["rubric"]["sha256"]
    assert info[("Rubric", "Id")] == "default"
    assert info[("Tool", "Version")] == manifest["version"]
    assert info[("Counts", "Conversations audited")] == 11
    assert info[("Counts", "Rejected input records")] == 1
    assert isinstance(info[("Timings (seconds)", "audit")], float)
    assert info[("Report", "Title")] == "Coaching <b>W45–W48</b> & more"


def test_hyperlink_message_arrives_as_text(wb, report_run):
    hits = [(sheet, c) for sheet, c in all_cells(wb) if isinstance(c.value, str) and "HYPERLINK(" in c.value]
    assert hits, "the =HYPERLINK( message should be in the Findings context"
    for _, cell in hits:
        assert cell.data_type == "s"
        assert not cell.value.startswith("=")
    assert any(c.value == "'" + HYPERLINK for _, c in hits)
    # no formula anywhere: not in the cells openpyxl reads, not in the sheet XML
    assert not [c.coordinate for _, c in all_cells(wb) if c.data_type == "f"]
    with zipfile.ZipFile(report_run.out / "qa-report.xlsx") as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                assert not re.search(rb"<(\w+:)?f[ >]", z.read(name)), name


def test_control_characters_removed(wb):
    cells = [c.value for _, c in all_cells(wb) if isinstance(c.value, str) and "Is anyone there" in c.value]
    assert cells
    for value in cells:
        assert not ILLEGAL_CHARACTERS_RE.search(value)
        assert "Hello? Is anyone there? This is a warranty case" in value


def test_excel_text_sanitizer():
    for prefix in ("=", "+", "-", "@", "\t", "\r"):
        assert excel_text(prefix + "1+1") == "'" + prefix + "1+1"
    assert excel_text("plain text = fine") == "plain text = fine"
    assert excel_text("a\x00b\x07c\x1bd\x0be") == "abcde"
    assert excel_text("\x07=1+1") == "'=1+1"  # stripped first, then neutralised
    long = "x" * 40_000
    cut = excel_text(long)
    assert len(cut) == EXCEL_MAX_CHARS and cut.endswith("[truncated: 40,000 characters]")
    assert excel_text("y" * EXCEL_MAX_CHARS) == "y" * EXCEL_MAX_CHARS


def test_row_limit_splits_findings(audit_data, tmp_path):
    agg = aggregate(audit_data)
    path = tmp_path / "small.xlsx"
    counts = write_workbook(path, agg, max_rows=5)  # header + 4 findings per sheet
    wb = openpyxl.load_workbook(path)
    parts = [n for n in wb.sheetnames if n == "Findings" or n.startswith("Findings (")]
    n = len(agg.findings)
    assert len(parts) == -(-n // 4) >= 3
    assert parts[1] == "Findings (2)"
    total = []
    for name in parts:
        ws = wb[name]
        assert [c.value for c in ws[1]] == [c.header for c in FINDINGS_COLUMNS]
        rows = table(ws)
        assert 1 <= len(rows) <= 4
        total += [(r["Conversation"], r["Message"], r["Check"], r["Evidence"]) for r in rows]
    expected = list(agg.findings[["conversation_id", "message_index", "check", "evidence"]].itertuples(index=False, name=None))
    assert total == expected  # nothing lost, order kept
    assert sum(v for k, v in counts.items() if k.startswith("Findings")) == n
    info = [r for name in wb.sheetnames if name.startswith("Run info") for r in table(wb[name])]
    notes = [r["Value"] for r in info if r["Section"] == "Notes"]
    assert any("split across" in n for n in notes)


def test_split_by_agent_workbooks_hold_one_agent(report_run):
    folder = report_run.out / "agents"
    files = sorted(folder.glob("*.xlsx"))
    assert [f.name for f in files] == ["anna-weber.xlsx", "grace-o-neill.xlsx", "sam-lee.xlsx", "tobias-kral.xlsx"]
    for path in files:
        wb = openpyxl.load_workbook(path)
        assert "Rejected" not in wb.sheetnames
        summary = table(wb["Summary"])
        assert len(summary) == 1
        agent = summary[0]["Agent"]
        assert path.stem == {"Anna Weber": "anna-weber", "Grace O'Neill": "grace-o-neill", "Sam Lee": "sam-lee",
                             "Tobias Král": "tobias-kral"}[agent]
        text = "\n".join(str(c.value) for _, c in all_cells(wb))
        for other in report_run.texts_of_other_agents(agent):
            assert other not in text, f"{path.name} leaks {other!r}"
        findings = table(wb["Findings"])
        assert findings and {r["Agent"] for r in findings} == {agent}
        mine = {cid for cid, c in report_run.conversations.items() if c["agent"] == agent}
        assert {r["Conversation"] for r in findings} <= mine
        assert {r["Agent"] for r in table(wb["Review queue"])} <= {agent}
        assert {r["Agent"] for r in table(wb["Promises"])} <= {agent}
        assert not [c for _, c in all_cells(wb) if c.data_type == "f"]


def test_dates_are_timezone_naive_dates(wb):
    for r in table(wb["Review queue"]):
        assert isinstance(r["Date"], datetime) and r["Date"].tzinfo is None
