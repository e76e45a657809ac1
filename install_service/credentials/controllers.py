"""ISV API: an end user's credentials, created, listed and deleted by the ISV backend."""

from __future__ import annotations

import httpx
from litestar import Controller, delete, get, post
from litestar.di import Provide
from sqlalchemy.ext.asyncio import AsyncSession

from install_service.credentials import services
from install_service.credentials.schemas import (
    CreateCredential,
    CreatedCredential,
    CredentialList,
    CredentialListing,
    CredentialRequirement,
    CredentialRequirementList,
    RequiredField,
)
from install_service.isvs.dependencies import provide_isv
from install_service.isvs.services import IsvContext
from install_service.responses import Success
from install_service.security.credential_crypto import CredentialCipher
from install_service.settings import Settings
from install_service.users.dependencies import UserIdQuery


class CredentialsController(Controller):
    """``userId`` in these paths may also be the user's ``username``."""

    path = "/users/{user_ref:str}/credentials"
    tags = ["Credentials"]
    dependencies = {"isv": Provide(provide_isv)}

    @get("/", summary="List a user's credentials")
    async def list_credentials(
        self, user_ref: str, isv: IsvContext, db_session: AsyncSession
    ) -> CredentialList:
        """``{"data": [{"credentialId", "app", "name", "createdAt"}]}``, oldest first; no
        field values, secret or not. 404 for an unknown user or another ISV's."""
        rows = await services.list_credentials(db_session, isv, user_ref)
        return CredentialList(
            data=[
                CredentialListing(
                    credential_id=str(c.id), app=c.app, name=c.name, created_at=c.created_at
                )
                for c in rows
            ]
        )

    @post("/", summary="Connect an app for a user")
    async def create_credential(
        self,
        user_ref: str,
        data: CreateCredential,
        isv: IsvContext,
        db_session: AsyncSession,
        cipher: CredentialCipher,
        http_client: httpx.AsyncClient,
        settings: Settings,
    ) -> CreatedCredential:
        """201 ``{"credentialId"}`` once the app accepted the values (its connection test).

        422 with ``code``: ``unknown_app``, ``unknown_field`` (a name the app does not
        define), ``invalid_credential`` (missing or malformed values), ``connection_failed``
        (the app refused them or could not be reached; its reason is the message), or
        ``validation_error`` (a body that is not ``{"app": str, "data": {str: str}}``).
        Nothing is stored on any error.
        """
        credential = await services.add_credential(
            db_session,
            isv,
            user_ref,
            data.app,
            data.data,
            cipher=cipher,
            client=http_client,
            settings=settings,
        )
        return CreatedCredential(credential_id=str(credential.id))

    @delete("/{credential_id:str}", status_code=200, summary="Delete a user's credential")
    async def delete_credential(
        self, user_ref: str, credential_id: str, isv: IsvContext, db_session: AsyncSession
    ) -> Success:
        """``{"success": true}``; 404 when the credential is not this user's; 409
        ``credential_in_use`` while an installation uses it."""
        await services.delete_credential(db_session, isv, user_ref, credential_id)
        return Success()


class CredentialRequirementsController(Controller):
    tags = ["Credentials"]
    dependencies = {"isv": Provide(provide_isv)}

    @get("/credentials", summary="Which app credentials a user needs, and has")
    async def list_requirements(
        self, isv: IsvContext, db_session: AsyncSession, user_id: UserIdQuery = None
    ) -> CredentialRequirementList:
        """``{"data": [{"app", "name", "authType", "fields", "connected"}]}``: one entry per
        app the ISV's integrations use, by app key; ``fields`` describe what the user must
        give (``[{"name", "label", "secret", "required"}]``, never a value), ``connected``
        is true once the ``userId`` user (id or username) has a credential for the app.
        422 ``user_id_required`` without ``userId``; 404 for an unknown user."""
        requirements = await services.credential_requirements(db_session, isv, user_id)
        return CredentialRequirementList(
            data=[
                CredentialRequirement(
                    app=r.app.key,
                    name=r.app.name,
                    auth_type=r.app.auth_type,
                    fields=[
                        RequiredField(
                            name=f.name, label=f.label, secret=f.secret, required=f.required
                        )
                        for f in r.app.fields
                    ],
                    connected=r.connected,
                )
                for r in requirements
            ]
        )
