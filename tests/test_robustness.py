"""Odd and broken input never loses the rest of a run, and never prints a traceback."""

import json
import subprocess
import sys
from datetime import date, datetime, timezone


from qa_audit.checks.due_dates import resolve_due_date


def qa(*args):
    return subprocess.run([sys.executable, "-m", "qa_audit.cli", *map(str, args)], capture_output=True, text=True)


def conv(cid, agent_text="I'll send it today.", **extra):
    return {"id": cid, "language": "en", "agent": "Ann",
            "messages": [{"role": "customer", "text": "Where is my parcel?"},
                         {"role": "agent", "text": agent_text}], **extra}


def run_lines(tmp_path, records, *args):
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    proc = qa("run", src, "--out", out, "--format", "jsonl,csv", *args)
    manifest = json.loads((out / "manifest.json").read_text()) if (out / "manifest.json").exists() else None
    rejected = [json.loads(l) for l in (out / "rejected.jsonl").read_text().splitlines()] if manifest else []
    return proc, manifest, rejected


def test_bad_records_are_rejected_one_by_one(tmp_path):
    records = [
        conv("ok-1"),
        conv("huge", "x " * 150_000),                      # longer than any real message
        conv("ok-1"),                                      # duplicate id
        conv("meta", metadata="oops"),                     # metadata must be an object
        conv("fr", language="fr"),                         # unsupported language
        conv("ok-2"),
    ]
    proc, manifest, rejected = run_lines(tmp_path, records)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    counts = manifest["counts"]
    assert counts["audited"] == 2 and counts["rejected"] == 4 and counts["read"] == 6
    reasons = " | ".join(r["reason"] for r in rejected)
    assert "characters" in reasons and "duplicate conversation id 'ok-1'" in reasons
    assert "'metadata' must be an object" in reasons and "language 'fr' is not supported" in reasons


def test_language_the_rubric_lacks_is_rejected_not_scored(tmp_path):
    from qa_audit.rubric.loader import default_rubric_path
    import shutil
    rubric = tmp_path / "rubric"
    shutil.copytree(default_rubric_path().parent, rubric)
    import yaml
    main = yaml.safe_load((rubric / "rubric.yaml").read_text(encoding="utf-8"))
    main["languages"] = ["de"]
    main["negation"].pop("en")
    main["vocab"] = {k: {"de": v["de"]} for k, v in main["vocab"].items() if "de" in v}
    (rubric / "rubric.yaml").write_text(yaml.safe_dump(main, allow_unicode=True), encoding="utf-8")
    for f in (rubric / "checks").glob("*.yaml"):  # keep only the German halves
        doc = yaml.safe_load(f.read_text(encoding="utf-8"))
        for rule in doc["rules"]:
            for key in ("patterns", "suggestion", "examples"):
                if isinstance(rule.get(key), dict):
                    rule[key].pop("en", None)
            for sets in (rule.get("sets") or {}).values():
                sets.pop("en", None)
        f.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    proc, manifest, rejected = run_lines(tmp_path, [conv("en-1")], "--rubric", rubric)
    assert proc.returncode == 0, proc.stderr
    assert manifest["counts"]["audited"] == 0 and manifest["counts"]["rejected"] == 1
    assert "is not one of the rubric's (de)" in rejected[0]["reason"]


def test_mixed_time_zones_and_huge_numbers_do_not_crash(tmp_path):
    record = {"id": "tz", "language": "en", "channel": "chat", "agent": "Ann", "messages": [
        {"role": "customer", "text": "I wanted to ask about my order--", "timestamp": "2026-11-20T10:00:00+01:00"},
        {"role": "agent", "text": "I will send the refund within 99999999 days.", "timestamp": "2026-11-20T10:00:03"}]}
    proc, manifest, _ = run_lines(tmp_path, [record])
    assert proc.returncode == 0, proc.stderr
    assert manifest["counts"]["audited"] == 1


def test_due_dates_far_out_are_unknown_not_errors():
    ref = datetime(2026, 11, 25, tzinfo=timezone.utc)
    assert resolve_due_date("within 99999999 days", ref) is None
    assert resolve_due_date("innerhalb von 9999999 Werktagen", ref) is None
    assert resolve_due_date("within 3 days", ref) == date(2026, 11, 28)


def test_an_empty_agent_message_is_not_the_reply_to_an_upset_customer(audit):
    found = audit(("customer", "WHERE IS MY ORDER??? This is ridiculous!!!"), ("agent", "   "),
                  ("agent", "I'm so sorry, that's really frustrating. Let me look."))
    assert "missed_empathy" not in found.get(1, set()) and "missed_empathy" not in found.get(2, set())


def test_usage_errors_are_one_sentence_and_debug_works_anywhere(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps(conv("a")) + "\n")
    proc = qa("run", src, "--bogus")
    assert proc.returncode == 2 and "No such option" in proc.stderr and "unexpected" not in proc.stderr
    proc = qa("run")
    assert proc.returncode == 2 and "Missing argument" in proc.stderr
    bad = tmp_path / "nope.yaml"
    proc = qa("run", src, "--rubric", bad, "--debug")
    assert proc.returncode != 0 and "Traceback" in proc.stderr
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    proc = qa("run", src, "--out", a_file)
    assert proc.returncode == 2 and "is a file" in proc.stderr and "Traceback" not in proc.stderr


def test_a_broken_pattern_in_any_language_stops_before_output(tmp_path):
    from qa_audit.rubric.loader import default_rubric_path
    import shutil
    rubric = tmp_path / "rubric"
    shutil.copytree(default_rubric_path().parent, rubric)
    path = rubric / "checks" / "deflection.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(
        '- "dafür bin ich [leider|auch|hier] nicht zuständig"', '- "dafür bin ich (nicht zuständig"'), encoding="utf-8")
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps(conv("en-only")) + "\n")  # English input, broken German pattern
    out = tmp_path / "out"
    proc = qa("run", src, "--rubric", rubric, "--out", out)
    assert proc.returncode == 2 and "deflection.yaml:" in proc.stderr and "never closed" in proc.stderr
    assert not (out / "manifest.json").exists()


def test_self_referring_vocabulary_is_a_rubric_error(tmp_path):
    from qa_audit.rubric.loader import default_rubric_path
    import shutil
    rubric = tmp_path / "rubric"
    shutil.copytree(default_rubric_path().parent, rubric)
    path = rubric / "rubric.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "  backchannel:\n", "  loop:\n    en: ['@loop']\n    de: ['@loop']\n  backchannel:\n"), encoding="utf-8")
    rules = rubric / "checks" / "deflection.yaml"
    rules.write_text(rules.read_text(encoding="utf-8").replace('- "ask in (our|the) community"', '- "ask @loop"'), encoding="utf-8")
    proc = qa("rubric", "lint", rubric)
    assert proc.returncode == 1 and "refers to itself" in proc.stdout


def test_eval_names_an_unknown_gold_label(tmp_path):
    record = conv("g")
    record["messages"][1]["labels"] = ["defensive_langauge"]
    gold = tmp_path / "gold.jsonl"
    gold.write_text(json.dumps(record) + "\n")
    proc = qa("eval", gold)
    assert proc.returncode == 2 and "unknown label 'defensive_langauge'" in proc.stderr
