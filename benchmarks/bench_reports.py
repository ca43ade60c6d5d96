"""Time the audit and the report step (aggregate, Excel, HTML) on real input, and list the
size of every output file.

    python benchmarks/bench_reports.py ../shared/data/real/helpdesk-en.jsonl [--out DIR] [--split-by-agent]

The audit runs once through run_audit with the machine formats only; the human reports are
then written separately, so the figures do not mix.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from qa_audit.aggregate import aggregate
from qa_audit.ingest.base import IngestOptions
from qa_audit.report.excel import write_excel
from qa_audit.report.html import write_html
from qa_audit.rubric.loader import load_rubric
from qa_audit.run import run_audit


def human(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("inputs", nargs="+", type=Path, help="JSONL files or folders")
    parser.add_argument("--out", type=Path, default=None, help="output folder (default: a temporary folder)")
    parser.add_argument("--split-by-agent", action="store_true", help="also write agents/<slug>.xlsx")
    parser.add_argument("--title", default="qa-audit benchmark")
    args = parser.parse_args(argv)

    out = args.out or Path(tempfile.mkdtemp(prefix="qa-bench-"))
    t0 = time.perf_counter()
    data = run_audit(args.inputs, out, load_rubric(None), IngestOptions(), formats={"jsonl", "csv"},
                     title=args.title)
    audit = time.perf_counter() - t0

    t = time.perf_counter()
    agg = aggregate(data)
    t_agg = time.perf_counter() - t
    t = time.perf_counter()
    write_excel(out, agg, split_by_agent=args.split_by_agent)
    t_xlsx = time.perf_counter() - t
    t = time.perf_counter()
    write_html(out, agg)
    t_html = time.perf_counter() - t
    reports = t_agg + t_xlsx + t_html

    counts = data.manifest["counts"]
    print(f"inputs:        {', '.join(str(p) for p in args.inputs)}")
    print(f"conversations: {counts['audited']} audited, {counts['rejected']} rejected; "
          f"{counts['findings']} findings; {len(agg.agent_names)} agents")
    print(f"audit:         {audit:8.2f} s  (ingest, analysis, checks, scoring, findings.jsonl/conversations.csv)")
    print(f"reports:       {reports:8.2f} s  (aggregate {t_agg:.2f} s, Excel {t_xlsx:.2f} s, HTML {t_html:.2f} s)")
    print(f"output:        {out}")
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        print(f"  {human(path.stat().st_size):>10}  {path.relative_to(out).as_posix()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
