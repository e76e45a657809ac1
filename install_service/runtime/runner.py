"""The DBOS workflow that runs one execution, block by block, and its enqueueing.

A run's inputs are ids and the trigger's data only (:class:`Job`): never a credential. Its
steps, in order, each recorded by DBOS so a crash resumes after the last finished one:

1. ``start``: mark the execution running, read the installed version's blocks (records.py);
2. one step per block after the trigger (blocks.py); an app action decrypts the end user's
   credential inside its step and returns only the app's answer. Transient failures are
   retried by DBOS with exponential backoff (``step_max_attempts``,
   ``step_retry_interval_s``, doubling; a ``Retry-After`` is waited out first). The action
   of an app with a rate limit runs as a child workflow (:func:`call_app`, id
   ``<executionId>:<blockId>``) on that app's queue, partitioned by credential, which DBOS
   starts only within the limit (see engine.py); the run waits for its result;
3. ``finish``: success, ``filtered`` (a filter block said no), or failed, which also
   enqueues the ``workflow.failed`` webhook in the same transaction.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import asdict, dataclass, field
from typing import Any
from uuid import UUID

import structlog
from dbos import DBOS, SetEnqueueOptions, SetWorkflowID, StepOptions
from dbos._error import DBOSMaxStepRetriesExceeded
from uuid_utils.compat import uuid7

from install_service.catalog.app_actions import AppCallError
from install_service.db.models import EndUser, Execution, InstalledWorkflow
from install_service.runtime import blocks, engine, records
from install_service.runtime.blocks import BlockFailed, Filtered

MAX_RETRY_AFTER_S = 60.0  # a longer Retry-After is cut to this


logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Job:
    """What a run is given (and DBOS stores): ids, and the data that triggered it."""

    execution_id: str
    isv_id: str
    user_id: str
    workflow_id: str
    installed_workflow_id: str
    version_id: str
    trigger: dict[str, Any] = field(default_factory=dict)

    @property
    def partition(self) -> str:
        return f"{self.isv_id}:{self.user_id}"

    @classmethod
    def start(cls, user: EndUser, installed: InstalledWorkflow, trigger: dict[str, Any]) -> Job:
        """A new execution (a fresh id) of ``user``'s installed workflow on its version now."""
        return cls(
            execution_id=str(uuid7()),
            isv_id=str(user.isv_id),
            user_id=str(user.id),
            workflow_id=str(installed.workflow_id),
            installed_workflow_id=str(installed.id),
            version_id=str(installed.version_id),
            trigger=trigger,
        )

    @classmethod
    def of(cls, execution: Execution) -> Job | None:
        """The job a recorded execution runs with (None once its installed workflow or
        version is gone)."""
        if not (execution.installed_workflow_id and execution.version_id):
            return None
        return cls(
            execution_id=str(execution.id),
            isv_id=str(execution.isv_id),
            user_id=str(execution.user_id),
            workflow_id=str(execution.workflow_id),
            installed_workflow_id=str(execution.installed_workflow_id),
            version_id=str(execution.version_id),
            trigger=execution.trigger,
        )

    def queued(
        self, environment: str, event: str | None, rerun_of: UUID | None = None
    ) -> Execution:
        """Its execution record, status queued (to add in the accepting transaction)."""
        return Execution(
            id=UUID(self.execution_id),
            isv_id=UUID(self.isv_id),
            environment=environment,
            user_id=UUID(self.user_id),
            workflow_id=UUID(self.workflow_id),
            installed_workflow_id=UUID(self.installed_workflow_id),
            version_id=UUID(self.version_id),
            event=event,
            trigger=self.trigger,
            rerun_of=rerun_of,
        )


async def enqueue(jobs: list[Job]) -> None:
    """Record ``jobs`` in DBOS's queue; when this returns they survive a crash.

    Enqueueing an execution id already known to DBOS starts nothing new (the id is the DBOS
    workflow id), so a retried request is safe.
    """
    queue = engine.context().queue
    for job in jobs:
        with SetWorkflowID(job.execution_id), SetEnqueueOptions(queue_partition_key=job.partition):
            await queue.enqueue_async(run_execution, asdict(job))


async def _should_retry(error: BaseException) -> bool:
    """Retry transient app failures only, after the app's ``Retry-After`` if it gave one."""
    if isinstance(error, AppCallError) and error.transient:
        if error.retry_after_s:
            await asyncio.sleep(min(error.retry_after_s, MAX_RETRY_AFTER_S))
        return True
    return False


def _block_step_options(block: dict[str, Any]) -> StepOptions:
    return retry_options(f"block:{block.get('id')}")


def retry_options(name: str) -> StepOptions:
    """A step retried on transient app failures with the runtime's backoff (see above)."""
    settings = engine.context().settings
    return {
        "name": name,
        "retries_allowed": True,
        "max_attempts": settings.step_max_attempts,
        "interval_seconds": settings.step_retry_interval_s,
        "backoff_rate": 2.0,
        "should_retry": _should_retry,
    }


def failure_message(error: BaseException) -> str:
    """A readable reason for the execution's error (never a secret: see blocks.py)."""
    if isinstance(error, DBOSMaxStepRetriesExceeded) and error.errors:
        last = error.errors[-1]
        return f"{failure_message(last)} (gave up after {len(error.errors)} attempts)"
    if isinstance(error, AppCallError | BlockFailed):
        return error.message
    return f"Internal error ({type(error).__name__})"


async def _run_block(
    raw_job: dict[str, Any], plan: dict[str, Any], block: dict[str, Any], scope: dict[str, Any]
) -> Any:
    queue = None
    if block.get("type") in (blocks.APP_ACTION, blocks.APP_TRIGGER):
        queue = engine.context().app_queues.get(block.get("app") or plan["app"])
    if queue is None:
        return await DBOS.run_step_async(
            _block_step_options(block), blocks.run_block, raw_job, plan, block, scope
        )
    call_id = f"{raw_job['execution_id']}:{block.get('id')}"
    with SetWorkflowID(call_id), SetEnqueueOptions(queue_partition_key=plan["credentialId"]):
        handle = await queue.enqueue_async(call_app, raw_job, plan, block, scope)
    # The handle polls for the result (1 s by default): as often as the queue is polled.
    polling_s = engine.context().settings.run_queue_polling_interval_s
    return await handle.get_result(polling_interval_sec=polling_s)


@DBOS.workflow(name="install_service.call_app")
async def call_app(
    raw_job: dict[str, Any], plan: dict[str, Any], block: dict[str, Any], scope: dict[str, Any]
) -> Any:
    """One app action of an execution, started by DBOS within the app's rate limit."""
    await engine.ready()
    return await DBOS.run_step_async(
        _block_step_options(block), blocks.run_block, raw_job, plan, block, scope
    )


@DBOS.workflow(name="install_service.run_execution")
async def run_execution(raw_job: dict[str, Any]) -> str:
    """Run one execution to its end; returns its final status. Every line logged meanwhile
    carries ``isv_id``, ``workflow_id`` and ``execution_id``; the run logs one line when it
    ends (``execution finished``, with ``status``, and the failing ``block``)."""
    await engine.ready()
    job = Job(**raw_job)
    ids = {"isv_id": job.isv_id, "workflow_id": job.workflow_id, "execution_id": job.execution_id}
    with structlog.contextvars.bound_contextvars(**ids):
        status, block = await _run(job, raw_job)
        logger.info("execution finished", extra={"status": status, "block": block})
    return status


async def _run(job: Job, raw_job: dict[str, Any]) -> tuple[str, str | None]:
    """(final status, the failing block's id or None)."""
    plan = await DBOS.run_step_async({"name": "start"}, records.start_execution, raw_job)
    if plan is None:  # purged, or its installed workflow is gone
        return "gone", None
    scope: dict[str, Any] = {
        "event": job.trigger,
        "trigger": job.trigger,
        "blocks": {},
        "user": plan["user"],
    }
    first = 1
    if plan["blocks"] and plan["blocks"][0].get("type") == blocks.APP_TRIGGER:
        first = 0  # the trigger block fetches the app's record; it becomes the trigger data
    for index, block in enumerate(plan["blocks"][first:], start=first):
        try:
            result = await _run_block(raw_job, plan, block, scope)
        except Filtered:
            await DBOS.run_step_async(
                {"name": "finish"}, records.finish_execution, job.execution_id, "filtered"
            )
            return "filtered", None
        except Exception as error:  # every failure ends the run as failed
            await DBOS.run_step_async(
                {"name": "finish"},
                records.fail_execution,
                job.execution_id,
                block,
                failure_message(error),
            )
            return "failed", block.get("id")
        scope["blocks"][block["id"]] = result
        if index == 0:
            scope["event"] = scope["trigger"] = result
    await DBOS.run_step_async(
        {"name": "finish"}, records.finish_execution, job.execution_id, "success"
    )
    return "success", None
