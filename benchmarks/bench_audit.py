"""Audit speed and memory on a JSONL file: conversations and messages per second, and peak
memory as the number of conversations grows (it should stay flat while ingest streams).

    python benchmarks/bench_audit.py ../shared/data/real/helpdesk-en.jsonl [--repeat 3]

Prints figures only; nothing here is a test.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
import tracemalloc
from itertools import islice
from pathlib import Path

from qa_audit.audit import Auditor
from qa_audit.ingest import IngestStats, iter_conversations
from qa_audit.ingest.base import IngestOptions
from qa_audit.model import Conversation
from qa_audit.rubric.loader import load_rubric


def conversations(path: Path, limit: int | None = None, repeat: int = 1):
    """The file's conversations, `repeat` times over (ids made unique), streamed."""
    def stream():
        for r in range(repeat):
            for item in iter_conversations([path], IngestOptions(), IngestStats()):
                if isinstance(item, Conversation):
                    if r:
                        item.id = f"{item.id}~{r}"
                    yield item
    return islice(stream(), limit) if limit else stream()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("--repeat", type=int, default=1, help="read the file this many times over")
    args = parser.parse_args()

    t0 = time.perf_counter()
    rubric = load_rubric()
    auditor = Auditor(rubric)
    for lang in rubric.languages:
        auditor.compiled(lang)
    print(f"rubric load + pipelines + matchers: {time.perf_counter() - t0:.2f} s")

    n_conv = n_msg = n_find = 0
    t1 = time.perf_counter()
    for result in auditor.audit(conversations(args.file, repeat=args.repeat)):
        n_conv += 1
        n_msg += len(result.conversation.messages)
        n_find += len(result.findings)
    dt = time.perf_counter() - t1
    print(f"audited {n_conv} conversations, {n_msg} messages, {n_find} findings in {dt:.2f} s: "
          f"{n_conv / dt:.0f} conversations/s, {n_msg / dt:.0f} messages/s")

    # memory while streaming: the audit keeps nothing per conversation
    print("peak traced memory of the audit loop by conversations audited (should stay flat):")
    for limit in (250, 500, 1000, 2000):
        tracemalloc.start()
        for _ in auditor.audit(conversations(args.file, limit=limit, repeat=4)):
            pass
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"  {limit:>5} conversations: {peak / 2**20:6.1f} MiB")
    print(f"max RSS of the process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    sys.exit(main())
