"""Data URIs in every form the service uses, and model version ids, parsed once.

A data version is registered with the short form `azureml://datastores/<ds>/paths/<path>`; the service
answers with the long form `azureml://subscriptions/<sub>/resourcegroups/<rg>/workspaces/<ws>/datastores/
<ds>/paths/<path>` (recorded in Azure/azure-sdk-assets, tests/contract/fixtures). Blob URLs
(`https://<account>.blob.<suffix>/<container>/<path>`, `wasbs://<container>@<account>.blob.<suffix>/<path>`)
name a container rather than a datastore.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote

_SHORT = re.compile(r"^azureml://datastores/(?P<ds>[^/]+)/paths/(?P<path>.+)$", re.I)
_LONG = re.compile(
    r"^azureml://subscriptions/(?P<sub>[^/]+)/resource[gG]roups/(?P<rg>[^/]+)/workspaces/(?P<ws>[^/]+)"
    r"/datastores/(?P<ds>[^/]+)/paths/(?P<path>.+)$",
    re.I,
)
_HTTPS = re.compile(r"^https://(?P<account>[^./]+)\.blob\.[^/]+/(?P<container>[^/]+)/(?P<path>.+)$", re.I)
_WASBS = re.compile(r"^wasbs?://(?P<container>[^@/]+)@(?P<account>[^./]+)\.blob\.[^/]+/(?P<path>.+)$", re.I)


@dataclass(frozen=True)
class StoredPath:
    """Where a data URI's bytes live: in a datastore, or in a container named directly."""

    path: str
    datastore: str | None = None
    account: str | None = None
    container: str | None = None
    workspace: str | None = None


def stored_path(uri: str) -> StoredPath | None:
    """The datastore (or container) and path a data URI points at; None for a form it cannot read."""
    for pattern in (_SHORT, _LONG):
        match = pattern.match(uri)
        if match:
            groups = match.groupdict()
            return StoredPath(unquote(groups["path"]), datastore=groups["ds"], workspace=groups.get("ws"))
    for pattern in (_HTTPS, _WASBS):
        match = pattern.match(uri)
        if match:
            return StoredPath(unquote(match["path"]), account=match["account"], container=match["container"])
    return None


def same_blob(one: str, other: str) -> bool:
    """Whether two data URIs name the same bytes, whichever form each is written in (the workspace a
    long form names is not compared: a data version only points into its own workspace's stores)."""
    a, b = stored_path(one), stored_path(other)
    if a is None or b is None:
        return one == other
    return (a.path, a.datastore, a.account, a.container) == (b.path, b.datastore, b.account, b.container)


def short_uri(datastore: str, path: str) -> str:
    """The form a data version is registered with."""
    return f"azureml://datastores/{datastore}/paths/{path}"


_MODEL = re.compile(r"/models/(?P<name>[^/]+)/versions/(?P<version>[^/]+)$")


def model_version(model_id: str | None) -> tuple[str, str] | None:
    """(name, version) of a model version id, in the workspace form Workspaces.model_id writes
    (`azureml://locations/<loc>/workspaces/<guid>/models/<name>/versions/<v>`) or a registry's
    (`azureml://registries/<reg>/models/<name>/versions/<v>`); None for anything else."""
    match = _MODEL.search(model_id or "")
    return (match["name"], match["version"]) if match else None


_DATA = re.compile(r"/data/(?P<name>[^/]+)/versions/(?P<version>[^/]+)$")


def data_asset_of(ref: str | None) -> tuple[str, str] | None:
    """(name, version) of a job's data input: the `azureml:<name>:<version>` the toolkit sends, or an
    id that ends in `/data/<name>/versions/<version>` (how azure-ai-ml writes a data asset's id); None
    for anything else (a datastore path)."""
    ref = ref or ""
    match = _DATA.search(ref)
    if match:
        return match["name"], match["version"]
    parts = ref.split(":")
    if len(parts) == 3 and parts[0] == "azureml" and not parts[1].startswith("//"):
        return parts[1], parts[2]
    return None
