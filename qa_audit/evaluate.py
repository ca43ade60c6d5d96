"""Score a rubric against labelled (gold) conversations: precision, recall, F1 per check and
language at the message level, the errors quoted, Cohen's kappa of criterion outcomes,
JUnit XML, thresholds, and a baseline to catch regressions."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable
from xml.etree import ElementTree as ET

from .audit import Auditor
from .errors import QaAuditError
from .ingest import IngestStats, iter_conversations
from .ingest.base import IngestOptions
from .model import Conversation, Rejection
from .rubric.loader import load_rubric
from .rubric.schema import CHECK_IDS, Rubric
from .scoring import Mark, judge

DEFAULT_MIN_PRECISION = 0.90
DEFAULT_MIN_RECALL = 0.85


@dataclass
class Example:
    conversation_id: str
    message_index: int
    text: str
    evidence: str = ""
    rule: str = ""


@dataclass
class Cell:
    """Counts for one check in one language."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    false_positives: list[Example] = field(default_factory=list)
    false_negatives: list[Example] = field(default_factory=list)

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    @property
    def f1(self) -> float | None:
        p, r = self.precision, self.recall
        if p is None or r is None or p + r == 0:
            return None if p is None and r is None else 0.0
        return 2 * p * r / (p + r)


@dataclass
class EvalResult:
    cells: dict[tuple[str, str], Cell]  # (check, language)
    kappa: float | None
    kappa_by_criterion: dict[str, float | None]
    conversations: int
    messages: int
    rejected: list[Rejection]

    def figures(self) -> dict[str, dict[str, dict[str, Any]]]:
        out: dict[str, dict[str, dict[str, Any]]] = {}
        for (check, lang), c in sorted(self.cells.items()):
            out.setdefault(check, {})[lang] = {
                "precision": _r(c.precision), "recall": _r(c.recall), "f1": _r(c.f1),
                "tp": c.tp, "fp": c.fp, "fn": c.fn, "support": c.tp + c.fn,
            }
        return out


def _r(x: float | None) -> float | None:
    return None if x is None else round(x, 4)


def cohen_kappa(pairs: list[tuple[str, str]]) -> float | None:
    """Cohen's kappa of two raters' categorical labels; None without data, 1.0 when both
    raters always agree on a single category."""
    n = len(pairs)
    if not n:
        return None
    agree = sum(1 for a, b in pairs if a == b) / n
    ca, cb = Counter(a for a, _ in pairs), Counter(b for _, b in pairs)
    expected = sum(ca[k] * cb.get(k, 0) for k in ca) / (n * n)
    if expected == 1.0:
        return 1.0
    return (agree - expected) / (1 - expected)


def evaluate(conversations: Iterable[Conversation], rubric: Rubric, language: str | None = None,
             rejected: list[Rejection] | None = None) -> EvalResult:
    auditor = Auditor(rubric, language=language)
    cells: dict[tuple[str, str], Cell] = defaultdict(Cell)
    outcome_pairs: dict[str, list[tuple[str, str]]] = defaultdict(list)
    n_conv = n_msg = 0
    for result in auditor.audit(conversations):
        conv = result.conversation
        lang = result.language
        n_conv += 1
        predicted: dict[int, dict[str, Any]] = defaultdict(dict)
        for f in result.findings:
            predicted[f.message_index][f.check] = f
        gold_marks: list[Mark] = []
        for m in conv.messages:
            n_msg += 1
            gold = set(m.labels) & set(CHECK_IDS)
            gold_marks.extend(Mark(m.index, c) for c in gold)
            pred = set(predicted.get(m.index, {}))
            for check in CHECK_IDS:
                cell = cells[(check, lang)]
                if check in gold and check in pred:
                    cell.tp += 1
                elif check in pred:
                    cell.fp += 1
                    f = predicted[m.index][check]
                    cell.false_positives.append(Example(conv.id, m.index, m.text, f.evidence, f.rule))
                elif check in gold:
                    cell.fn += 1
                    cell.false_negatives.append(Example(conv.id, m.index, m.text))
        # criterion outcomes: the labels scored like findings, against what the rubric decided
        upset = bool(result.signals.get("customer_upset"))
        predicted_outcomes = {c.criterion: c.outcome for c in result.criteria}
        for crit in rubric.criteria:
            gold_outcome, _ = judge(crit, sorted(set(gold_marks), key=lambda m: (m.message_index, m.check)), upset)
            outcome_pairs[crit.id].append((gold_outcome, predicted_outcomes[crit.id]))
    all_pairs = [p for pairs in outcome_pairs.values() for p in pairs]
    return EvalResult(
        cells=dict(cells), kappa=cohen_kappa(all_pairs),
        kappa_by_criterion={k: cohen_kappa(v) for k, v in sorted(outcome_pairs.items())},
        conversations=n_conv, messages=n_msg, rejected=rejected or [],
    )


def load_gold(paths: list[Path], language: str | None = None) -> tuple[list[Conversation], list[Rejection]]:
    convs: list[Conversation] = []
    rejected: list[Rejection] = []
    for item in iter_conversations(paths, IngestOptions(language=language), IngestStats()):
        (rejected if isinstance(item, Rejection) else convs).append(item)  # type: ignore[arg-type]
    if not convs:
        raise QaAuditError("No labelled conversations could be read from the gold files.")
    for conv in convs:
        for m in conv.messages:
            unknown = sorted(set(m.labels) - set(CHECK_IDS))
            if unknown:
                raise QaAuditError(f"{conv.source}: conversation {conv.id}, message {m.index}: unknown label "
                                   f"'{unknown[0]}' (labels are check ids: {', '.join(CHECK_IDS)}).")
    if not any(m.labels for c in convs for m in c.messages):
        raise QaAuditError("The gold files carry no 'labels' on any message; nothing to evaluate against.")
    return convs, rejected


# ---- thresholds, baseline, output ----------------------------------------------------------

def minimums(rubric: Rubric, check: str, min_precision: float | None, min_recall: float | None) -> tuple[float, float]:
    per = rubric.thresholds.get(check, {})
    default = rubric.thresholds.get("default", {})
    p = min_precision if min_precision is not None else per.get("precision", default.get("precision", DEFAULT_MIN_PRECISION))
    r = min_recall if min_recall is not None else per.get("recall", default.get("recall", DEFAULT_MIN_RECALL))
    return float(p), float(r)


def threshold_failures(result: EvalResult, rubric: Rubric, min_precision: float | None,
                       min_recall: float | None) -> dict[tuple[str, str], list[str]]:
    failures: dict[tuple[str, str], list[str]] = {}
    for (check, lang), cell in sorted(result.cells.items()):
        p_min, r_min = minimums(rubric, check, min_precision, min_recall)
        msgs = []
        if cell.precision is not None and cell.precision < p_min:
            msgs.append(f"precision {cell.precision:.3f} < {p_min:.2f}")
        if cell.recall is not None and cell.recall < r_min:
            msgs.append(f"recall {cell.recall:.3f} < {r_min:.2f}")
        if msgs:
            failures[(check, lang)] = msgs
    return failures


def baseline_regressions(result: EvalResult, baseline: dict[str, Any], margin: float) -> dict[tuple[str, str], list[str]]:
    out: dict[tuple[str, str], list[str]] = {}
    figures = result.figures()
    for check, langs in baseline.get("checks", {}).items():
        for lang, old in langs.items():
            new = figures.get(check, {}).get(lang)
            for metric in ("precision", "recall", "f1"):
                before = old.get(metric)
                after = None if new is None else new.get(metric)
                if before is None:
                    continue
                if after is None or after < before - margin:
                    out.setdefault((check, lang), []).append(
                        f"{metric} fell from {before:.3f} to {'n/a' if after is None else f'{after:.3f}'}")
    if baseline.get("kappa") is not None and (result.kappa is None or result.kappa < baseline["kappa"] - margin):
        out.setdefault(("criteria", "all"), []).append(
            f"kappa fell from {baseline['kappa']:.3f} to {result.kappa if result.kappa is None else round(result.kappa, 3)}")
    return out


def write_junit(path: Path, result: EvalResult, failures: dict[tuple[str, str], list[str]]) -> None:
    suite = ET.Element("testsuite", name="qa-audit eval", tests="0", failures="0")
    count = failed = 0
    for (check, lang), cell in sorted(result.cells.items()):
        if cell.tp + cell.fp + cell.fn == 0:
            continue
        count += 1
        case = ET.SubElement(suite, "testcase", classname=f"qa_audit.eval.{lang}", name=f"{check}[{lang}]")
        props = (f"precision={_fmt(cell.precision)} recall={_fmt(cell.recall)} f1={_fmt(cell.f1)} "
                 f"tp={cell.tp} fp={cell.fp} fn={cell.fn}")
        ET.SubElement(case, "system-out").text = props
        if (check, lang) in failures:
            failed += 1
            fail = ET.SubElement(case, "failure", message=f"{check}[{lang}]: " + "; ".join(failures[(check, lang)]))
            fail.text = props + "\n" + "\n".join(
                [f"FP {e.conversation_id}#{e.message_index}: {e.text[:200]}" for e in cell.false_positives[:10]]
                + [f"FN {e.conversation_id}#{e.message_index}: {e.text[:200]}" for e in cell.false_negatives[:10]])
    for key, msgs in failures.items():
        if key[0] == "criteria":
            count += 1
            failed += 1
            case = ET.SubElement(suite, "testcase", classname="qa_audit.eval", name="criteria[kappa]")
            ET.SubElement(case, "failure", message="; ".join(msgs))
    suite.set("tests", str(count))
    suite.set("failures", str(failed))
    path.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(suite).write(path, encoding="utf-8", xml_declaration=True)


def _fmt(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.3f}"


def render_table(result: EvalResult, failures: dict[tuple[str, str], list[str]], show_errors: int) -> list[str]:
    lines = [f"{'check':<20} {'lang':<4} {'P':>6} {'R':>6} {'F1':>6} {'TP':>4} {'FP':>4} {'FN':>4}"]
    for (check, lang), c in sorted(result.cells.items()):
        if c.tp + c.fp + c.fn == 0:
            continue
        mark = "  FAIL: " + "; ".join(failures[(check, lang)]) if (check, lang) in failures else ""
        lines.append(f"{check:<20} {lang:<4} {_fmt(c.precision):>6} {_fmt(c.recall):>6} {_fmt(c.f1):>6} "
                     f"{c.tp:>4} {c.fp:>4} {c.fn:>4}{mark}")
    k = "n/a" if result.kappa is None else f"{result.kappa:.3f}"
    lines.append(f"criterion outcomes: Cohen's kappa {k} over {result.conversations} conversations "
                 + "(" + ", ".join(f"{c} {_fmt(v)}" for c, v in result.kappa_by_criterion.items()) + ")")
    if show_errors:
        for (check, lang), c in sorted(result.cells.items()):
            for label, items in (("false positive", c.false_positives), ("false negative", c.false_negatives)):
                for e in items[:show_errors]:
                    ev = f" [rule {e.rule}: \"{e.evidence[:80]}\"]" if e.evidence else ""
                    lines.append(f"  {check}[{lang}] {label} {e.conversation_id}#{e.message_index}: "
                                 f"\"{' '.join(e.text.split())[:160]}\"{ev}")
    return lines


def run_eval_command(gold: list[Path], rubric: Path | None, baseline: Path | None, update_baseline: bool,
                     margin: float, junit: Path | None, min_precision: float | None, min_recall: float | None,
                     as_json: bool, show_errors: int, language: str | None) -> int:
    rub = load_rubric(rubric)
    for p in gold:
        if not p.exists():
            raise QaAuditError(f"Gold file '{p}' does not exist.")
    convs, rejected = load_gold(gold, language)
    result = evaluate(convs, rub, language, rejected)
    failures = threshold_failures(result, rub, min_precision, min_recall)
    regressions: dict[tuple[str, str], list[str]] = {}
    if baseline and not update_baseline:
        if not baseline.exists():
            raise QaAuditError(f"Baseline '{baseline}' does not exist; create it with --update-baseline.")
        try:
            regressions = baseline_regressions(result, json.loads(baseline.read_text(encoding="utf-8")), margin)
        except (json.JSONDecodeError, AttributeError):
            raise QaAuditError(f"Baseline '{baseline}' is not a qa-audit baseline JSON file.") from None
    all_failures = {k: failures.get(k, []) + regressions.get(k, []) for k in set(failures) | set(regressions)}
    if junit:
        write_junit(junit, result, all_failures)
    if baseline and update_baseline:
        baseline.parent.mkdir(parents=True, exist_ok=True)
        baseline.write_text(json.dumps({"rubric": rub.id, "rubric_sha256": rub.sha256, "checks": result.figures(),
                                        "kappa": _r(result.kappa)}, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    if as_json:
        print(json.dumps({
            "conversations": result.conversations, "messages": result.messages,
            "rejected": [r.to_dict() for r in rejected],
            "checks": result.figures(), "kappa": _r(result.kappa),
            "kappa_by_criterion": {k: _r(v) for k, v in result.kappa_by_criterion.items()},
            "failures": {f"{c}[{l}]": m for (c, l), m in sorted(all_failures.items())},
        }, indent=2, ensure_ascii=False))
    else:
        for line in render_table(result, all_failures, show_errors):
            print(line)
        for r in rejected:
            print(f"warning: {r.source}: {r.reason}")
        if regressions:
            print("regressions against the baseline: " + "; ".join(
                f"{c}[{l}] " + ", ".join(m) for (c, l), m in sorted(regressions.items())))
    return 1 if all_failures else 0
