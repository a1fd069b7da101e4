"""What --debug may print: URLs without SAS signatures or keys in their query, headers without secrets."""

from __future__ import annotations

import re

_SECRET_QUERY = re.compile(r"(?i)([?&](?:sig|se|skoid|sktid|skt|ske|sks|skv|code|key|api-key|token)=)[^&#]*")
SECRET_HEADERS = frozenset({"authorization", "api-key", "ocp-apim-subscription-key", "x-ms-encryption-key"})


def redact_url(url: str) -> str:
    """The URL with secret-bearing query parameters replaced by ***."""
    return _SECRET_QUERY.sub(r"\1***", url)


def redact_headers(headers: dict[str, str]) -> dict[str, str]:
    return {k: ("***" if k.lower() in SECRET_HEADERS else v) for k, v in headers.items()}
