"""Every ``code`` the API can answer in ``{"message", "code"}``, in one place.

The README's error table lists each of these (``tests/unit/test_error_codes.py`` checks
that the two agree and that no code is spelled out anywhere else).
"""

from __future__ import annotations

# Generic, one per HTTP status (errors.ServiceError subclasses and Litestar's own errors)
BAD_REQUEST = "bad_request"
UNAUTHORIZED = "unauthorized"
FORBIDDEN = "forbidden"
NOT_FOUND = "not_found"
METHOD_NOT_ALLOWED = "method_not_allowed"
CONFLICT = "conflict"
GONE = "gone"
PAYLOAD_TOO_LARGE = "payload_too_large"
VALIDATION_ERROR = "validation_error"
RATE_LIMITED = "rate_limited"
INTERNAL_ERROR = "internal_error"
NOT_READY = "not_ready"  # 503 while the server starts (or after its start-up failed)

# Authentication: user tokens and origins
TOKEN_MISSING = "token_missing"
TOKEN_EXPIRED = "token_expired"
TOKEN_INVALID = "token_invalid"
TOKEN_UNKNOWN_SIGNING_KEY = "token_unknown_signing_key"
TOKEN_UNKNOWN_USER = "token_unknown_user"
TOKEN_WRONG_ISV = "token_wrong_isv"
ORIGIN_NOT_ALLOWED = "origin_not_allowed"

# ISVs (command line)
ISV_NOT_FOUND = "isv_not_found"

# Users
USER_NOT_FOUND = "user_not_found"
USER_ID_REQUIRED = "user_id_required"
DUPLICATE_USER = "duplicate_user"
INVALID_LIMIT = "invalid_limit"
INVALID_CURSOR = "invalid_cursor"

# Integrations, workflows, versions, installations
INTEGRATION_NOT_FOUND = "integration_not_found"
WORKFLOW_NOT_FOUND = "workflow_not_found"
WORKFLOW_NOT_INSTALLED = "workflow_not_installed"
NOTHING_RELEASED = "nothing_released"
VERSION_NOT_FOUND = "version_not_found"
VERSION_RELEASED = "version_released"
VERSION_CONFLICT = "version_conflict"
INVALID_BLOCKS = "invalid_blocks"
UPGRADE_NEEDS_INPUT = "upgrade_needs_input"
INSTALLATION_NOT_FOUND = "installation_not_found"

# Credentials and apps
CREDENTIAL_NOT_FOUND = "credential_not_found"
CREDENTIAL_IN_USE = "credential_in_use"
INVALID_CREDENTIAL = "invalid_credential"
UNKNOWN_FIELD = "unknown_field"
UNKNOWN_APP = "unknown_app"
CONNECTION_FAILED = "connection_failed"

# Install links
INVALID_LINK = "invalid_link"
LINK_NOT_FOUND = "link_not_found"
LINK_USED = "link_used"
LINK_REVOKED = "link_revoked"
LINK_EXPIRED = "link_expired"

# Runtime
UNKNOWN_EVENT = "unknown_event"
INVALID_EVENT_DATA = "invalid_event_data"
EXECUTION_NOT_FOUND = "execution_not_found"

# App triggers (callbacks)
SUBSCRIPTION_NOT_FOUND = "subscription_not_found"
HOOK_SECRET_MISSING = "hook_secret_missing"
HOOK_SECRET_INVALID = "hook_secret_invalid"
INVALID_CALLBACK = "invalid_callback"

# Webhooks
DELIVERY_NOT_FOUND = "delivery_not_found"
UNSAFE_WEBHOOK_URL = "unsafe_webhook_url"
