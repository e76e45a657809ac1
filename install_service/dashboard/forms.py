"""Form posts as the dashboard reads them (``application/x-www-form-urlencoded``)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar.enums import RequestEncodingType
from litestar.params import Body

FormData = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]


def form_value(data: dict[str, Any], name: str) -> str:
    """The field's value ("" when absent; the last one when the field came twice)."""
    value = data.get(name, "")
    return (value[-1] if isinstance(value, list) else value) or ""
