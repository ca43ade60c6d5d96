"""Errors the user sees as one clear sentence (no traceback unless --debug)."""


class QaAuditError(Exception):
    """A problem the user can fix; the CLI prints it as one sentence and exits 2."""

    exit_code = 2


class RubricError(QaAuditError):
    """The rubric file is unreadable or invalid; the message names file, line and field."""


class RecordError(Exception):
    """One input record cannot be audited; becomes a Rejection with this reason."""
