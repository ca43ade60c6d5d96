"""Aggregates: the pandas frames every human report reads, computed once from a run.

The report writers (Excel, HTML) only read an `Aggregates`; they never recompute a score or
re-rank anything. Every frame has a documented, deterministic row order, so the same input
and rubric give byte-for-byte comparable reports.

Frames (one row per …):
- ``conversations``  conversation: agent, channel, language, local start time, week, score,
  outcome and reason per criterion, finding counts.
- ``findings``       finding: its conversation's agent/channel/language/date, the message it
  sits in, the text before/after the evidence span, the previous message, a context window
  and the interesting details (time expression, due date, overlap seconds, why upset).
- ``agents``         agent: conversations, mean/min score, auto-fails, pass rate per
  criterion (``pass_rate.<criterion>``), count per check (``count.<check>``).
- ``agent_criteria`` agent × criterion: passed, failed, n/a, pass rate.
- ``checks``         check: polarity, findings, conversations, agents.
- ``trend``          agent × ISO week: conversations and mean score.
- ``promises``       promised_timeline / vague_promise finding: the follow-up ledger.
- ``review``         conversation worth a human review, with the reasons why.
- ``rejected``       input record that could not be audited.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from .rubric.schema import CHECK_IDS, POLARITY, Rubric

if TYPE_CHECKING:
    from .run import RunData

UNASSIGNED = "(no agent)"
SEVERITY_RANK = {"info": 0, "minor": 1, "major": 2, "critical": 3}
PROMISE_CHECKS = ("promised_timeline", "vague_promise")
# Pairs of checks that contradict each other inside one conversation: worth a human look.
CONFLICTS = (("empathy", "missed_empathy"), ("ownership", "deflection"))
LOWEST_PER_AGENT = 3  # conversations per agent put on the review queue for a low score
CHECK_LABELS = {
    "interruption": "Interruption",
    "defensive_language": "Defensive language",
    "empathy": "Empathy",
    "missed_empathy": "Missed empathy",
    "promised_timeline": "Promised timeline",
    "vague_promise": "Vague promise",
    "ownership": "Ownership",
    "deflection": "Deflection",
}
# Finding.details keys shown in their own columns; the rest go to a compact "details" text.
DETAIL_COLUMNS = ("time_expression", "due_date", "commitment", "overlap_seconds", "upset_because",
                  "customer_message")
HIDDEN_DETAILS = ("customer_text",)  # already visible as context; long
_WINDOWS_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)),
                     *(f"lpt{i}" for i in range(1, 10))}
_TRANSLIT = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue",
                           "ß": "ss", "ø": "o", "Ø": "O", "æ": "ae", "Æ": "Ae", "ł": "l", "Ł": "L",
                           "đ": "d", "Đ": "D", "ı": "i", "œ": "oe", "Œ": "Oe", "þ": "th"})


def check_label(check: str) -> str:
    return CHECK_LABELS.get(check) or check.replace("_", " ").capitalize()


def agent_key(name: str) -> tuple[str, str]:
    """Sort key for agent names: case-insensitive, ties broken by the exact name."""
    return (name.casefold(), name)


def slugify(name: str, max_length: int = 60) -> str:
    """A file-name-safe ASCII slug: 'Sabine Krüger' -> 'sabine-krueger'. Never empty; names
    with no Latin letters get a short stable hash ('agent-1a2b3c4d')."""
    text = unicodedata.normalize("NFKD", name.translate(_TRANSLIT))
    text = "".join(c for c in text if not unicodedata.combining(c))
    slug = re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()[:max_length].strip("-")
    if not slug:
        slug = "agent-" + hashlib.sha1(name.encode("utf-8")).hexdigest()[:8]
    if slug in _WINDOWS_RESERVED:
        slug += "-agent"
    return slug


def unique_slugs(names: list[str]) -> dict[str, str]:
    """Slugs for agent names, unique case-insensitively, assigned in sorted name order."""
    taken: set[str] = set()
    out: dict[str, str] = {}
    for name in sorted(set(names), key=agent_key):
        base = slugify(name)
        slug, n = base, 2
        while slug in taken:
            slug, n = f"{base}-{n}", n + 1
        taken.add(slug)
        out[name] = slug
    return out


def local_naive(value: Any) -> datetime | None:
    """The wall-clock time as the conversation saw it, without a timezone (Excel has none)."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    return None


def week_start(value: datetime | None) -> date | None:
    if value is None:
        return None
    d = value.date()
    return d - timedelta(days=d.weekday())


def week_label(monday: date) -> str:
    y, w, _ = monday.isocalendar()
    return f"{y}-W{w:02d}"


def parse_due_date(value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def source_file(source: str) -> str:
    """'exports/a.jsonl:line 3' -> 'exports/a.jsonl' (the position never holds a path separator)."""
    head, sep, tail = source.rpartition(":")
    return head if sep and head and "/" not in tail and "\\" not in tail else source


def _details_text(details: dict[str, Any]) -> str:
    parts = []
    for key in sorted(details, key=lambda k: (k != "pattern", k)):
        if key in DETAIL_COLUMNS or key in HIDDEN_DETAILS:
            continue
        value = details[key]
        if isinstance(value, (list, tuple)):
            value = " | ".join(str(v) for v in value)
        parts.append(f"{key}: {value}")
    return "; ".join(parts)


def _locate(text: str, start: int, end: int, evidence: str) -> tuple[int, int] | None:
    """The evidence span in its message; falls back to searching the quote when the offsets
    do not match the text (never highlights the wrong words)."""
    if 0 <= start < end <= len(text) and text[start:end] == evidence:
        return start, end
    if evidence:
        i = text.find(evidence)
        if i < 0:
            i = text.casefold().find(evidence.casefold())
        if i >= 0:
            return i, i + len(evidence)
    return None


def _mean(series: pd.Series) -> float | None:
    values = series.dropna()
    return round(float(values.mean()), 1) if len(values) else None


def _sorted(df: pd.DataFrame, by: list[str], ascending: list[bool] | bool = True) -> pd.DataFrame:
    if df.empty:
        return df.reset_index(drop=True)
    return df.sort_values(by, ascending=ascending, kind="mergesort", na_position="last").reset_index(drop=True)


@dataclass
class Aggregates:
    title: str
    rubric: Rubric
    manifest: dict[str, Any]
    checks: list[str]  # check ids in canonical order
    slugs: dict[str, str]  # agent -> slug
    weeks: list[date]  # every week (Monday) the input spans, ascending
    conversations: pd.DataFrame
    findings: pd.DataFrame
    agents: pd.DataFrame
    agent_criteria: pd.DataFrame
    checks_table: pd.DataFrame
    trend: pd.DataFrame
    team_trend: pd.DataFrame
    promises: pd.DataFrame
    review: pd.DataFrame
    rejected: pd.DataFrame
    team: dict[str, Any] = field(default_factory=dict)
    run_info: list[tuple[str, str, Any]] = field(default_factory=list)
    scope: str | None = None  # the agent when this holds one agent's data only
    _agent_cache: dict[str, "Aggregates"] = field(default_factory=dict, repr=False, compare=False)

    @property
    def criteria(self):
        return self.rubric.criteria

    @property
    def agent_names(self) -> list[str]:
        return list(self.agents["agent"]) if not self.agents.empty else []

    @property
    def multi_week(self) -> bool:
        return len(self.weeks) >= 2

    def criterion_name(self, cid: str) -> str:
        return next((c.name for c in self.rubric.criteria if c.id == cid), cid)

    def rule_message(self, rule_id: str) -> str:
        try:
            return " ".join(self.rubric.rule(rule_id).message.split())
        except KeyError:
            return ""

    # ----- one agent ---------------------------------------------------------------------
    def for_agent(self, agent: str) -> "Aggregates":
        """The same frames restricted to one agent's rows: no other agent's conversations,
        names or counts. Rejected inputs cannot be attributed to an agent and are left out."""
        if agent in self._agent_cache:
            return self._agent_cache[agent]
        def only(df: pd.DataFrame) -> pd.DataFrame:
            return df[df["agent"] == agent].reset_index(drop=True) if not df.empty else df

        conversations = only(self.conversations)
        findings = only(self.findings)
        trend = only(self.trend)
        team_trend = trend.drop(columns=["agent"])
        weeks = sorted({w for w in conversations["week"] if pd.notna(w)}) if not conversations.empty else []
        agg = replace(
            self, conversations=conversations, findings=findings, agents=only(self.agents),
            agent_criteria=only(self.agent_criteria), trend=trend, team_trend=team_trend, promises=only(self.promises),
            review=only(self.review), rejected=self.rejected.iloc[0:0], scope=agent,
            slugs={agent: self.slugs[agent]} if agent in self.slugs else {}, weeks=weeks,
            checks_table=_checks_table(findings, self.checks),
            team={}, manifest=self.manifest, _agent_cache={},
        )
        agg.run_info = _run_info(agg)
        self._agent_cache[agent] = agg
        return agg

    def top_findings(self, examples: int = 1) -> list[dict[str, Any]]:
        """Every check that fired, most frequent first, with example quotes."""
        return self._grouped(self.findings, None, examples)

    def review_top(self, n: int = 15) -> pd.DataFrame:
        """The review queue across agents: auto-fails, then conflicts, then low scores."""
        if self.review.empty:
            return self.review
        return _sorted(self.review, ["priority", "score", "started_at", "conversation_id"]).head(n)

    # ----- coaching (HTML agent pages) ---------------------------------------------------
    def agent_findings(self, agent: str, polarity: str | None = None) -> pd.DataFrame:
        f = self.findings
        if f.empty:
            return f
        mask = f["agent"] == agent
        if polarity:
            mask &= f["polarity"] == polarity
        return f[mask]

    def _examples(self, rows: pd.DataFrame, n: int) -> list[dict[str, Any]]:
        """Up to n findings, most severe and most recent first, from different conversations
        before a second one from the same conversation."""
        if rows.empty or n <= 0:
            return []
        keys = pd.DataFrame({"sev": -rows["severity_rank"], "t": rows["started_at"], "cid": rows["conversation_id"],
                             "mi": rows["message_index"], "st": rows["start"]}, index=rows.index)
        order = keys.sort_values(["sev", "t", "cid", "mi", "st"], ascending=[True, False, True, True, True],
                                 kind="mergesort", na_position="last").index
        cids = rows["conversation_id"]
        picked: list[Any] = []
        seen: set[str] = set()
        for i in order:
            if cids.at[i] not in seen:
                picked.append(i)
                seen.add(cids.at[i])
                if len(picked) == n:
                    break
        for i in order:
            if len(picked) >= n:
                break
            if i not in picked:
                picked.append(i)
        return rows.loc[picked].to_dict("records")

    def _grouped(self, rows: pd.DataFrame, limit: int | None, examples: int) -> list[dict[str, Any]]:
        if rows.empty:
            return []
        order = {c: i for i, c in enumerate(self.checks)}
        groups = []
        for check, g in rows.groupby("check", sort=True):
            groups.append({
                "check": check, "label": check_label(check), "count": int(len(g)),
                "conversations": int(g["conversation_id"].nunique()),
                "severity_rank": int(g["severity_rank"].max()),
                "rules": sorted(set(g["rule"])),
                "description": " ".join(dict.fromkeys(self.rule_message(r) for r in sorted(set(g["rule"]))
                                                      if self.rule_message(r))),
                "examples": self._examples(g, examples),
            })
        groups.sort(key=lambda x: (-x["count"], -x["severity_rank"], order.get(x["check"], 99), x["check"]))
        return groups[:limit] if limit else groups

    def coaching_points(self, agent: str, n: int = 3, examples: int = 3) -> list[dict[str, Any]]:
        """The agent's most frequent negative checks (ties: more severe first), each with real
        examples in context."""
        return self._grouped(self.agent_findings(agent, "negative"), n, examples)

    def strengths(self, agent: str, examples: int = 3) -> list[dict[str, Any]]:
        return self._grouped(self.agent_findings(agent, "positive"), None, examples)


# ----- building ------------------------------------------------------------------------------
def _check_order(rubric: Rubric, seen: set[str]) -> list[str]:
    emitted = {c for rule in rubric.rules for c in rule.checks} | seen
    order = [c for c in CHECK_IDS if c in emitted]
    return order + sorted(emitted - set(order))


def _conversations_frame(data: "RunData", slugs: dict[str, str], criteria_ids: list[str],
                         finding_checks: dict[str, list[str]]) -> pd.DataFrame:
    rows = []
    for c in data.conversations:
        agent = c.agent or UNASSIGNED
        started = local_naive(c.started_at)
        checks = finding_checks.get(c.id, [])
        row = {
            "conversation_id": c.id, "agent": agent, "slug": slugs[agent], "channel": c.channel,
            "language": c.language, "started_at": started, "week": week_start(started),
            "source": c.source, "source_file": source_file(c.source),
            "messages": c.messages, "score": c.score, "auto_failed": bool(c.auto_failed),
            "customer_upset": bool(c.customer_upset), "findings": len(checks),
            "positive": sum(1 for k in checks if POLARITY.get(k) == "positive"),
            "negative": sum(1 for k in checks if POLARITY.get(k) == "negative"),
            "checks": tuple(sorted(set(checks))),
        }
        for cid in criteria_ids:
            row[f"outcome.{cid}"] = c.outcomes.get(cid, "na")
            row[f"reason.{cid}"] = c.reasons.get(cid, "")
        rows.append(row)
    columns = ["conversation_id", "agent", "slug", "channel", "language", "started_at", "week", "source",
               "source_file", "messages", "score", "auto_failed", "customer_upset", "findings", "positive",
               "negative", "checks", *[f"outcome.{c}" for c in criteria_ids], *[f"reason.{c}" for c in criteria_ids]]
    df = pd.DataFrame(rows, columns=columns)
    df["score"] = pd.to_numeric(df["score"], errors="coerce").astype("float64")
    df["_key"] = df["agent"].map(lambda a: agent_key(a)[0])
    df = _sorted(df, ["_key", "agent", "started_at", "conversation_id"])
    return df.drop(columns=["_key"])


def _findings_frame(data: "RunData", conv: dict[str, Any], slugs: dict[str, str]) -> pd.DataFrame:
    cols: dict[str, list[Any]] = {k: [] for k in (
        "conversation_id", "agent", "slug", "channel", "language", "started_at", "week", "score",
        "message_index", "message_role", "message_author", "message_timestamp", "check", "check_label",
        "rule", "polarity", "severity", "severity_rank", "start", "end", "evidence", "suggestion",
        "message_text", "span", "before_text", "after_text", "previous_role", "previous_text",
        "context", "time_expression", "due_date", "commitment", "overlap_seconds", "upset_because",
        "customer_message", "details_text", "details")}
    for f in data.findings:
        c = conv.get(f.conversation_id)
        agent = (c.agent or UNASSIGNED) if c else UNASSIGNED
        started = local_naive(c.started_at) if c else None
        window = data.contexts.get((f.conversation_id, f.message_index), [])
        msg = next((m for m in window if m.get("index") == f.message_index), None)
        prev = None
        if msg is not None:
            pos = window.index(msg)
            prev = window[pos - 1] if pos > 0 else None
        text = (msg or {}).get("text") or ""
        span = _locate(text, f.start, f.end, f.evidence) if msg else None
        d = f.details or {}
        cols["conversation_id"].append(f.conversation_id)
        cols["agent"].append(agent)
        cols["slug"].append(slugs.get(agent, slugify(agent)))
        cols["channel"].append(c.channel if c else "")
        cols["language"].append(c.language if c else "")
        cols["started_at"].append(started)
        cols["week"].append(week_start(started))
        cols["score"].append(c.score if c else None)
        cols["message_index"].append(f.message_index)
        cols["message_role"].append((msg or {}).get("role", ""))
        cols["message_author"].append((msg or {}).get("author", ""))
        cols["message_timestamp"].append(local_naive((msg or {}).get("timestamp")))
        cols["check"].append(f.check)
        cols["check_label"].append(check_label(f.check))
        cols["rule"].append(f.rule)
        cols["polarity"].append(f.polarity)
        cols["severity"].append(f.severity)
        cols["severity_rank"].append(SEVERITY_RANK.get(f.severity, 0))
        cols["start"].append(f.start)
        cols["end"].append(f.end)
        cols["evidence"].append(f.evidence)
        cols["suggestion"].append(f.suggestion)
        cols["message_text"].append(text)
        cols["span"].append(span)
        cols["before_text"].append(text[:span[0]] if span else text)
        cols["after_text"].append(text[span[1]:] if span else "")
        cols["previous_role"].append((prev or {}).get("role", ""))
        cols["previous_text"].append((prev or {}).get("text", ""))
        cols["context"].append(window)
        cols["time_expression"].append(d.get("time_expression") or "")
        cols["due_date"].append(parse_due_date(d.get("due_date")))
        cols["commitment"].append(d.get("commitment") or "")
        ov = d.get("overlap_seconds")
        cols["overlap_seconds"].append(float(ov) if isinstance(ov, (int, float)) else None)
        cols["upset_because"].append(d.get("upset_because") or "")
        cm = d.get("customer_message")
        cols["customer_message"].append(cm if isinstance(cm, int) else None)
        cols["details_text"].append(_details_text(d))
        cols["details"].append(d)
    df = pd.DataFrame(cols)
    for col in ("score", "overlap_seconds"):
        df[col] = pd.to_numeric(df[col], errors="coerce").astype("float64")
    df["customer_message"] = pd.array(cols["customer_message"], dtype="Int64")
    df["_key"] = df["agent"].map(lambda a: agent_key(a)[0])
    df = _sorted(df, ["_key", "agent", "started_at", "conversation_id", "message_index", "start", "check", "rule"])
    return df.drop(columns=["_key"])


def _checks_table(findings: pd.DataFrame, checks: list[str]) -> pd.DataFrame:
    rows = []
    for check in checks:
        g = findings[findings["check"] == check] if not findings.empty else findings
        rows.append({"check": check, "label": check_label(check), "polarity": POLARITY.get(check, ""),
                     "findings": int(len(g)),
                     "conversations": int(g["conversation_id"].nunique()) if len(g) else 0,
                     "agents": int(g["agent"].nunique()) if len(g) else 0})
    return pd.DataFrame(rows, columns=["check", "label", "polarity", "findings", "conversations", "agents"])


def _pass_rates(conversations: pd.DataFrame, criteria_ids: list[str]) -> dict[str, dict[str, Any]]:
    out = {}
    for cid in criteria_ids:
        col = conversations[f"outcome.{cid}"] if not conversations.empty else pd.Series([], dtype=object)
        passed, failed = int((col == "pass").sum()), int((col == "fail").sum())
        na = int(len(col) - passed - failed)
        out[cid] = {"passed": passed, "failed": failed, "na": na,
                    "pass_rate": (passed / (passed + failed)) if passed + failed else None}
    return out


def _agents_frames(conversations: pd.DataFrame, findings: pd.DataFrame, agents: list[str], slugs: dict[str, str],
                   criteria_ids: list[str], checks: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    rows, crit_rows = [], []
    by_agent_conv = dict(tuple(conversations.groupby("agent", sort=False))) if not conversations.empty else {}
    by_agent_find = dict(tuple(findings.groupby("agent", sort=False))) if not findings.empty else {}
    for agent in agents:
        cv = by_agent_conv.get(agent, conversations.iloc[0:0])
        fd = by_agent_find.get(agent, findings.iloc[0:0])
        starts = [s for s in cv["started_at"] if s is not None and not pd.isna(s)]
        row: dict[str, Any] = {
            "agent": agent, "slug": slugs[agent], "conversations": int(len(cv)),
            "scored": int(cv["score"].notna().sum()), "mean_score": _mean(cv["score"]),
            "min_score": float(cv["score"].min()) if cv["score"].notna().any() else None,
            "auto_fails": int(cv["auto_failed"].sum()), "findings": int(len(fd)),
            "positive": int((fd["polarity"] == "positive").sum()) if len(fd) else 0,
            "negative": int((fd["polarity"] == "negative").sum()) if len(fd) else 0,
            "first": min(starts) if starts else None, "last": max(starts) if starts else None,
            "languages": ", ".join(sorted(set(cv["language"].dropna()))),
            "channels": ", ".join(sorted(set(cv["channel"].dropna()))),
        }
        rates = _pass_rates(cv, criteria_ids)
        for cid in criteria_ids:
            row[f"pass_rate.{cid}"] = rates[cid]["pass_rate"]
            crit_rows.append({"agent": agent, "slug": slugs[agent], "criterion": cid, **rates[cid]})
        counts = fd["check"].value_counts() if len(fd) else {}
        for check in checks:
            row[f"count.{check}"] = int(counts.get(check, 0)) if len(fd) else 0
        rows.append(row)
    agents_df = pd.DataFrame(rows)
    if not agents_df.empty:
        for col in ["mean_score", "min_score", *[f"pass_rate.{c}" for c in criteria_ids]]:
            agents_df[col] = pd.to_numeric(agents_df[col], errors="coerce").astype("float64")
    crit_df = pd.DataFrame(crit_rows, columns=["agent", "slug", "criterion", "passed", "failed", "na", "pass_rate"])
    crit_df["pass_rate"] = pd.to_numeric(crit_df["pass_rate"], errors="coerce").astype("float64")
    return agents_df, crit_df


def _trend_frame(conversations: pd.DataFrame, agents: list[str]) -> pd.DataFrame:
    rows = []
    dated = conversations[conversations["week"].notna()] if not conversations.empty else conversations
    groups = dict(tuple(dated.groupby(["agent", "week"], sort=False))) if not dated.empty else {}
    for (agent, week), g in groups.items():
        rows.append({"agent": agent, "week": week, "week_label": week_label(week),
                     "conversations": int(len(g)), "mean_score": _mean(g["score"])})
    df = pd.DataFrame(rows, columns=["agent", "week", "week_label", "conversations", "mean_score"])
    df["mean_score"] = pd.to_numeric(df["mean_score"], errors="coerce").astype("float64")
    order = {a: i for i, a in enumerate(agents)}
    df["_o"] = df["agent"].map(order)
    return _sorted(df, ["_o", "week"]).drop(columns=["_o"])


def _team_trend_frame(conversations: pd.DataFrame) -> pd.DataFrame:
    rows = []
    dated = conversations[conversations["week"].notna()] if not conversations.empty else conversations
    for week, g in (dated.groupby("week", sort=True) if not dated.empty else []):
        rows.append({"week": week, "week_label": week_label(week), "conversations": int(len(g)),
                     "mean_score": _mean(g["score"])})
    df = pd.DataFrame(rows, columns=["week", "week_label", "conversations", "mean_score"])
    df["mean_score"] = pd.to_numeric(df["mean_score"], errors="coerce").astype("float64")
    return df


def _promises_frame(findings: pd.DataFrame, agents: list[str]) -> pd.DataFrame:
    cols = ["conversation_id", "agent", "slug", "channel", "language", "started_at", "message_index",
            "message_timestamp", "check", "check_label", "time_expression", "due_date", "commitment", "evidence",
            "suggestion", "rule"]
    if findings.empty:
        return pd.DataFrame(columns=cols)
    p = findings[findings["check"].isin(PROMISE_CHECKS)][cols].copy()
    order = {a: i for i, a in enumerate(agents)}
    p["_o"] = p["agent"].map(order)
    p["_due"] = p["due_date"].map(lambda d: d if d is not None else date.max)
    return _sorted(p, ["_due", "_o", "started_at", "conversation_id", "message_index"]).drop(columns=["_o", "_due"])


def _review_frame(conversations: pd.DataFrame, agents: list[str], criteria: list, lowest: int) -> pd.DataFrame:
    cols = ["agent", "slug", "conversation_id", "started_at", "channel", "language", "score", "auto_failed",
            "priority", "reason", "failed_criteria"]
    if conversations.empty:
        return pd.DataFrame(columns=cols)
    names = {c.id: c.name for c in criteria}
    rows = []
    for agent, g in conversations.groupby("agent", sort=False):
        scored = g[g["score"].notna() & (g["score"] < 100)]
        low_ids = set(_sorted(scored, ["score", "started_at", "conversation_id"])["conversation_id"].head(lowest))
        for rec in g.to_dict("records"):
            reasons, priority = [], 9
            if rec["auto_failed"]:
                failed = [names.get(c.id, c.id) for c in criteria if c.auto_fail and rec[f"outcome.{c.id}"] == "fail"]
                reasons.append("auto-fail" + (f": {', '.join(failed)}" if failed else ""))
                priority = 0
            checks = set(rec["checks"])
            for a, b in CONFLICTS:
                if a in checks and b in checks:
                    reasons.append(f"conflicting findings: {check_label(a).lower()} and {check_label(b).lower()}")
                    priority = min(priority, 1)
            if rec["conversation_id"] in low_ids:
                reasons.append(f"among the agent's lowest scores ({rec['score']:.1f})")
                priority = min(priority, 2)
            if not reasons:
                continue
            failed_criteria = "; ".join(
                f"{names.get(c.id, c.id)}: {rec[f'reason.{c.id}'] or 'failed'}"
                for c in criteria if rec[f"outcome.{c.id}"] == "fail")
            rows.append({"agent": agent, "slug": rec["slug"], "conversation_id": rec["conversation_id"],
                         "started_at": rec["started_at"], "channel": rec["channel"], "language": rec["language"],
                         "score": rec["score"], "auto_failed": rec["auto_failed"], "priority": priority,
                         "reason": "; ".join(reasons), "failed_criteria": failed_criteria})
    df = pd.DataFrame(rows, columns=cols)
    df["score"] = pd.to_numeric(df["score"], errors="coerce").astype("float64")
    order = {a: i for i, a in enumerate(agents)}
    df["_o"] = df["agent"].map(order)
    return _sorted(df, ["_o", "priority", "score", "started_at", "conversation_id"]).drop(columns=["_o"])


def _run_info(agg: Aggregates) -> list[tuple[str, str, Any]]:
    """(section, key, value) rows for the Run info sheet and the HTML footers."""
    m = agg.manifest or {}
    rub = m.get("rubric", {})
    counts = m.get("counts", {})
    rows: list[tuple[str, str, Any]] = [
        ("Report", "Title", agg.title),
        ("Report", "Scope", f"one agent: {agg.scope}" if agg.scope else "team (all agents)"),
        ("Tool", "Name", m.get("tool", "qa-audit")),
        ("Tool", "Version", m.get("version", "")),
        ("Tool", "Run started (UTC)", m.get("started_at", "")),
        ("Rubric", "Id", rub.get("id", agg.rubric.id)),
        ("Rubric", "Name", rub.get("name", agg.rubric.name)),
        ("Rubric", "Version", rub.get("version", agg.rubric.version)),
        ("Rubric", "sha256", rub.get("sha256", agg.rubric.sha256)),
    ]
    for f in rub.get("files", []):
        rows.append(("Rubric", "File", Path(f).name if agg.scope else f))
    if agg.scope:
        files = sorted(set(agg.conversations["source_file"])) if not agg.conversations.empty else []
        rows += [("Inputs", "File", f) for f in files]
        rows += [
            ("Counts", "Conversations audited", int(len(agg.conversations))),
            ("Counts", "Findings", int(len(agg.findings))),
        ]
        for rec in agg.checks_table.to_dict("records"):
            rows.append(("Findings by check", rec["check"], rec["findings"]))
        rows.append(("Counts", "Rejected input records",
                     "not included: rejected records cannot be attributed to an agent (see the team workbook)"))
    else:
        rows += [("Inputs", "File", f) for f in m.get("inputs", [])]
        for fmt, n in (m.get("formats") or {}).items():
            rows.append(("Inputs", f"Files read as {fmt}", n))
        for key, label in (("read", "Records read"), ("audited", "Conversations audited"),
                           ("rejected", "Rejected input records"), ("messages", "Messages"),
                           ("unknown_role_messages", "Messages with an unknown role"), ("findings", "Findings")):
            if key in counts:
                rows.append(("Counts", label, counts[key]))
        for check, n in (counts.get("findings_by_check") or {}).items():
            rows.append(("Findings by check", check, n))
        for lang, n in (counts.get("languages") or {}).items():
            rows.append(("Languages", lang, n))
        if m.get("mean_score") is not None:
            rows.append(("Scores", "Mean score", m["mean_score"]))
    rows.append(("Notes", "Dates", "local wall-clock times as given in the input (timezone offset removed, "
                 "since Excel has no timezones); weeks start on Monday"))
    for key, value in (m.get("timings_seconds") or {}).items():
        rows.append(("Timings (seconds)", key, value))
    if "reports" not in (m.get("timings_seconds") or {}):
        rows.append(("Timings (seconds)", "reports", "written after this report; see manifest.json"))
    return rows


def aggregate(data: "RunData", lowest_per_agent: int = LOWEST_PER_AGENT) -> Aggregates:
    """Every frame the reports read, computed once."""
    rubric = data.rubric
    criteria_ids = [c.id for c in rubric.criteria]
    names = [c.agent or UNASSIGNED for c in data.conversations]
    slugs = unique_slugs(names)
    agents = sorted(set(names), key=agent_key)
    conv_by_id = {c.id: c for c in data.conversations}
    finding_checks: dict[str, list[str]] = {}
    for f in data.findings:
        finding_checks.setdefault(f.conversation_id, []).append(f.check)
        if f.conversation_id not in conv_by_id:  # cannot happen in a run; keep the finding anyway
            slugs.setdefault(UNASSIGNED, slugify(UNASSIGNED))
    checks = _check_order(rubric, {f.check for f in data.findings})
    conversations = _conversations_frame(data, slugs, criteria_ids, finding_checks)
    findings = _findings_frame(data, conv_by_id, slugs)
    agents = sorted(set(agents) | set(findings["agent"]) if not findings.empty else set(agents), key=agent_key)
    agents_df, crit_df = _agents_frames(conversations, findings, agents, slugs, criteria_ids, checks)
    weeks = sorted({w for w in conversations["week"] if pd.notna(w)}) if not conversations.empty else []
    rejected = pd.DataFrame([r.to_dict() for r in data.rejections], columns=["file", "position", "id", "reason"])
    team_rates = _pass_rates(conversations, criteria_ids)
    team = {
        "conversations": int(len(conversations)),
        "mean_score": _mean(conversations["score"]) if not conversations.empty else None,
        "auto_fails": int(conversations["auto_failed"].sum()) if not conversations.empty else 0,
        "findings": int(len(findings)),
        "positive": int((findings["polarity"] == "positive").sum()) if not findings.empty else 0,
        "negative": int((findings["polarity"] == "negative").sum()) if not findings.empty else 0,
        "pass_rates": {cid: team_rates[cid]["pass_rate"] for cid in criteria_ids},
        "rejected": int(len(rejected)),
    }
    agg = Aggregates(
        title=data.title, rubric=rubric, manifest=data.manifest, checks=checks, slugs=slugs, weeks=weeks,
        conversations=conversations, findings=findings, agents=agents_df, agent_criteria=crit_df,
        checks_table=_checks_table(findings, checks), trend=_trend_frame(conversations, agents),
        team_trend=_team_trend_frame(conversations),
        promises=_promises_frame(findings, agents),
        review=_review_frame(conversations, agents, rubric.criteria, lowest_per_agent),
        rejected=rejected, team=team,
    )
    agg.run_info = _run_info(agg)
    return agg
