"""qa-audit: audit customer-service conversations against a rubric."""

__version__ = "0.1.0"
