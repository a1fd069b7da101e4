"""What every ARM adapter shares: the stack's resource paths and paging through `nextLink`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

from core.errors import AzureError, ConflictError, ToolkitError
from ops.azure.errors import Refused

if TYPE_CHECKING:
    from ops.azure.transport import Transport
    from ops.outputs import StackOutputs

ML = "Microsoft.MachineLearningServices"
T = TypeVar("T")


class ArmAdapter:
    """Base of the adapters that talk to ARM for the stack's resource group."""

    api_version: str = ""

    def __init__(self, transport: Transport, outputs: StackOutputs) -> None:
        self.transport = transport
        self.outputs = outputs

    @property
    def client(self) -> Any:
        return self.transport.arm()

    def workspace_path(self, name: str | None = None) -> str:
        """The project's ARM id as the stack reports it, or another workspace's (the hub) by name."""
        if name is None:
            return self.outputs.project_id
        return f"{self.outputs.resource_group_id}/providers/{ML}/workspaces/{name}"

    def url(self, path: str, api_version: str | None = None, **query: str) -> str:
        params = [f"api-version={api_version or self.api_version}"]
        params += [f"{k}={v}" for k, v in query.items()]
        sep = "&" if "?" in path else "?"
        return f"{path}{sep}{'&'.join(params)}"

    def get_json(self, path: str, what: str, api_version: str | None = None, **query: str) -> dict[str, Any]:
        url = self.url(path, api_version, **query)
        return json_of(self.transport.send(self.client, "GET", url, what=what, ok=(200,)))

    def list_json(
        self, path: str, what: str, api_version: str | None = None, **query: str
    ) -> Iterator[dict[str, Any]]:
        """Every item of an ARM list, following nextLink."""
        url: str | None = self.url(path, api_version, **query)
        while url:
            page = json_of(self.transport.send(self.client, "GET", url, what=what, ok=(200,)))
            yield from (item for item in page.get("value") or [] if isinstance(item, dict))
            url = page.get("nextLink") or None

    def create(
        self,
        path: str,
        what: str,
        body: Any,
        read: Callable[[dict[str, Any]], T],
        find: Callable[[], T | None],
        same: Callable[[T], bool] = lambda _: True,
    ) -> T:
        """PUT a resource whose name says what it is, and read the answer; if the service refuses the PUT,
        the resource it names when `find` shows it there and `same` accepts it.

        A PUT whose answer was lost (a reset, a timeout) is sent again by the retry policy, and the
        service may refuse the repeat although the first one worked: it compares a repeated job PUT with
        the job it stored and answers 400 "A job with this name already exists" when it sees a change
        (MicrosoftDocs/azure-docs issue 122250; azure-sdk-for-python PR 47389). A resource under the
        same deterministic name, holding the same content, is the one this call made (or an earlier
        call with the same inputs), so it is the answer. Otherwise the refusal stands.

        Only a refusal (400-class, 409) leads to the look-up. A call that got no usable answer (out of
        retries, TLS, access denied) fails at once, and the same command run again finds what it made.
        If the look-up itself fails, the refusal is raised with a hint saying so."""
        try:
            response = self.transport.send(
                self.client, "PUT", self.url(path), what=what, json=body, ok=(200, 201)
            )
        except (Refused, ConflictError) as refused:
            try:
                existing = find()
            except ToolkitError as unread:
                raise type(refused)(
                    str(refused),
                    hint=f"an earlier attempt of this call may have made it, but reading it back failed "
                    f"({unread}); the same command run again finds it if so",
                ) from None
            if existing is None or not same(existing):
                raise refused from None
            return existing
        return read(json_of(response))


def json_of(response: Any) -> dict[str, Any]:
    try:
        body = response.json() if response.content else {}
    except ValueError:
        raise AzureError(f"Azure answered {response.status_code} with a body that is not JSON") from None
    return body if isinstance(body, dict) else {}
