"""index.html (team overview) and agents/<slug>.html (one coaching page per agent).

Reads an `Aggregates` only. Jinja2 with autoescape on: transcript text is always data, never
markup or template code. The highlighted evidence is rendered as three separately escaped
parts (before, span, after) around a literal <mark>. Pages are self-contained: inline CSS and
inline SVG, a Content-Security-Policy that allows no scripts and no fetches, no external URLs.
"""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup, escape

from ..aggregate import Aggregates, check_label
from ..rubric.schema import POLARITY

ROLE_LABELS = {"agent": "Agent", "customer": "Customer", "system": "System", "bot": "Bot"}
LANGUAGE_LABELS = {"en": "English", "de": "German"}
CONTEXT_CHARS = 500  # characters of a context message shown on the coaching page
SPAN_CONTEXT_CHARS = 600  # characters shown on each side of the highlighted evidence
QUOTE_CONTEXT_CHARS = 90  # characters around a quoted strength
MAX_PROMISES = 40  # rows of the promises table on an agent page (the workbook has all)
MAX_REVIEW = 25
MAX_SPARK_WEEKS = 104


# ----- small formatting helpers (filters) ---------------------------------------------------
def _missing(value: Any) -> bool:
    return value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value))


def fmt_score(value: Any) -> str:
    return "–" if _missing(value) else f"{float(value):.1f}"


def fmt_pct(value: Any) -> str:
    return "n/a" if _missing(value) else f"{100 * float(value):.0f}%"


def fmt_date(value: Any) -> str:
    if _missing(value):
        return "–"
    if isinstance(value, (datetime, pd.Timestamp)):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def fmt_datetime(value: Any) -> str:
    if _missing(value):
        return "–"
    if isinstance(value, (datetime, pd.Timestamp)):
        return value.strftime("%Y-%m-%d %H:%M")
    return fmt_date(value)


def fmt_offset(seconds: Any) -> str:
    if _missing(seconds):
        return ""
    s = int(float(seconds))
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"


def score_class(value: Any) -> str:
    if _missing(value):
        return "na"
    v = float(value)
    return "good" if v >= 80 else "ok" if v >= 60 else "bad"


def heat_style(rate: Any) -> str:
    """Background colour for a pass rate: red (0 %) through yellow to green (100 %)."""
    if _missing(rate):
        return "background:#eef0f2;color:#6b7280"
    hue = 120 * max(0.0, min(1.0, float(rate)))
    return f"background:hsl({hue:.0f},70%,{84 - 6 * (1 - abs(2 * float(rate) - 1)):.0f}%)"


def bar_width(value: Any, scale: float = 100.0) -> str:
    if _missing(value):
        return "0%"
    return f"{max(0.0, min(100.0, 100 * float(value) / scale)):.1f}%"


def _clip_end(text: str, n: int) -> str:
    """At most about n characters from the start, cut at a space."""
    if len(text) <= n:
        return text
    cut = text[:n]
    space = cut.rfind(" ")
    return (cut[:space] if space > n // 2 else cut).rstrip() + " …"


def _clip_start(text: str, n: int) -> str:
    """At most about n characters from the end, cut at a space."""
    if len(text) <= n:
        return text
    cut = text[-n:]
    space = cut.find(" ")
    return "… " + (cut[space + 1:] if 0 <= space < n // 2 else cut).lstrip()


# ----- inline SVG ---------------------------------------------------------------------------
def week_axis(weeks: list[date]) -> list[date]:
    """Every Monday from the first to the last week (gaps stay visible), at most 104."""
    if not weeks:
        return []
    axis, w = [], min(weeks)
    while w <= max(weeks) and len(axis) < MAX_SPARK_WEEKS:
        axis.append(w)
        w += timedelta(days=7)
    return axis


def sparkline(points: list[tuple[date, float | None, int]], width: int = 120, height: int = 28,
              label: str = "Weekly mean score") -> Markup:
    """A small inline SVG line of weekly mean scores (0–100), one point per week of the axis;
    a week without conversations has no point. Only numbers and escaped text go into the SVG."""
    n = len(points)
    if n < 2:
        return Markup("")
    pad = 3.0
    xs = [pad + i * (width - 2 * pad) / (n - 1) for i in range(n)]

    def y(v: float) -> float:
        return pad + (1 - max(0.0, min(100.0, v)) / 100) * (height - 2 * pad)

    parts = [f'<svg class="spark" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
             f'role="img" aria-label="{escape(label)}">',
             f'<line x1="{pad}" x2="{width - pad}" y1="{y(80):.1f}" y2="{y(80):.1f}" class="spark-ref"/>']
    # one line through the weeks that have a score; weeks without conversations keep their place
    line = [f"{x:.1f},{y(v):.1f}" for x, (_, v, _) in zip(xs, points) if v is not None]
    if len(line) > 1:
        parts.append(f'<polyline points="{" ".join(line)}" class="spark-line"/>')
    last = max((i for i, (_, v, _) in enumerate(points) if v is not None), default=None)
    for i, (x, (week, v, count)) in enumerate(zip(xs, points)):
        if v is None:
            continue
        r = 2.6 if i == last else 1.6
        tip = f"Week of {week.isoformat()}: {v:.1f} ({count} conversation{'s' if count != 1 else ''})"
        parts.append(f'<circle cx="{x:.1f}" cy="{y(v):.1f}" r="{r}" class="spark-dot {score_class(v)}">'
                     f"<title>{escape(tip)}</title></circle>")
    parts.append("</svg>")
    return Markup("".join(parts))


def _points(trend: pd.DataFrame, axis: list[date]) -> list[tuple[date, float | None, int]]:
    by_week = {r["week"]: r for r in trend.to_dict("records")}
    out = []
    for w in axis:
        r = by_week.get(w)
        v = None if r is None or _missing(r["mean_score"]) else float(r["mean_score"])
        out.append((w, v, int(r["conversations"]) if r is not None else 0))
    return out


# ----- page data ----------------------------------------------------------------------------
def _example(rec: dict[str, Any]) -> dict[str, Any]:
    """A finding shown in its conversation context: messages with the evidence span of the
    finding's message split into before / span / after (escaped separately by the template)."""
    messages = []
    special = rec.get("customer_message")
    special = None if _missing(special) or special is pd.NA else int(special)
    for m in rec.get("context") or []:
        is_finding = m.get("index") == rec["message_index"]
        text = m.get("text") or ""
        item = {
            "index": m.get("index"), "role": m.get("role") or "", "role_label": ROLE_LABELS.get(m.get("role"), "Message"),
            "author": m.get("author") or "", "finding": is_finding,
            "when": fmt_offset(m.get("start")) if m.get("start") is not None else
            (m["timestamp"].strftime("%H:%M") if isinstance(m.get("timestamp"), datetime) else ""),
            "note": "",
        }
        if is_finding and rec.get("span"):
            item["before"] = _clip_start(rec["before_text"], SPAN_CONTEXT_CHARS)
            item["span"] = text[rec["span"][0]:rec["span"][1]]
            item["after"] = _clip_end(rec["after_text"], SPAN_CONTEXT_CHARS)
        else:
            item["text"] = _clip_end(text, CONTEXT_CHARS if not is_finding else 2 * SPAN_CONTEXT_CHARS)
        if special is not None and m.get("index") == special and not is_finding:
            if rec["check"] == "missed_empathy":
                item["note"] = "the customer was upset here"
            elif rec["check"] == "interruption":
                item["note"] = "cut off here"
        messages.append(item)
    notes = []
    if rec.get("time_expression"):
        notes.append(f"Time expression: “{rec['time_expression']}”")
    if rec.get("due_date"):
        notes.append(f"Due: {fmt_date(rec['due_date'])}")
    if not _missing(rec.get("overlap_seconds")):
        notes.append(f"Overlap: {float(rec['overlap_seconds']):.1f} s")
    if rec.get("upset_because"):
        notes.append(f"Why upset: {rec['upset_because']}")
    return {
        "conversation_id": rec["conversation_id"],
        "date": "" if _missing(rec["started_at"]) else fmt_datetime(rec["started_at"]),
        "channel": rec["channel"], "language": rec["language"] or "",
        "language_label": LANGUAGE_LABELS.get(rec["language"], rec["language"] or ""),
        "evidence": rec["evidence"], "suggestion": rec["suggestion"], "rule": rec["rule"],
        "severity": rec["severity"], "messages": messages, "notes": notes,
        "found": bool(rec.get("span")),
    }


def _quote(rec: dict[str, Any]) -> dict[str, Any]:
    """A strength quoted with a little of its sentence around it (parts escaped separately)."""
    found = bool(rec.get("span"))
    text = rec.get("message_text") or ""
    return {"before": _clip_start(rec["before_text"], QUOTE_CONTEXT_CHARS) if found else "",
            "span": text[rec["span"][0]:rec["span"][1]] if found else rec["evidence"],
            "after": _clip_end(rec["after_text"], QUOTE_CONTEXT_CHARS) if found else "",
            "conversation_id": rec["conversation_id"], "language": rec["language"] or "",
            "date": "" if _missing(rec["started_at"]) else fmt_date(rec["started_at"])}


def _criteria_rows(agg: Aggregates, agent: str) -> list[dict[str, Any]]:
    crit = agg.agent_criteria[agg.agent_criteria["agent"] == agent].set_index("criterion")
    rows = []
    for c in agg.criteria:
        r = crit.loc[c.id] if c.id in crit.index else None
        rows.append({"id": c.id, "name": c.name, "description": c.description,
                     "rate": None if r is None else r["pass_rate"],
                     "passed": 0 if r is None else int(r["passed"]), "failed": 0 if r is None else int(r["failed"]),
                     "na": 0 if r is None else int(r["na"])})
    return rows


def _footer(agg: Aggregates) -> dict[str, Any]:
    m = agg.manifest or {}
    rub = m.get("rubric", {})
    return {"version": m.get("version", ""), "rubric_id": rub.get("id", agg.rubric.id),
            "rubric_version": rub.get("version", agg.rubric.version),
            "rubric_sha": (rub.get("sha256") or agg.rubric.sha256 or "")[:12],
            "started": m.get("started_at", "")}


def _period(df: pd.DataFrame, col: str = "started_at") -> str:
    if df.empty or df[col].isna().all():
        return ""
    lo, hi = df[col].min(), df[col].max()
    return fmt_date(lo) if fmt_date(lo) == fmt_date(hi) else f"{fmt_date(lo)} – {fmt_date(hi)}"


def index_context(agg: Aggregates) -> dict[str, Any]:
    axis = week_axis(agg.weeks)
    multi = len(axis) >= 2
    agents = []
    rates = {(r["agent"], r["criterion"]): r["pass_rate"] for r in agg.agent_criteria.to_dict("records")}
    for rec in agg.agents.to_dict("records"):
        agent = rec["agent"]
        points = agg.coaching_points(agent, n=1, examples=0)
        agents.append({
            **rec, "href": f"agents/{rec['slug']}.html",
            "spark": sparkline(_points(agg.trend[agg.trend["agent"] == agent], axis),
                               label=f"Weekly mean score of {agent}") if multi else Markup(""),
            "top_point": points[0]["label"] if points else "",
            "rates": [(c.name, rates.get((agent, c.id))) for c in agg.criteria],
        })
    top = []
    for g in agg.top_findings(examples=1):
        ex = g["examples"][0] if g["examples"] else None
        top.append({**g, "polarity": POLARITY.get(g["check"], "negative"),
                    "agents": int(agg.findings.loc[agg.findings["check"] == g["check"], "agent"].nunique()),
                    "quote": ex["evidence"] if ex else "", "quote_agent": ex["agent"] if ex else "",
                    "quote_conversation": ex["conversation_id"] if ex else "",
                    "quote_language": ex["language"] if ex else ""})
    review = []
    for rec in agg.review_top(15).to_dict("records"):
        review.append({**rec, "date": fmt_datetime(rec["started_at"]), "href": f"agents/{rec['slug']}.html"})
    return {
        "title": agg.title, "team": agg.team, "agents": agents, "criteria": agg.criteria, "multi_week": multi,
        "team_spark": sparkline(_points(agg.team_trend, axis), width=260, height=40,
                                label="Team weekly mean score") if multi else Markup(""),
        "weeks": len(axis), "period": _period(agg.conversations), "top": top, "review": review,
        "rejected": len(agg.rejected), "footer": _footer(agg), "languages": sorted(set(agg.conversations["language"].dropna()))
        if not agg.conversations.empty else [],
    }


def agent_context(agg: Aggregates, agent: str) -> dict[str, Any]:
    """Everything of one agent's page, from that agent's aggregates only."""
    rec = agg.agents[agg.agents["agent"] == agent].to_dict("records")[0]
    axis = week_axis(agg.weeks)
    points = agg.coaching_points(agent, n=3, examples=3)
    for p in points:
        p["examples"] = [_example(e) for e in p["examples"]]
    strengths = agg.strengths(agent, examples=3)
    for s in strengths:
        s["quotes"] = [_quote(e) for e in s.pop("examples")]
    promises = []
    for p in agg.promises.to_dict("records")[:MAX_PROMISES]:
        promises.append({**p, "due": fmt_date(p["due_date"]), "date": fmt_datetime(p["started_at"]),
                         "vague": p["check"] == "vague_promise"})
    review = [{**r, "date": fmt_datetime(r["started_at"])} for r in agg.review.to_dict("records")[:MAX_REVIEW]]
    return {
        "title": agg.title, "agent": agent, "a": rec, "criteria": _criteria_rows(agg, agent),
        "spark": sparkline(_points(agg.trend, axis), width=260, height=40,
                           label=f"Weekly mean score of {agent}") if len(axis) >= 2 else Markup(""),
        "weeks": len(axis), "period": _period(agg.conversations), "points": points, "strengths": strengths,
        "promises": promises, "promises_total": len(agg.promises), "review": review, "review_total": len(agg.review),
        "max_promises": MAX_PROMISES, "footer": _footer(agg),
    }


def make_env() -> Environment:
    env = Environment(loader=PackageLoader("qa_audit.report", "templates"), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters.update(score=fmt_score, pct=fmt_pct, date=fmt_date, datetime=fmt_datetime,
                       score_class=score_class, heat=heat_style, bar=bar_width, check_label=check_label)
    return env


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8", newline="\n")


def write_html(out_dir: Path, agg: Aggregates) -> list[Path]:
    env = make_env()
    written = [out_dir / "index.html"]
    _write(written[0], env.get_template("index.html").render(**index_context(agg)))
    agent_tpl = env.get_template("agent.html")
    for agent in agg.agent_names:
        path = out_dir / "agents" / f"{agg.slugs[agent]}.html"
        _write(path, agent_tpl.render(**agent_context(agg.for_agent(agent), agent)))
        written.append(path)
    return written
