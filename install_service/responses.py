"""Answer shapes shared by every API package."""

from __future__ import annotations

import msgspec


class Success(msgspec.Struct):
    """``{"success": true}``: what a change with nothing else to report answers (spec:
    DELETE and PUT routes; "every response has a JSON body")."""

    success: bool = True
