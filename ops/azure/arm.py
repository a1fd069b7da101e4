"""ARM adapter: resource providers, the workspace, effective permissions, serverless endpoint keys and
content safety — the ARM calls azure-ai-ml does not make (or cannot: its ServerlessEndpoint has no
content-safety field).

One azure-mgmt-resource pipeline serves every call: bearer token for the cloud's ARM scope, the CA
bundle, and azure-core's retry policy (429/5xx, honouring Retry-After). Connection resets on POSTs
the SDK will not retry are retried here only for POSTs that are safe to repeat (listKeys, register).
Long-running PUT/DELETE follow Azure-AsyncOperation (or Location) with the service's Retry-After.
Errors leave this module as ops.errors, one line each.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ops.cloud import CloudSettings
from ops.errors import AuthError, AzureError, JobFailedError, NotFoundError, ToolkitError

if TYPE_CHECKING:
    from azure.core.credentials import TokenCredential
    from azure.core.rest import HttpResponse

    from ops.outputs import StackOutputs

ML_API_VERSION = "2024-10-01"  # GA; serverless endpoints carry contentSafety from 2024-04-01
AUTHORIZATION_API_VERSION = "2022-04-01"
IDENTITY_API_VERSION = "2023-01-31"
LRO_TIMEOUT_S = 1800.0
_TERMINAL_OK = ("succeeded",)
_TERMINAL_BAD = ("failed", "canceled", "cancelled")
_CONNECTION_RETRIES = 3


@dataclass(frozen=True)
class Permissions:
    """The caller's effective permissions at a scope (union of all role assignments)."""

    actions: tuple[str, ...]
    not_actions: tuple[str, ...]
    data_actions: tuple[str, ...]
    not_data_actions: tuple[str, ...]

    def allows(self, action: str) -> bool:
        return _granted(action, self.actions, self.not_actions)

    def allows_data(self, action: str) -> bool:
        return _granted(action, self.data_actions, self.not_data_actions)


def _granted(action: str, allowed: tuple[str, ...], denied: tuple[str, ...]) -> bool:
    import fnmatch

    lowered = action.lower()
    if not any(fnmatch.fnmatchcase(lowered, pattern.lower()) for pattern in allowed):
        return False
    return not any(fnmatch.fnmatchcase(lowered, pattern.lower()) for pattern in denied)


class ArmClient:
    def __init__(self, cloud: CloudSettings, credential: TokenCredential, outputs: StackOutputs) -> None:
        self.cloud = cloud
        self.credential = credential
        self.outputs = outputs
        self._client: Any = None
        self.sleep: Callable[[float], None] = time.sleep

    # --- plumbing -------------------------------------------------------------------------------
    @property
    def client(self) -> Any:
        """azure-mgmt-resource's client, built on first use (its import is not free)."""
        if self._client is None:
            from azure.mgmt.resource.resources import ResourceManagementClient

            self._client = ResourceManagementClient(
                self.credential,
                self.outputs.subscription_id,
                base_url=self.cloud.arm_endpoint,
                credential_scopes=[self.cloud.arm_scope],
                connection_verify=self.cloud.verify,
                retry_total=6,
                retry_backoff_max=60,
                retry_connect=0,  # connection failures are retried in request(), where TLS errors fail fast
            )
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    @property
    def _project_path(self) -> str:
        o = self.outputs
        return (
            f"/subscriptions/{o.subscription_id}/resourceGroups/{o.resource_group_name}"
            f"/providers/Microsoft.MachineLearningServices/workspaces/{o.project_name}"
        )

    def _url(self, path: str, api_version: str) -> str:
        sep = "&" if "?" in path else "?"
        return f"{self.cloud.arm_endpoint.rstrip('/')}{path}{sep}api-version={api_version}"

    def request(
        self,
        method: str,
        path_or_url: str,
        *,
        api_version: str = ML_API_VERSION,
        body: Any = None,
        what: str,
        retry_post: bool = False,
        ok: tuple[int, ...] = (200, 201, 202, 204),
    ) -> HttpResponse:
        """Send one ARM request through the shared pipeline; translate failures into ops.errors."""
        from azure.core.exceptions import ServiceRequestError, ServiceResponseError
        from azure.core.rest import HttpRequest

        url = path_or_url if path_or_url.startswith("https://") else self._url(path_or_url, api_version)
        attempts = _CONNECTION_RETRIES if (method != "POST" or retry_post) else 1
        for attempt in range(1, attempts + 1):
            request = HttpRequest(method, url, json=body) if body is not None else HttpRequest(method, url)
            try:
                response = self.client.send_request(request)
            except ToolkitError:
                raise
            except ServiceResponseError as exc:
                if attempt < attempts:
                    self.sleep(min(2.0**attempt / 4, 4.0))
                    continue
                raise AzureError(f"{what}: the connection to Azure failed ({_first_line(exc)})") from None
            except ServiceRequestError as exc:
                if attempt < attempts and not _is_tls_error(exc):
                    self.sleep(min(2.0**attempt / 4, 4.0))
                    continue
                raise AzureError(
                    f"{what}: cannot reach {self.cloud.arm_endpoint} ({_first_line(exc)})",
                    hint="check the network, the cloud endpoints (--cloud) and FOUNDRY_CA_BUNDLE",
                ) from None
            if response.status_code in ok:
                return response
            raise translate(response, what)
        raise AssertionError("unreachable")  # pragma: no cover

    def _json(self, response: HttpResponse) -> Any:
        try:
            return response.json() if response.content else {}
        except ValueError:
            raise AzureError(f"ARM answered {response.status_code} with a body that is not JSON") from None

    def wait_operation(self, response: HttpResponse, what: str, timeout: float = LRO_TIMEOUT_S) -> None:
        """Follow a long-running operation to its end; raise JobFailedError when it fails."""
        monitor = response.headers.get("Azure-AsyncOperation")
        location = response.headers.get("Location")
        if not monitor and not location:
            return  # completed synchronously
        deadline = time.monotonic() + timeout
        delay = _retry_after(response, default=1.0)
        while True:
            if time.monotonic() > deadline:
                raise AzureError(f"{what}: still running after {int(timeout)} s; check again later")
            self.sleep(delay)
            if monitor:
                polled = self.request("GET", monitor, what=what, ok=(200,))
                status = str(self._json(polled).get("status", "")).lower()
                if status in _TERMINAL_OK:
                    return
                if status in _TERMINAL_BAD:
                    error = self._json(polled).get("error") or {}
                    raise JobFailedError(f"{what} failed: {_error_text(error) or status}")
            else:
                assert location is not None
                polled = self.request("GET", location, what=what, ok=(200, 201, 202, 204))
                if polled.status_code != 202:
                    return
            delay = _retry_after(polled, default=min(delay * 2, 10.0) if delay else 1.0)

    # --- providers ------------------------------------------------------------------------------
    def provider_state(self, namespace: str) -> str:
        """registrationState of a resource provider in the stack's subscription."""
        provider = self._call(f"reading provider {namespace}", lambda: self.client.providers.get(namespace))
        return str(provider.registration_state or "Unknown")

    def register_provider(self, namespace: str, *, wait: bool = True, timeout: float = 600.0) -> str:
        """Register a provider (harmless to repeat) and, with `wait`, poll until Registered."""
        what = f"registering {namespace}"
        self.request(
            "POST",
            f"/subscriptions/{self.outputs.subscription_id}/providers/{namespace}/register",
            api_version=_resources_api_version(self.client),
            what=what,
            retry_post=True,
            ok=(200,),
        )
        state = self.provider_state(namespace)
        deadline = time.monotonic() + timeout
        delay = 1.0
        while wait and state.lower() != "registered":
            if time.monotonic() > deadline:
                raise AzureError(f"{what}: still {state} after {int(timeout)} s; run preflight again later")
            self.sleep(delay)
            delay = min(delay * 2, 15.0)
            state = self.provider_state(namespace)
        return state

    def _call(self, what: str, func: Callable[[], Any]) -> Any:
        from azure.core.exceptions import HttpResponseError, ServiceRequestError

        try:
            return func()
        except ToolkitError:
            raise
        except HttpResponseError as exc:
            if exc.response is not None:
                raise translate(exc.response, what) from None
            raise AzureError(f"{what}: {_first_line(exc)}") from None
        except ServiceRequestError as exc:
            raise AzureError(
                f"{what}: cannot reach {self.cloud.arm_endpoint} ({_first_line(exc)})",
                hint="check the network, the cloud endpoints (--cloud) and FOUNDRY_CA_BUNDLE",
            ) from None

    # --- workspace and permissions ----------------------------------------------------------------
    def get_workspace(self, name: str | None = None) -> dict[str, Any]:
        o = self.outputs
        ws = name or o.project_name
        path = (
            f"/subscriptions/{o.subscription_id}/resourceGroups/{o.resource_group_name}"
            f"/providers/Microsoft.MachineLearningServices/workspaces/{ws}"
        )
        result: dict[str, Any] = self._json(
            self.request("GET", path, what=f"reading workspace {ws}", ok=(200,))
        )
        return result

    def permissions(self) -> Permissions:
        """The caller's effective permissions on the stack's resource group."""
        o = self.outputs
        path = (
            f"/subscriptions/{o.subscription_id}/resourceGroups/{o.resource_group_name}"
            "/providers/Microsoft.Authorization/permissions"
        )
        body = self._json(
            self.request(
                "GET", path, api_version=AUTHORIZATION_API_VERSION, what="reading your permissions", ok=(200,)
            )
        )
        rows = body.get("value") or []
        return Permissions(
            actions=tuple(a for r in rows for a in r.get("actions") or ()),
            not_actions=tuple(a for r in rows for a in r.get("notActions") or ()),
            data_actions=tuple(a for r in rows for a in r.get("dataActions") or ()),
            not_data_actions=tuple(a for r in rows for a in r.get("notDataActions") or ()),
        )

    def identity_principal_id(self, identity_id: str) -> str:
        """The object (principal) id of a user-assigned identity, which role assignments name."""
        body = self._json(
            self.request(
                "GET",
                identity_id,
                api_version=IDENTITY_API_VERSION,
                what="reading the fine-tuning identity",
                ok=(200,),
            )
        )
        principal = (body.get("properties") or {}).get("principalId")
        if not principal:
            raise AzureError(f"identity {identity_id.rsplit('/', 1)[-1]} has no principalId")
        return str(principal)

    def role_definition_ids(self, scope: str, principal_id: str) -> set[str]:
        """GUIDs of the roles `principal_id` holds at, above or below `scope` (ARM `assignedTo` filter)."""
        path = f"{scope.rstrip('/')}/providers/Microsoft.Authorization/roleAssignments"
        url = self._url(path, AUTHORIZATION_API_VERSION) + f"&$filter=assignedTo('{principal_id}')"
        body = self._json(self.request("GET", url, what="reading role assignments", ok=(200,)))
        found: set[str] = set()
        for row in body.get("value") or []:
            props = row.get("properties") or {}
            assigned_scope = str(props.get("scope") or "").lower()
            if scope.lower().startswith(assigned_scope):  # at the scope or inherited from above it
                found.add(str(props.get("roleDefinitionId") or "").rsplit("/", 1)[-1].lower())
        return found

    # --- serverless endpoints -------------------------------------------------------------------
    def get_serverless_endpoint(self, name: str) -> dict[str, Any]:
        """The endpoint as ARM returns it (properties.inferenceEndpoint.uri, contentSafety, states)."""
        path = f"{self._project_path}/serverlessEndpoints/{name}"
        result: dict[str, Any] = self._json(
            self.request("GET", path, what=f"reading endpoint {name}", ok=(200,))
        )
        return result

    def list_endpoint_keys(self, name: str) -> dict[str, str]:
        path = f"{self._project_path}/serverlessEndpoints/{name}/listKeys"
        body = self._json(
            self.request("POST", path, what=f"reading keys of endpoint {name}", retry_post=True, ok=(200,))
        )
        return {
            "primaryKey": str(body.get("primaryKey") or ""),
            "secondaryKey": str(body.get("secondaryKey") or ""),
        }

    def content_safety(self, name: str) -> str:
        """Enabled or Disabled (the service's default for an endpoint without the property is Enabled)."""
        return content_safety_status(self.get_serverless_endpoint(name))

    def set_content_safety(self, name: str, enabled: bool, *, wait: bool = True) -> dict[str, Any]:
        """Read the endpoint, PUT it back with contentSafety changed, and follow the operation.

        The PATCH model of serverless endpoints carries only sku/identity/tags, so a full PUT is the
        REST way to change contentSafety; read-only properties are dropped from the body.
        """
        current = self.get_serverless_endpoint(name)
        props = current.get("properties") or {}
        desired = "Enabled" if enabled else "Disabled"
        if content_safety_status(current) == desired:
            return current
        body: dict[str, Any] = {
            "location": current.get("location") or self.outputs.location,
            "sku": current.get("sku") or {"name": "Consumption"},
            "properties": {
                "authMode": props.get("authMode") or "Key",
                "modelSettings": props.get("modelSettings"),
                "contentSafety": {"contentSafetyStatus": desired},
            },
        }
        for optional in ("tags", "identity", "kind"):
            if current.get(optional):
                body[optional] = current[optional]
        what = f"setting content safety of {name} to {desired}"
        path = f"{self._project_path}/serverlessEndpoints/{name}"
        response = self.request("PUT", path, body=body, what=what, ok=(200, 201))
        if wait:
            self.wait_operation(response, what)
        return self.get_serverless_endpoint(name)


def content_safety_status(endpoint: dict[str, Any]) -> str:
    safety = (endpoint.get("properties") or {}).get("contentSafety") or {}
    return str(safety.get("contentSafetyStatus") or "Enabled")


def translate(response: Any, what: str) -> ToolkitError:
    """An ARM error answer as one line: `<what>: <code>: <message>`."""
    status = response.status_code
    try:
        error = (response.json() or {}).get("error") or {}
    except ValueError:
        error = {}
    text = _error_text(error) or f"HTTP {status}"
    message = f"{what}: {text}"
    if status == 404:
        return NotFoundError(message)
    if status == 401:
        return AuthError(message, hint="your credentials were refused; sign in again (az login)")
    if status == 403:
        return AzureError(message, hint="ask an Owner of the resource group for the role named in preflight")
    return AzureError(message)


def _error_text(error: dict[str, Any]) -> str:
    code = error.get("code")
    message = " ".join(str(error.get("message") or "").split())
    if code and message:
        return f"{code}: {message}"
    return str(code or message or "")


def _retry_after(response: Any, default: float) -> float:
    """The poll delay the service asks for: Retry-After (seconds) or retry-after-ms, as azure-core reads them."""
    headers = response.headers
    try:
        if headers.get("Retry-After") is not None:
            return max(0.0, float(headers["Retry-After"]))
        for name in ("retry-after-ms", "x-ms-retry-after-ms"):
            if headers.get(name) is not None:
                return max(0.0, float(headers[name]) / 1000.0)
    except ValueError:
        pass
    return default


def _resources_api_version(client: Any) -> str:
    return str(getattr(getattr(client, "_config", None), "api_version", None) or "2025-04-01")


def _is_tls_error(exc: BaseException) -> bool:
    """Certificate problems do not heal by retrying: a wrong CA bundle should fail at once."""
    text = f"{exc} {getattr(exc, 'inner_exception', '')}"
    return "CERTIFICATE_VERIFY_FAILED" in text or "SSLError" in text or "SSL:" in text


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__
