"""Installing an integration for an end user: the use cases behind the modal and Alloy Link.

Both front doors resolve a ``Target`` (who installs what: from the modal's user JWT, or
from an install link in ``links.services``) and then call the same use cases here:
``show_step`` for the form and ``finish_install`` for Finish Installation. The install
itself is one transaction: the credential, the installation with its per-user workflow
copies and the webhook outbox row commit together or not at all.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import httpx
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from uuid_utils.compat import uuid7

from install_service.catalog import connection_test
from install_service.credentials.services import build_credential
from install_service.db.models import (
    EndUser,
    Installation,
    InstalledWorkflow,
    Integration,
    Isv,
)
from install_service.db.transactions import begin_write, end_read, write_transaction
from install_service.errors import Unauthorized
from install_service.installs.plans import FormErrors, InstallPlan, check_form, plan_install
from install_service.installs.state import ModalState
from install_service.installs.targets import (
    BeforeCommit,
    Target,
    TargetSource,
    authenticate,
    load_target,
)
from install_service.installs.updates import plan_update
from install_service.metrics.series import INSTALLATIONS
from install_service.security.credential_crypto import CredentialCipher
from install_service.security.user_tokens import UserTokens
from install_service.settings import Settings
from install_service.triggers import subscriptions, sync
from install_service.webhooks.outbox import INSTALLATION_COMPLETED, enqueue


@dataclass(frozen=True, slots=True)
class InstallResult:
    installation: Installation
    workflow_ids: list[str]
    created: bool  # False when a concurrent identical request had already installed it


@dataclass(frozen=True, slots=True)
class Step:
    """What the modal shows now: the form for ``plan`` (with the inline ``errors`` and the
    non-secret ``values`` of a refused Finish), "already installed", or, once installed,
    ``installed``."""

    plan: InstallPlan
    already_installed: bool = False
    errors: FormErrors | None = None
    values: Mapping[str, str] = field(default_factory=dict)
    installed: InstallResult | None = None


@dataclass(frozen=True, slots=True)
class ModalPage:
    """``GET /forge-install``: the integration and ISV, and the first step, or None while
    the page waits for the token by postMessage, or the token ``problem``."""

    integration: Integration
    isv: Isv
    step: Step | None = None
    problem: Unauthorized | None = None


async def plan_for(
    session: AsyncSession, state: ModalState, user: EndUser, integration: Integration
) -> InstallPlan:
    """The install plan, or in update mode (``operation=update``) the update plan."""
    if state.operation == "update":
        return await plan_update(
            session,
            user=user,
            integration=integration,
            workflow_ids=state.workflow_ids,
            version_ids=state.version_ids,
        )
    return await plan_install(
        session, user=user, integration=integration, workflow_ids=state.workflow_ids or None
    )


async def _step(
    session: AsyncSession,
    target: Target,
    errors: FormErrors | None = None,
    values: Mapping[str, str] | None = None,
) -> Step:
    plan = await plan_for(session, target.state, target.user, target.integration)
    already = plan.existing is not None and not target.state.reinstall
    return Step(plan, already, errors, values or {})


async def open_modal(
    session: AsyncSession, user_tokens: UserTokens, state: ModalState, token: str | None, *,
    handshake: bool,
) -> ModalPage:  # fmt: skip
    """The modal page: with ``handshake`` (our SDK hands the token over by postMessage)
    only the integration and its ISV; otherwise the first step for the user of ``token``,
    or the token's problem to show.

    Raises:
        NotFound: no such integration (``load_target``).
    """
    integration, isv = await load_target(session, state.integration_id, state.workflow_ids)
    if handshake:
        return ModalPage(integration, isv)
    try:
        user = await authenticate(session, user_tokens, token, isv)
    except Unauthorized as problem:
        return ModalPage(integration, isv, problem=problem)
    return ModalPage(integration, isv, await _step(session, Target(isv, user, integration, state)))


async def show_step(session: AsyncSession, source: TargetSource) -> tuple[Target, Step]:
    """The current step for the target ``source`` resolves (its errors propagate)."""
    target = await source(session)
    return target, await _step(session, target)


async def finish_install(
    session: AsyncSession,
    source: TargetSource,
    form: Mapping[str, str],
    *,
    settings: Settings,
    cipher: CredentialCipher,
    http_client: httpx.AsyncClient,
) -> tuple[Target, Step]:
    """Finish Installation, for the modal and for Alloy Link: validate ``form`` (field
    name → value; configurable fields as ``config.<name>``), test the connection with the
    app (no transaction open meanwhile), then install in one transaction.

    Returns the target and the step to show: ``installed`` set on success; the form again
    with ``errors`` (and the non-secret values) when a value or the connection test was
    refused; "already installed" when there is nothing to do.

    Raises:
        NotFound, Unauthorized: from ``source``.
        ServiceError: whatever ``target.before_commit`` raises (nothing is installed).
    """
    target = await source(session)
    plan = await plan_for(session, target.state, target.user, target.integration)
    if plan.existing is not None and not target.state.reinstall:
        return target, Step(plan, already_installed=True)
    values = {f.name: form.get(f.name, "") for f in plan.app.fields if not f.secret}
    values |= {k: v for k, v in form.items() if k.startswith("config.")}
    try:
        credentials, configuration = check_form(plan, form)
        await end_read(session)  # hold no database lock while the app is called
        if plan.ask_credentials:
            result = await connection_test.test_connection(
                plan.app,
                credentials,
                api_base=settings.api_base_for(plan.app.key),
                client=http_client,
                allow_private=settings.webhook_allow_private,
            )
            if not result.ok:
                raise FormErrors({}, result.reason or f"{plan.app.name} refused these credentials.")
    except FormErrors as errors:
        return target, await _step(session, target, errors, values)
    installed = await install(
        session, plan, credentials, configuration, cipher, before_commit=target.before_commit
    )
    return target, Step(plan, installed=installed)


async def install(
    session: AsyncSession,
    plan: InstallPlan,
    credentials: Mapping[str, str],
    configuration: Mapping[str, str],
    cipher: CredentialCipher,
    *,
    before_commit: BeforeCommit | None = None,
) -> InstallResult:
    """Store the credential, the installation (or its update), the webhook outbox row and the
    app-trigger subscriptions it needs in one transaction, then have those registered. A concurrent duplicate gets the winner's installation back with
    ``created=False`` and sends no second webhook. An update plan that asks no credentials
    keeps the installation's credential; ``configuration`` is merged over the
    installation's.

    ``before_commit`` runs last inside the transaction (Alloy Link claims its link there);
    whatever it raises rolls everything back and propagates."""
    try:
        async with write_transaction(session):
            installation = _stage_installation(session, plan, credentials, configuration, cipher)
            hook_changes = await subscriptions.stage(session, installation, installation.workflows)
            if before_commit is not None:
                await before_commit(session)
    except IntegrityError:
        if before_commit is not None:
            # The winner may have claimed what this attempt claims (an Alloy Link's link, in
            # its installation's transaction): then this one is refused, not a success.
            try:
                await begin_write(session)
                await before_commit(session)
            finally:
                await session.rollback()
        # The rollback expired every loaded object; reload the ones callers render (their
        # attributes would otherwise lazy-load outside the async context: MissingGreenlet).
        for loaded in (plan.isv, plan.user, plan.integration):
            await session.refresh(loaded)
        winner = await session.scalar(
            select(Installation).where(
                Installation.user_id == plan.user.id,
                Installation.integration_id == plan.integration.id,
            )
        )
        if winner is None:
            raise
        return InstallResult(winner, plan.workflow_ids, created=False)
    await sync.request(hook_changes)  # register app triggers' hooks, durably, in the background
    if plan.existing is None:
        INSTALLATIONS.labels(integration=str(plan.integration.id)).inc()
    return InstallResult(installation, plan.workflow_ids, created=True)


def _stage_installation(
    session: AsyncSession,
    plan: InstallPlan,
    credentials: Mapping[str, str],
    configuration: Mapping[str, str],
    cipher: CredentialCipher,
) -> Installation:
    """Add the credential, the installation or its changes, and the outbox row."""
    installation = plan.existing
    if installation is not None and not plan.ask_credentials:
        credential_id = installation.credential_id
    else:
        credential = build_credential(plan.isv.id, plan.user, plan.app, credentials, cipher)
        session.add(credential)
        credential_id = credential.id
    if installation is None:
        installation = Installation(
            id=uuid7(),
            isv_id=plan.isv.id,
            user_id=plan.user.id,
            integration_id=plan.integration.id,
            credential_id=credential_id,
            configuration=dict(configuration),
            workflows=[],
        )
        session.add(installation)
    else:
        installation.credential_id = credential_id
        installation.configuration = {**installation.configuration, **configuration}
    current = {w.workflow_id: w for w in installation.workflows}
    for item in plan.workflows:
        copy = current.get(item.version.workflow_id)
        if copy is None:
            installation.workflows.append(
                InstalledWorkflow(
                    workflow_id=item.version.workflow_id,
                    version_id=item.version.id,
                    version=item.version.version,
                    workflow_version=item.version,
                )
            )
        else:
            copy.version_id, copy.version, copy.active = item.version.id, item.version.version, True
            copy.workflow_version = item.version
    enqueue(
        session,
        plan.isv,
        INSTALLATION_COMPLETED,
        {
            "userId": str(plan.user.id),
            "workflowIds": plan.workflow_ids,
            "integrationId": str(plan.integration.id),
            "credentials": {plan.app.key: str(credential_id)},
            "success": True,
        },
        environment=plan.user.environment,
    )
    return installation
