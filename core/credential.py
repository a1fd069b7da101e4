"""Credentials: DefaultAzureCredential (CLI login, managed identity, workload identity in CI).

Failures become one `AuthError` line instead of azure-identity's multi-paragraph chain report.
For a custom cloud (Azure Stack Hub, private sovereign clouds, a private-link proxy) the authority is
the user's own: MSAL's instance discovery at login.microsoftonline.com is neither reachable nor
meaningful there, so it is turned off (`disable_instance_discovery`), as azure-identity documents.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from core.cloud import CUSTOM, CloudSettings
from core.errors import AuthError, AzureError
from core.sdk_logs import keep_sdk_logs_off_stderr

if TYPE_CHECKING:
    from azure.core.credentials import AccessToken, TokenCredential

_HINT = "sign in with `az login`, or set AZURE_CLIENT_ID/AZURE_TENANT_ID/AZURE_CLIENT_SECRET, or use a managed identity"


class ToolkitCredential:
    """A TokenCredential that reports credential failures as a single-line AuthError."""

    def __init__(self, inner: TokenCredential, authority: str = "") -> None:
        self._inner = inner
        self._authority = authority

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        from azure.core.exceptions import ClientAuthenticationError

        try:
            return self._inner.get_token(*scopes, **kwargs)
        except ClientAuthenticationError as exc:
            tls = tls_failure(str(exc))
            if tls:  # not a sign-in problem: `az login` would not help
                raise AzureError(
                    f"TLS failed talking to the sign-in authority {self._authority} ({tls})",
                    hint="check FOUNDRY_CA_BUNDLE: it must hold the CA that signed the endpoints' certificates",
                ) from None
            raise AuthError(f"no working Azure credentials: {summarize(exc)}", hint=_HINT) from None

    def close(self) -> None:
        closer = getattr(self._inner, "close", None)
        if callable(closer):
            closer()


_UNAVAILABLE = (
    "unavailable",
    "not found",
    "not installed",
    "could not be found",
    "requires the",
    "no accounts",
)


def tls_failure(text: str) -> str | None:
    """The certificate complaint inside an azure-identity error, if TLS is what failed."""
    import re

    found = re.search(r"certificate verify failed[^(\n]*", text, re.IGNORECASE)
    return found.group(0).strip() if found else None


def summarize(exc: BaseException) -> str:
    """One line for an azure-identity error (its chained reports run to many lines).

    An Entra refusal (AADSTS code) wins; when every source was merely unavailable, say that.
    """
    text = str(getattr(exc, "message", None) or exc)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    for line in lines:
        if "AADSTS" in line:
            return line.split(" Trace ID:")[0].strip()[:300]
    attempts = [line for line in lines if ":" in line and line.split(":", 1)[0].endswith("Credential")]
    failures = [a for a in attempts if not any(word in a.lower() for word in _UNAVAILABLE)]
    if failures:
        return failures[0][:300]
    if attempts:
        return "no credential source is available (no az login, no AZURE_CLIENT_* variables, no managed identity)"
    for line in lines:
        if not line.lower().startswith(("defaultazurecredential failed", "attempted credentials")):
            return line[:300]
    return type(exc).__name__


def build_credential(cloud: CloudSettings) -> TokenCredential:
    keep_sdk_logs_off_stderr()
    from azure.identity import DefaultAzureCredential

    kwargs: dict[str, object] = {"authority": cloud.authority_host}
    if cloud.ca_bundle:
        kwargs["connection_verify"] = cloud.ca_bundle
    if cloud.name == CUSTOM:
        kwargs["disable_instance_discovery"] = True
    inner = DefaultAzureCredential(exclude_interactive_browser_credential=True, **kwargs)
    return ToolkitCredential(inner, cloud.authority_host)  # type: ignore[return-value]  # a TokenCredential by protocol
