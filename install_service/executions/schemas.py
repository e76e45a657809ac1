"""Shapes of the execution routes (spec "Workflow runtime")."""

from __future__ import annotations

from typing import Any

import msgspec


class BlockResult(msgspec.Struct, rename="camel"):
    block_id: str
    name: str
    type: str
    status: str  # success | failed | filtered
    started_at: str | None
    stopped_at: str | None
    output: Any
    error: str | None


class ExecutionView(msgspec.Struct, rename="camel"):
    execution_id: str
    workflow_id: str
    user_id: str
    status: str  # queued | running | success | failed | filtered
    started_at: str | None
    stopped_at: str | None
    finished: bool
    trigger: dict[str, Any]
    blocks: list[BlockResult]
    rerun_of: str | None = None


class ExecutionList(msgspec.Struct, rename="camel"):
    data: list[ExecutionView]
    next_cursor: str | None = None


class ExecutionErrorView(msgspec.Struct, rename="camel"):
    workflow_id: str
    execution_id: str
    block: str
    error_occurred_at: str | None
    message: str


class ExecutionErrorList(msgspec.Struct, rename="camel"):
    data: list[ExecutionErrorView]
    next_cursor: str | None = None


class RerunResult(msgspec.Struct, rename="camel"):
    execution_id: str


class AnalyticsDay(msgspec.Struct, rename="camel"):
    date: str  # YYYY-MM-DD (UTC)
    runs: int
    app_actions: int
    errors: int


class AnalyticsView(msgspec.Struct, rename="camel"):
    total_workflow_runs: int
    total_app_actions: int
    total_errors: int
    days: list[AnalyticsDay]
