"""The command line as a user runs it: real files on disk, real exit codes, real stderr."""

import csv
import json
import subprocess
import sys

import pytest

GOOD = {"id": "c-1", "channel": "chat", "language": "en", "agent": "Ava",
        "messages": [{"role": "customer", "text": "My order is late and I'm really annoyed."},
                     {"role": "agent", "text": "Order number?"},
                     {"role": "customer", "text": "12345"},
                     {"role": "agent", "text": "I'll send a replacement today, you'll have it by Friday."}]}
GOOD_DE = {"id": "c-2", "channel": "chat", "agent": "Ben",
           "messages": [{"role": "customer", "text": "Mein Paket ist nicht da, das ist eine Frechheit!"},
                        {"role": "agent", "text": "Das tut mir wirklich leid. Ich kümmere mich darum und melde mich bis morgen 12 Uhr."}]}


def qa(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "qa_audit.cli", *map(str, args)],
                          capture_output=True, text=True, cwd=cwd)


@pytest.fixture
def inputs(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join([json.dumps(GOOD), "{not json", json.dumps(GOOD_DE)]) + "\n", encoding="utf-8")
    return path


def test_run_writes_the_four_files_and_accounts_for_a_broken_line(inputs, tmp_path):
    out = tmp_path / "out"
    proc = qa("run", inputs, "--out", out, "--format", "jsonl,csv")
    assert proc.returncode == 0, proc.stderr
    assert "line 2" in proc.stderr and "invalid JSON" in proc.stderr and "Traceback" not in proc.stderr
    for name in ("findings.jsonl", "conversations.csv", "manifest.json", "rejected.jsonl"):
        assert (out / name).is_file(), name
    manifest = json.loads((out / "manifest.json").read_text())
    counts = manifest["counts"]
    assert counts["read"] == 3 and counts["audited"] == 2 and counts["rejected"] == 1
    assert counts["read"] == counts["audited"] + counts["rejected"]
    assert counts["languages"] == {"de": 1, "en": 1}  # c-2 has no language: detected as German
    [rejected] = [json.loads(l) for l in (out / "rejected.jsonl").read_text().splitlines()]
    assert rejected["file"].endswith("in.jsonl") and rejected["position"] == "line 2"
    findings = [json.loads(l) for l in (out / "findings.jsonl").read_text().splitlines()]
    assert findings, "expected findings"
    for f in findings:
        assert {"check", "rule", "message_index", "start", "end", "evidence"} <= set(f)
    texts = {"c-1": GOOD["messages"], "c-2": GOOD_DE["messages"]}
    for f in findings:  # every span quotes the message exactly
        assert texts[f["conversation_id"]][f["message_index"]]["text"][f["start"]:f["end"]] == f["evidence"]
    checks = {(f["conversation_id"], f["message_index"], f["check"]) for f in findings}
    assert ("c-1", 1, "missed_empathy") in checks and ("c-1", 3, "promised_timeline") in checks
    assert ("c-2", 1, "empathy") in checks and ("c-2", 1, "promised_timeline") in checks
    rows = list(csv.DictReader((out / "conversations.csv").open(encoding="utf-8")))
    assert [r["id"] for r in rows] == ["c-1", "c-2"]
    assert rows[0]["empathy_when_upset"] == "fail" and float(rows[1]["score"]) == 100.0


def test_same_input_same_output(inputs, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    assert qa("run", inputs, "--out", a, "--format", "jsonl,csv", "-q").returncode == 0
    assert qa("run", inputs, "--out", b, "--format", "jsonl,csv", "-q").returncode == 0
    for name in ("findings.jsonl", "conversations.csv", "rejected.jsonl"):
        assert (a / name).read_bytes() == (b / name).read_bytes()


def test_fail_under_exits_1(inputs, tmp_path):
    proc = qa("run", inputs, "--out", tmp_path / "o", "--fail-under", "99", "--format", "jsonl")
    assert proc.returncode == 1 and "below --fail-under 99" in proc.stderr
    assert qa("run", inputs, "--out", tmp_path / "o", "--fail-under", "10", "-q", "--format", "jsonl").returncode == 0


@pytest.mark.parametrize("args, message", [
    (["run", "nowhere.jsonl"], "Input 'nowhere.jsonl' does not exist."),
    (["run", "{inputs}", "--language", "fr"], "Unknown language 'fr'"),
    (["run", "{inputs}", "--rubric", "missing.yaml"], "Rubric 'missing.yaml' does not exist."),
    (["run", "{inputs}", "--format", "pdf"], "Unknown output format 'pdf'"),
    (["run", "{inputs}", "--input-format", "docx"], "Unknown input format 'docx'"),
])
def test_usage_errors_exit_2_with_one_sentence(inputs, tmp_path, args, message):
    proc = qa(*[a.replace("{inputs}", str(inputs)) for a in args], "--out", tmp_path / "o")
    assert proc.returncode == 2
    assert message in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_unreadable_rubric_exits_2_naming_file_and_line(inputs, tmp_path):
    bad = tmp_path / "rubric.yaml"
    bad.write_text("id: x\ncriteria: []\nchecks: [\n", encoding="utf-8")
    proc = qa("run", inputs, "--rubric", bad, "--out", tmp_path / "o")
    assert proc.returncode == 2 and f"{bad}:4: invalid YAML" in proc.stderr and "Traceback" not in proc.stderr
    proc = qa("--debug", "run", inputs, "--rubric", bad, "--out", tmp_path / "o")
    assert "Traceback" in proc.stderr


def test_version_and_help():
    from qa_audit import __version__
    assert qa("--version").stdout.strip() == f"qa-audit {__version__}"
    for args in (["--help"], ["run", "--help"], ["rubric", "test", "--help"], ["eval", "--help"], ["formats", "--help"]):
        proc = qa(*args)
        assert proc.returncode == 0 and "Usage" in proc.stdout


def test_formats_lists_the_readers():
    proc = qa("formats")
    assert proc.returncode == 0
    assert "jsonl" in proc.stdout and ".jsonl" in proc.stdout
