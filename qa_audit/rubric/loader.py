"""Load a rubric from YAML and validate every field; errors name file, line and field."""

from __future__ import annotations

import hashlib
from importlib import resources
from pathlib import Path
from typing import Any

from ..errors import RubricError
from .schema import (CHECK_IDS, GUARDS, KINDS, SEVERITIES, SPEAKERS, Criterion, Example, Rubric,
                     Rule)
from .yamlsource import LineDict, line_of, load_yaml

DEFAULT_SEVERITY = {"positive": "info", "negative": "major"}


def default_rubric_path() -> Path:
    return Path(str(resources.files("qa_audit") / "rubrics" / "default" / "rubric.yaml"))


def resolve_rubric_path(path: str | Path | None) -> Path:
    if path is None:
        return default_rubric_path()
    p = Path(path)
    if p.is_dir():
        p = p / "rubric.yaml"
    if not p.exists():
        raise RubricError(f"Rubric '{path}' does not exist.")
    return p


class _Errors:
    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, file: str, line: int, msg: str) -> None:
        self.items.append(f"{file}:{line}: {msg}")

    def raise_if_any(self) -> None:
        if self.items:
            more = f" (and {len(self.items) - 1} more; run 'qa-audit rubric lint')" if len(self.items) > 1 else ""
            err = RubricError(self.items[0] + more)
            err.all_errors = list(self.items)  # type: ignore[attr-defined]
            raise err


def load_rubric(path: str | Path | None = None) -> Rubric:
    """Read rubric.yaml and the rule files it includes; raise RubricError on any problem."""
    main = resolve_rubric_path(path)
    errors = _Errors()
    doc = load_yaml(main)
    f = str(main)
    if not isinstance(doc, dict):
        raise RubricError(f"{f}:1: a rubric must be a mapping with id, criteria and checks.")
    _unknown_keys(doc, {"id", "name", "version", "languages", "vocab", "negation", "criteria", "checks", "thresholds"}, f, "rubric", errors)
    languages = _str_list(doc, "languages", f, errors, default=["en", "de"])
    vocab = _lang_lists(doc.get("vocab") or {}, f, "vocab", errors, languages, allow_any_key=True)
    negation = _lang_map(doc.get("negation") or {}, f, "negation", errors, languages)
    criteria = [_criterion(c, f, i, errors) for i, c in enumerate(_list(doc, "criteria", f, errors))]
    files = [str(main)]
    digest = hashlib.sha256(main.read_bytes())
    rules: list[Rule] = []
    for i, rel in enumerate(_list(doc, "checks", f, errors)):
        if not isinstance(rel, str):
            errors.add(f, line_of(doc["checks"], i), "checks: each entry must be a file name")
            continue
        rule_path = (main.parent / rel).resolve()
        if not rule_path.is_file():
            errors.add(f, line_of(doc["checks"], i), f"checks: file '{rel}' does not exist")
            continue
        files.append(str(rule_path))
        digest.update(rule_path.read_bytes())
        rule_doc = load_yaml(rule_path)
        rf = str(rule_path)
        if not isinstance(rule_doc, dict) or not isinstance(rule_doc.get("rules"), list):
            errors.add(rf, 1, "a check file must have a 'rules' list")
            continue
        for j, raw in enumerate(rule_doc["rules"]):
            rule = _rule(raw, rf, line_of(rule_doc["rules"], j), errors, languages)
            if rule:
                rules.append(rule)
    seen: dict[str, Rule] = {}
    for rule in rules:
        if rule.id in seen:
            errors.add(rule.file, rule.line, f"rule id '{rule.id}' is used twice (also {seen[rule.id].file}:{seen[rule.id].line})")
        seen[rule.id] = rule
    produced = {c for r in rules for c in r.checks}
    for crit in criteria:
        for check in crit.fails_on + crit.applies_checks + crit.unless_later:
            if check not in CHECK_IDS:
                errors.add(f, crit.line, f"criterion '{crit.id}': unknown check id '{check}'")
    for rule in rules:
        for check in rule.yields_to:
            if check not in produced:
                errors.add(rule.file, rule.line, f"rule '{rule.id}': yields_to '{check}' but no rule produces it")
    thresholds = _thresholds(doc.get("thresholds") or {}, f, errors)
    errors.raise_if_any()
    return Rubric(
        id=str(doc.get("id") or main.parent.name),
        name=str(doc.get("name") or doc.get("id") or "rubric"),
        version=str(doc.get("version") or "0"),
        languages=languages,
        criteria=criteria,
        rules=rules,
        vocab=vocab,
        negation=negation,
        files=files,
        sha256=digest.hexdigest(),
        thresholds=thresholds,
    )


def _thresholds(raw: Any, f: str, errors: _Errors) -> dict[str, dict[str, float]]:
    """thresholds: {default: {precision: 0.9, recall: 0.85}, missed_empathy: {recall: 0.8}}"""
    out: dict[str, dict[str, float]] = {}
    if not isinstance(raw, dict):
        errors.add(f, getattr(raw, "line", 0), "thresholds must map 'default' or check ids to {precision, recall}")
        return out
    for key, value in raw.items():
        if key != "default" and key not in CHECK_IDS:
            errors.add(f, line_of(raw, key), f"thresholds: '{key}' is neither 'default' nor a check id")
            continue
        if not isinstance(value, dict):
            errors.add(f, line_of(raw, key), f"thresholds.{key} must have precision and/or recall")
            continue
        for metric, number in value.items():
            if metric not in ("precision", "recall") or isinstance(number, bool) or not isinstance(number, (int, float)) or not 0 <= number <= 1:
                errors.add(f, line_of(value, metric), f"thresholds.{key}.{metric}: expected precision or recall between 0 and 1")
                continue
            out.setdefault(key, {})[metric] = float(number)
    return out


# ---- field readers -------------------------------------------------------------------------

def _unknown_keys(obj: dict, allowed: set[str], f: str, what: str, errors: _Errors) -> None:
    for key in obj:
        if key not in allowed:
            errors.add(f, line_of(obj, key), f"{what}: unknown field '{key}' (allowed: {', '.join(sorted(allowed))})")


def _list(obj: dict, key: str, f: str, errors: _Errors) -> list:
    value = obj.get(key)
    if value is None:
        errors.add(f, getattr(obj, "line", 1), f"missing field '{key}'")
        return []
    if not isinstance(value, list):
        errors.add(f, line_of(obj, key), f"field '{key}' must be a list")
        return []
    return value


def _str_list(obj: dict, key: str, f: str, errors: _Errors, default: list[str] | None = None) -> list[str]:
    value = obj.get(key, default if default is not None else [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        errors.add(f, line_of(obj, key), f"field '{key}' must be a list of strings")
        return []
    return list(value)


def _lang_lists(obj: Any, f: str, what: str, errors: _Errors, languages: list[str],
                allow_any_key: bool = False) -> dict:
    """{name: {lang: [patterns]}} (vocab) or {lang: [patterns]} (a set)."""
    if not isinstance(obj, dict):
        errors.add(f, getattr(obj, "line", 0), f"{what} must be a mapping")
        return {}
    out: dict = {}
    for name, value in obj.items():
        out[name] = _lang_map(value, f, f"{what}.{name}", errors, languages)
    return out


def _lang_map(obj: Any, f: str, what: str, errors: _Errors, languages: list[str]) -> dict[str, list[str]]:
    if not isinstance(obj, dict):
        errors.add(f, getattr(obj, "line", 0), f"{what} must map languages ({', '.join(languages)}) to lists of patterns")
        return {}
    out: dict[str, list[str]] = {}
    for lang, patterns in obj.items():
        if lang not in languages:
            errors.add(f, line_of(obj, lang), f"{what}: language '{lang}' is not one of {', '.join(languages)}")
            continue
        if isinstance(patterns, str):
            patterns = [patterns]
        if not isinstance(patterns, list) or not all(isinstance(p, str) for p in patterns):
            errors.add(f, line_of(obj, lang), f"{what}.{lang} must be a list of strings")
            continue
        out[lang] = list(patterns)
    return out


def _criterion(raw: Any, f: str, i: int, errors: _Errors) -> Criterion:
    line = getattr(raw, "line", 0)
    if not isinstance(raw, dict):
        errors.add(f, line, f"criteria[{i}] must be a mapping")
        raw = LineDict()
    _unknown_keys(raw, {"id", "name", "weight", "fails_on", "applies", "unless_later", "auto_fail", "description"}, f, f"criterion {raw.get('id', i)}", errors)
    cid = raw.get("id")
    if not isinstance(cid, str) or not cid:
        errors.add(f, line, f"criteria[{i}]: missing field 'id'")
        cid = f"criterion-{i}"
    weight = raw.get("weight", 1)
    if isinstance(weight, bool) or not isinstance(weight, (int, float)) or weight <= 0:
        errors.add(f, line_of(raw, "weight"), f"criterion '{cid}': field 'weight' must be a positive number")
        weight = 1
    applies = raw.get("applies", "always")
    applies_checks: list[str] = []
    if isinstance(applies, dict) and set(applies) == {"when_any"}:
        applies_checks = applies["when_any"] or []
        if not isinstance(applies_checks, list) or not all(isinstance(c, str) for c in applies_checks):
            errors.add(f, line_of(raw, "applies"), f"criterion '{cid}': 'applies: when_any' must be a list of check ids")
            applies_checks = []
        applies = "when_any"
    elif applies not in ("always", "when_customer_upset"):
        errors.add(f, line_of(raw, "applies"), f"criterion '{cid}': field 'applies' must be 'always', 'when_customer_upset' or {{when_any: [checks]}}")
        applies = "always"
    auto_fail = raw.get("auto_fail", False)
    if not isinstance(auto_fail, bool):
        errors.add(f, line_of(raw, "auto_fail"), f"criterion '{cid}': field 'auto_fail' must be true or false")
        auto_fail = False
    return Criterion(
        id=cid, name=str(raw.get("name") or cid), weight=float(weight),
        fails_on=_str_list(raw, "fails_on", f, errors), applies=applies, applies_checks=applies_checks,
        unless_later=_str_list(raw, "unless_later", f, errors), auto_fail=auto_fail,
        description=str(raw.get("description") or ""), line=line,
    )


RULE_FIELDS = {"id", "check", "kind", "message", "severity", "speaker", "guards", "yields_to",
               "patterns", "sets", "params", "suggestion", "link", "examples"}


def _rule(raw: Any, f: str, line: int, errors: _Errors, languages: list[str]) -> Rule | None:
    if not isinstance(raw, dict):
        errors.add(f, line, "a rule must be a mapping")
        return None
    rid = raw.get("id")
    if not isinstance(rid, str) or not rid:
        errors.add(f, line, "rule: missing field 'id'")
        return None
    where = f"rule '{rid}'"
    _unknown_keys(raw, RULE_FIELDS, f, where, errors)
    check = raw.get("check")
    if check not in CHECK_IDS:
        errors.add(f, line_of(raw, "check"), f"{where}: field 'check' must be one of {', '.join(CHECK_IDS)} (got {check!r})")
        return None
    kind = raw.get("kind", "phrase")
    if kind not in KINDS:
        errors.add(f, line_of(raw, "kind"), f"{where}: field 'kind' must be one of {', '.join(KINDS)} (got {kind!r})")
        return None
    spec = KINDS[kind]
    from .schema import POLARITY
    severity = raw.get("severity", DEFAULT_SEVERITY[POLARITY[check]])
    if severity not in SEVERITIES:
        errors.add(f, line_of(raw, "severity"), f"{where}: field 'severity' must be one of {', '.join(SEVERITIES)}")
    speaker = raw.get("speaker", "agent")
    if speaker not in SPEAKERS:
        errors.add(f, line_of(raw, "speaker"), f"{where}: field 'speaker' must be one of {', '.join(SPEAKERS)}")
    guards = _str_list(raw, "guards", f, errors)
    for g in guards:
        if g not in GUARDS:
            errors.add(f, line_of(raw, "guards"), f"{where}: unknown guard '{g}' (known: {', '.join(GUARDS)})")
    yields_to = _str_list(raw, "yields_to", f, errors)
    sets: dict[str, dict[str, list[str]]] = {}
    if "patterns" in raw:
        sets["patterns"] = _lang_map(raw["patterns"], f, f"{where}: patterns", errors, languages)
    raw_sets = raw.get("sets") or {}
    if not isinstance(raw_sets, dict):
        errors.add(f, line_of(raw, "sets"), f"{where}: field 'sets' must be a mapping")
        raw_sets = {}
    allowed_sets = set(spec["sets"]) | set(spec["optional_sets"])
    for name, value in raw_sets.items():
        if name not in allowed_sets or name == "patterns":
            errors.add(f, line_of(raw_sets, name), f"{where}: a {kind} rule has no set '{name}' (allowed: {', '.join(sorted(allowed_sets - {'patterns'}))})")
            continue
        sets[name] = _lang_map(value, f, f"{where}: sets.{name}", errors, languages)
    for name in spec["sets"]:
        if name not in sets:
            field_name = "patterns" if name == "patterns" else f"sets.{name}"
            errors.add(f, line, f"{where}: missing field '{field_name}'")
        else:
            for lang in languages:
                if not sets[name].get(lang):
                    errors.add(f, line, f"{where}: '{name}' has no patterns for language '{lang}'")
    params = dict(spec["params"])
    raw_params = raw.get("params") or {}
    if not isinstance(raw_params, dict):
        errors.add(f, line_of(raw, "params"), f"{where}: field 'params' must be a mapping")
        raw_params = {}
    for key, value in raw_params.items():
        if key not in params:
            errors.add(f, line_of(raw_params, key), f"{where}: unknown parameter '{key}' for a {kind} rule (known: {', '.join(params) or 'none'})")
        elif type(params[key]) is not type(value) and not (isinstance(params[key], float) and isinstance(value, int)):
            errors.add(f, line_of(raw_params, key), f"{where}: parameter '{key}' must be a {type(params[key]).__name__}")
        else:
            params[key] = value
    if kind == "promise" and params["vague_check"] not in CHECK_IDS:
        errors.add(f, line_of(raw_params, "vague_check"), f"{where}: parameter 'vague_check' must be a check id")
    suggestion = raw.get("suggestion") or {}
    if isinstance(suggestion, str):
        suggestion = {lang: suggestion for lang in languages}
    if not isinstance(suggestion, dict) or not all(isinstance(v, str) for v in suggestion.values()):
        errors.add(f, line_of(raw, "suggestion"), f"{where}: field 'suggestion' must map languages to text")
        suggestion = {}
    pattern_lines: dict[tuple[str, str, int], int] = {}
    for name in sets:
        source = raw.get("patterns") if name == "patterns" else raw_sets.get(name)
        for lang in sets[name]:
            items = source.get(lang) if isinstance(source, dict) else None
            for i in range(len(sets[name][lang])):
                pattern_lines[(name, lang, i)] = line_of(items, i) or line_of(source, lang) or line
    match, no_match = _examples(raw.get("examples"), f, line_of(raw, "examples") or line, where, errors, languages)
    return Rule(
        id=rid, check=check, kind=kind, message=str(raw.get("message") or ""),
        severity=severity, speaker=speaker, guards=guards, yields_to=yields_to, sets=sets,
        params=params, suggestion=dict(suggestion), link=str(raw.get("link") or ""),
        match=match, no_match=no_match, file=f, line=line, pattern_lines=pattern_lines,
    )


def _examples(raw: Any, f: str, line: int, where: str, errors: _Errors, languages: list[str]):
    match: dict[str, list[Example]] = {}
    no_match: dict[str, list[Example]] = {}
    if raw is None:
        return match, no_match  # reported by lint and by 'rubric test' as a rule without examples
    if not isinstance(raw, dict):
        errors.add(f, line, f"{where}: field 'examples' must map languages to match/no_match lists")
        return match, no_match
    for lang, block in raw.items():
        if lang not in languages:
            errors.add(f, line_of(raw, lang), f"{where}: examples: language '{lang}' is not one of {', '.join(languages)}")
            continue
        if not isinstance(block, dict):
            errors.add(f, line_of(raw, lang), f"{where}: examples.{lang} must have 'match' and 'no_match' lists")
            continue
        for key, target in (("match", match), ("no_match", no_match)):
            items = block.get(key) or []
            if not isinstance(items, list):
                errors.add(f, line_of(block, key), f"{where}: examples.{lang}.{key} must be a list")
                continue
            for k, item in enumerate(items):
                ex = _example(item, f, line_of(items, k), where, errors)
                if ex:
                    target.setdefault(lang, []).append(ex)
        for key in block:
            if key not in ("match", "no_match"):
                errors.add(f, line_of(block, key), f"{where}: examples.{lang}: unknown field '{key}' (use match / no_match)")
    return match, no_match


def _example(item: Any, f: str, line: int, where: str, errors: _Errors) -> Example | None:
    if isinstance(item, str):
        return Example(text=item, line=line)
    if isinstance(item, dict):
        if "messages" in item:
            msgs = item["messages"]
            if not isinstance(msgs, list) or not all(isinstance(m, dict) and isinstance(m.get("text"), str) for m in msgs):
                errors.add(f, line, f"{where}: example 'messages' must be a list of {{role, text}}")
                return None
            expect = item.get("expect", [])
            if isinstance(expect, int):
                expect = [expect]
            return Example(messages=[dict(m) for m in msgs], expect=list(expect), check=item.get("check"), line=line)
        if isinstance(item.get("text"), str):
            check = item.get("check")
            if check is not None and check not in CHECK_IDS:
                errors.add(f, line, f"{where}: example check '{check}' is not a check id")
            return Example(text=item["text"], check=check, line=line)
    errors.add(f, line, f"{where}: an example is a sentence, {{text, check}} or {{messages, expect}}")
    return None
