"""Executions out: logs, errors, rerun, analytics, purge and retention."""
