"""``/dashboard/sign-in``: the one dashboard page reachable signed out (**Email**,
**Password**, **Sign in**). A failure re-renders the form with the email kept; failures are
counted per email and per client address (``dashboard.throttle``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from install_service.dashboard.dependencies import safe_next
from install_service.dashboard.forms import FormData, form_value
from install_service.dashboard.throttle import SignInFailures, TooManySignInAttempts
from install_service.db.models.tenants import DEVELOPMENT
from install_service.staff import services as staff_services


class SignInController(Controller):
    """``/dashboard/sign-in``: the one dashboard page reachable signed out."""

    path = "/sign-in"

    @get("/")
    async def form(
        self, request: Request[Any, Any, Any], next: str | None = None
    ) -> Template | Redirect:
        """The sign-in form (**Email**, **Password**, **Sign in**); signed in already: on to ``next``."""
        if request.session.get("staff_id"):
            return Redirect(safe_next(next), status_code=303)
        return Template("dashboard/sign_in.html", context={"email": "", "next": safe_next(next)})

    @post("/", status_code=303)
    async def sign_in(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        sign_in_failures: SignInFailures,
        data: FormData,
    ) -> Template | Redirect:
        """Check the email and password; on success a fresh session and a 303 to ``next``
        (same-site /dashboard paths only). A failure re-renders the form with the email kept:
        401 for wrong credentials (one message for an unknown email and a wrong password),
        422 for an empty field, 429 when rate limited."""
        email, password = form_value(data, "email").strip(), form_value(data, "password")
        next_path = safe_next(form_value(data, "next"))
        errors = {
            name: message
            for name, message, value in (
                ("email", "Enter your email.", email),
                ("password", "Enter your password.", password),
            )
            if not value
        }
        if errors:
            return _sign_in_form(email, next_path, 422, errors=errors)
        try:
            async with sign_in_failures.counting_sign_in(request, email):
                account = await staff_services.sign_in(db_session, email, password)
        except staff_services.InvalidCredentials as exc:
            return _sign_in_form(email, next_path, 401, message=exc.message)
        except TooManySignInAttempts as exc:
            response = _sign_in_form(email, next_path, 429, message=exc.detail)
            response.headers["retry-after"] = str(exc.retry_after_s)
            return response
        request.set_session(
            {
                "staff_id": str(account.id),
                "isv_id": str(account.isv_id),
                "email": account.email,
                "environment": DEVELOPMENT,
                "signed_in_at": datetime.now(UTC).isoformat(),
            }
        )
        return Redirect(next_path, status_code=303)


def _sign_in_form(
    email: str,
    next_path: str,
    status_code: int,
    message: str | None = None,
    errors: dict[str, str] | None = None,
) -> Template:
    return Template(
        "dashboard/sign_in.html",
        context={"email": email, "next": next_path, "message": message, "errors": errors or {}},
        status_code=status_code,
    )
