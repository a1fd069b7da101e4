"""What --debug may print: URLs without SAS signatures or keys in their query."""

from __future__ import annotations

import re

_SECRET_QUERY = re.compile(r"(?i)([?&](?:sig|se|skoid|sktid|skt|ske|sks|skv|code|key|api-key|token)=)[^&#]*")


def redact_url(url: str) -> str:
    """The URL with secret-bearing query parameters replaced by ***."""
    return _SECRET_QUERY.sub(r"\1***", url)
