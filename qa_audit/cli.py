"""The command line: qa-audit run | rubric test | rubric lint | eval | formats.

Exit codes: 0 done; 1 a threshold was not met; 2 bad usage, unreadable input or rubric.
Errors are one sentence on stderr; a traceback only with --debug.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import List, Optional

import typer

from . import __version__
from .errors import QaAuditError

app = typer.Typer(
    name="qa-audit",
    help="Audit customer-service conversations against a rubric and write coaching reports.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
rubric_app = typer.Typer(help="Test and lint rubric files.", no_args_is_help=True)
app.add_typer(rubric_app, name="rubric")

STATE = {"debug": False}


def _version(value: bool) -> None:
    if value:
        typer.echo(f"qa-audit {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version and exit."),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks for errors."),
) -> None:
    STATE["debug"] = debug


def err(message: str) -> None:
    typer.echo(message, err=True)


def _show_progress(quiet: bool) -> bool:
    return not quiet and sys.stderr.isatty() and not os.environ.get("CI")


@app.command()
def run(
    inputs: List[Path] = typer.Argument(..., help="Files or folders of conversations (folders are walked)."),
    rubric: Optional[Path] = typer.Option(None, "--rubric", "-r", help="Rubric file or folder (default: the built-in rubric)."),
    out: Path = typer.Option(Path("reports/latest"), "--out", "-o", help="Output folder."),
    language: str = typer.Option("auto", "--language", "-l", help="auto (per conversation), en or de."),
    formats: str = typer.Option("xlsx,html,jsonl,csv", "--format", "-f", help="Comma-separated: xlsx, html, jsonl, csv."),
    fail_under: Optional[float] = typer.Option(None, "--fail-under", help="Exit 1 when the mean score is below this."),
    model: Optional[str] = typer.Option(None, "--model", help="An installed trained spaCy pipeline to use instead of the blank one (e.g. de_core_news_sm)."),
    input_format: Optional[str] = typer.Option(None, "--input-format", help="Force one reader (see 'qa-audit formats')."),
    columns: Optional[str] = typer.Option(None, "--columns", help="CSV column mapping, e.g. 'conversation=Ticket ID,text=Body,role=Author Type'."),
    roles: Optional[str] = typer.Option(None, "--roles", help="Role values, e.g. 'agent=Agent,Staff;customer=End-user'."),
    timestamp_format: Optional[str] = typer.Option(None, "--timestamp-format", help="strptime format of CSV timestamps, e.g. '%d.%m.%Y %H:%M'."),
    encoding: Optional[str] = typer.Option(None, "--encoding", help="Force a text encoding (default: detect)."),
    delimiter: Optional[str] = typer.Option(None, "--delimiter", help="Force the CSV delimiter (default: detect)."),
    agent_domain: List[str] = typer.Option([], "--agent-domain", help="Email: an agent address or domain (repeatable)."),
    include_private: bool = typer.Option(False, "--include-private", help="Helpdesk exports: also audit internal notes."),
    report_title: Optional[str] = typer.Option(None, "--report-title", help="Title of the Excel and HTML reports."),
    split_by_agent: bool = typer.Option(False, "--split-by-agent", help="Also write agents/<agent>.xlsx with one agent's data only."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar, no summary; warnings and errors only."),
) -> None:
    """Audit conversations and write findings, scores and reports to --out."""
    from .ingest.base import IngestOptions, parse_mapping, parse_role_values
    from .report import FORMATS
    from .rubric.loader import load_rubric
    from .run import run_audit

    lang = None if language == "auto" else language
    if lang not in (None, "en", "de"):
        raise QaAuditError(f"Unknown language '{language}'; use auto, en or de.")
    chosen = {f.strip().lower() for f in formats.split(",") if f.strip()}
    unknown = chosen - set(FORMATS)
    if unknown or not chosen:
        raise QaAuditError(f"Unknown output format '{', '.join(sorted(unknown)) or formats}'; choose from {', '.join(FORMATS)}.")
    if input_format:
        from .ingest import get_reader
        get_reader(input_format)
    options = IngestOptions(
        language=lang, input_format=input_format, columns=parse_mapping(columns),
        role_values=parse_role_values(roles), timestamp_format=timestamp_format, encoding=encoding,
        delimiter=delimiter, agent_domains=list(agent_domain), include_private=include_private,
    )
    rub = load_rubric(rubric)
    for path in inputs:
        if not path.exists():
            raise QaAuditError(f"Input '{path}' does not exist.")

    def warn(rejection) -> None:
        err(f"warning: {rejection.source}: {rejection.reason} (skipped, see rejected.jsonl)")

    if _show_progress(quiet):
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
        with Progress(SpinnerColumn(), TextColumn("auditing: {task.completed} conversations"),
                      TimeElapsedColumn(), transient=True) as progress:
            task = progress.add_task("audit", total=None)
            data = run_audit(inputs, out, rub, options, model=model, formats=chosen,
                             on_progress=lambda n: progress.update(task, completed=n), on_rejection=warn,
                             title=report_title, split_by_agent=split_by_agent)
    else:
        data = run_audit(inputs, out, rub, options, model=model, formats=chosen, on_rejection=warn,
                         title=report_title, split_by_agent=split_by_agent)
    counts = data.manifest["counts"]
    mean = data.manifest["mean_score"]
    if not quiet:
        by_check = ", ".join(f"{k} {v}" for k, v in counts["findings_by_check"].items()) or "none"
        typer.echo(f"Audited {counts['audited']} of {counts['read']} conversations "
                   f"({counts['rejected']} rejected); {counts['findings']} findings ({by_check}); "
                   f"mean score {mean if mean is not None else 'n/a'}. Output: {out}")
    if fail_under is not None and (mean is None or mean < fail_under):
        err(f"Mean score {mean} is below --fail-under {fail_under}.")
        raise typer.Exit(1)


@app.command()
def formats() -> None:
    """List the input formats, their extensions and fields."""
    from .ingest import READERS
    for reader in READERS:
        typer.echo(f"{reader.name}  ({', '.join(reader.extensions) or 'by content'})")
        typer.echo(f"    {reader.description}")
        typer.echo(f"    fields: {reader.fields}")


@rubric_app.command("test")
def rubric_test(
    rubrics: Optional[List[Path]] = typer.Argument(None, help="Rubric files or folders (default: the built-in rubric)."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="List every example, not only failures."),
) -> None:
    """Run every rule's own examples (match / no_match) like unit tests."""
    from .rubric.loader import load_rubric
    from .rubric.selftest import run_selftest

    failed = 0
    for path in rubrics or [None]:
        rub = load_rubric(path)
        report = run_selftest(rub)
        for line in report.lines(verbose=verbose):
            typer.echo(line)
        failed += report.failed
    raise typer.Exit(1 if failed else 0)


@rubric_app.command("lint")
def rubric_lint(
    rubrics: Optional[List[Path]] = typer.Argument(None, help="Rubric files or folders (default: the built-in rubric)."),
) -> None:
    """Schema and pattern errors, rules without examples, duplicate or shadowed patterns."""
    from .rubric.lint import lint_rubric

    problems = 0
    for path in rubrics or [None]:
        issues = lint_rubric(path)
        for issue in issues:
            typer.echo(str(issue))
        errors = sum(1 for i in issues if i.level == "error")
        warnings = len(issues) - errors
        typer.echo(f"{path or 'default rubric'}: {errors} errors, {warnings} warnings")
        problems += errors
    raise typer.Exit(1 if problems else 0)


@app.command("eval")
def evaluate_cmd(
    gold: List[Path] = typer.Argument(..., help="Labelled conversations (JSONL with per-message 'labels')."),
    rubric: Optional[Path] = typer.Option(None, "--rubric", "-r", help="Rubric file or folder."),
    baseline: Optional[Path] = typer.Option(None, "--baseline", help="Compare with a saved baseline; exit 1 on a drop beyond --margin."),
    update_baseline: bool = typer.Option(False, "--update-baseline", help="Write the figures to --baseline."),
    margin: float = typer.Option(0.02, "--margin", help="How far a figure may drop below the baseline."),
    junit: Optional[Path] = typer.Option(None, "--junit", help="Write a JUnit XML file (one case per check and language)."),
    min_precision: Optional[float] = typer.Option(None, "--min-precision", help="Minimum precision for every check (else the rubric's)."),
    min_recall: Optional[float] = typer.Option(None, "--min-recall", help="Minimum recall for every check (else the rubric's)."),
    as_json: bool = typer.Option(False, "--json", help="Print the figures as JSON."),
    show_errors: int = typer.Option(5, "--show-errors", help="Quoted false positives/negatives per check and language."),
    language: str = typer.Option("auto", "--language", "-l", help="auto, en or de."),
) -> None:
    """Precision, recall and F1 per check and language against labelled conversations."""
    from .evaluate import run_eval_command

    code = run_eval_command(gold, rubric=rubric, baseline=baseline, update_baseline=update_baseline,
                            margin=margin, junit=junit, min_precision=min_precision, min_recall=min_recall,
                            as_json=as_json, show_errors=show_errors,
                            language=None if language == "auto" else language)
    raise typer.Exit(code)


def main() -> None:
    """Entry point: run the Typer app, turning known errors into one sentence and exit 2."""
    args = sys.argv[1:]
    debug = "--debug" in args  # accepted anywhere on the line, not only before the command
    if debug:
        args = ["--debug"] + [a for a in args if a != "--debug"]
    try:
        code = app(args=args, standalone_mode=False)  # a typer.Exit inside a command comes back as its code
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except QaAuditError as exc:
        if debug:
            raise
        err(f"error: {exc}")
        sys.exit(exc.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        err("Aborted.")
        sys.exit(130)
    except Exception as exc:  # click usage errors and anything unexpected
        if hasattr(exc, "show") and hasattr(exc, "exit_code"):  # click's (typer ships its own copy)
            exc.show()
            sys.exit(2)
        if debug:
            raise
        err(f"error: unexpected {type(exc).__name__}: {exc} (run with --debug for the traceback)")
        sys.exit(2)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
