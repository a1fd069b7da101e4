"""The stack's configuration: typed, validated, every problem reported at once.

`StackConfig.from_mapping` is pure (a dict in, a frozen config out) so it is tested without Pulumi;
`load_stack_config` reads the same keys from `pulumi.Config` and runs before any resource is declared.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Any, ClassVar, TypeVar

from catalog.models import fine_tuning_regions
from infra.naming import PREFIX_PATTERN, PREFIX_RULE_TEXT

PROJECT = "foundry-phi"  # the `name:` in Pulumi.yaml; config keys are "foundry-phi:<key>"

E = TypeVar("E", bound=StrEnum)

# Labels of the identities the program grants roles to itself (hub, project, fine-tuning identity).
RESERVED_LABELS = frozenset({"hub", "project", "finetune"})

GUID_PATTERN = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"


class PrincipalType(StrEnum):
    USER = "User"
    GROUP = "Group"
    SERVICE_PRINCIPAL = "ServicePrincipal"


class PublicNetworkAccess(StrEnum):
    ENABLED = "Enabled"
    DISABLED = "Disabled"


class IsolationMode(StrEnum):
    """Hub managed-network isolation (Microsoft.MachineLearningServices managedNetwork.isolationMode)."""

    DISABLED = "Disabled"
    ALLOW_INTERNET_OUTBOUND = "AllowInternetOutbound"
    ALLOW_ONLY_APPROVED_OUTBOUND = "AllowOnlyApprovedOutbound"


class StorageRedundancy(StrEnum):
    LRS = "Standard_LRS"
    ZRS = "Standard_ZRS"
    GRS = "Standard_GRS"
    GZRS = "Standard_GZRS"


@dataclass(frozen=True)
class Principal:
    """A user, group or service principal granted the roles the fine-tuning workflow needs."""

    object_id: str
    principal_type: PrincipalType
    name: str  # a label for logical names and the plan; not sent to Azure

    @property
    def label(self) -> str:
        return self.name or self.object_id[:8]


@dataclass(frozen=True)
class NetworkConfig:
    public_network_access: PublicNetworkAccess = PublicNetworkAccess.ENABLED
    isolation_mode: IsolationMode = IsolationMode.DISABLED

    @property
    def needs_network_provider(self) -> bool:
        """A managed network creates Microsoft.Network resources (managed VNet, private endpoints)."""
        return self.isolation_mode is not IsolationMode.DISABLED


@dataclass(frozen=True)
class ComputeConfig:
    """Optional AmlCompute cluster for managed-compute fine-tuning (Phi-3 family)."""

    vm_size: str
    max_nodes: int
    min_nodes: int = 0  # 0 = scale to zero when idle
    idle_seconds: int = 120
    low_priority: bool = False


@dataclass(frozen=True)
class StackConfig:
    location: str
    name_prefix: str
    tags: Mapping[str, str]
    principals: tuple[Principal, ...]
    network: NetworkConfig
    compute: ComputeConfig | None
    purge_protection: bool
    protect: bool
    soft_delete_retention_days: int
    storage_redundancy: StorageRedundancy
    network_registration_timeout_seconds: int

    KEYS: ClassVar[tuple[str, ...]] = (
        "location",
        "namePrefix",
        "tags",
        "principals",
        "publicNetworkAccess",
        "managedNetworkIsolation",
        "compute",
        "purgeProtection",
        "protect",
        "softDeleteRetentionDays",
        "storageRedundancy",
        "networkRegistrationTimeoutSeconds",
    )
    REQUIRED: ClassVar[tuple[str, ...]] = ("location", "namePrefix")

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> StackConfig:
        """Validate every key; raise one StackConfigError listing every problem."""
        p: list[str] = []
        unknown = sorted(map(repr, set(data) - set(cls.KEYS)))
        if unknown:
            p.append(f"unknown config key(s) {', '.join(unknown)}; known keys: {', '.join(cls.KEYS)}")
        for key in cls.REQUIRED:
            if data.get(key) in (None, ""):
                p.append(f"{key} is required")

        location = _location(data.get("location"), p)
        prefix = data.get("namePrefix")
        if prefix not in (None, "") and (
            not isinstance(prefix, str) or not re.fullmatch(PREFIX_PATTERN, prefix)
        ):
            p.append(f"namePrefix {prefix!r} must be {PREFIX_RULE_TEXT}")
        tags = _tags(data.get("tags", {}), p)
        principals = _principals(data.get("principals", []), p)
        network = NetworkConfig(
            public_network_access=_enum(
                PublicNetworkAccess, "publicNetworkAccess", data.get("publicNetworkAccess", "Enabled"), p
            ),
            isolation_mode=_enum(
                IsolationMode, "managedNetworkIsolation", data.get("managedNetworkIsolation", "Disabled"), p
            ),
        )
        compute = _compute(data.get("compute"), p)
        purge = _bool("purgeProtection", data.get("purgeProtection", False), p)
        protect = _bool("protect", data.get("protect", False), p)
        retention = _int("softDeleteRetentionDays", data.get("softDeleteRetentionDays", 7), 7, 90, p)
        redundancy = _enum(
            StorageRedundancy, "storageRedundancy", data.get("storageRedundancy", "Standard_LRS"), p
        )
        timeout = _int(
            "networkRegistrationTimeoutSeconds",
            data.get("networkRegistrationTimeoutSeconds", 600),
            30,
            3600,
            p,
        )
        if p:
            raise StackConfigError(p)
        return cls(
            location=location,
            name_prefix=str(prefix),
            tags=MappingProxyType(dict(tags)),
            principals=principals,
            network=network,
            compute=compute,
            purge_protection=purge,
            protect=protect,
            soft_delete_retention_days=retention,
            storage_redundancy=redundancy,
            network_registration_timeout_seconds=timeout,
        )


class StackConfigError(ValueError):
    """Invalid stack configuration; `problems` lists every one found."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        lines = "\n".join(f"  - {x}" for x in self.problems)
        super().__init__(f"invalid stack configuration ({len(self.problems)} problem(s)):\n{lines}")


def _location(value: Any, p: list[str]) -> str:
    if value in (None, ""):
        return ""
    allowed = fine_tuning_regions()
    if not isinstance(value, str) or value.lower() not in allowed:
        p.append(
            f"location {value!r} is not a region where a catalog Phi model can be fine-tuned; "
            f"allowed: {', '.join(allowed)}"
        )
        return ""
    return value.lower()


def _tags(value: Any, p: list[str]) -> dict[str, str]:
    if not isinstance(value, Mapping):
        p.append("tags must be a mapping of tag name to string value")
        return {}
    if len(value) > 50:
        p.append(f"tags: at most 50 tags per resource (got {len(value)})")
    out: dict[str, str] = {}
    for k, v in value.items():
        if not isinstance(k, str) or not 1 <= len(k) <= 512 or re.search(r"[<>%&\\?/]", k):
            p.append(f"tags: name {k!r} must be 1-512 characters without < > % & \\ ? /")
        if not isinstance(v, str) or len(v) > 256:
            p.append(f"tags: value of {k!r} must be a string of at most 256 characters")
        else:
            out[str(k)] = v
    return out


def _principals(value: Any, p: list[str]) -> tuple[Principal, ...]:
    if not isinstance(value, list):
        p.append("principals must be a list of {objectId, principalType, name}")
        return ()
    found: list[Principal] = []
    seen: set[str] = set()
    labels: set[str] = set()
    for i, item in enumerate(value):
        where = f"principals[{i}]"
        if not isinstance(item, Mapping):
            p.append(f"{where} must be a mapping with objectId and principalType")
            continue
        extra = sorted(map(repr, set(item) - {"objectId", "principalType", "name"}))
        if extra:
            p.append(f"{where}: unknown key(s) {', '.join(extra)} (known: objectId, principalType, name)")
        oid = item.get("objectId")
        ok = True
        if not isinstance(oid, str) or not re.fullmatch(GUID_PATTERN, oid):
            p.append(f"{where}.objectId {oid!r} must be an Entra object id (a GUID)")
            ok = False
        elif oid.lower() in seen:
            p.append(f"{where}.objectId {oid} is listed twice")
            ok = False
        ptype = _enum(PrincipalType, f"{where}.principalType", item.get("principalType"), p)
        name = item.get("name", "")
        if not isinstance(name, str) or (name and not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,30}", name)):
            p.append(f"{where}.name {name!r} must be 1-31 lowercase letters, digits or hyphens")
            ok = False
        elif ok:
            label = name or str(oid).lower()[:8]  # the label names its role assignments
            if label in RESERVED_LABELS:
                p.append(f"{where}.name {name!r} is reserved for the stack's managed identities")
                ok = False
            elif label in labels:
                p.append(f"{where}: label {label!r} is used twice; give the principals distinct names")
                ok = False
        if ok and isinstance(oid, str) and isinstance(ptype, PrincipalType):
            seen.add(oid.lower())
            labels.add(name or oid.lower()[:8])
            found.append(Principal(object_id=oid.lower(), principal_type=ptype, name=str(name)))
    return tuple(found)


def _compute(value: Any, p: list[str]) -> ComputeConfig | None:
    if value in (None, {}, ""):
        return None
    if not isinstance(value, Mapping):
        p.append("compute must be a mapping {vmSize, maxNodes, minNodes, idleSeconds, lowPriority}")
        return None
    known = {"vmSize", "maxNodes", "minNodes", "idleSeconds", "lowPriority"}
    extra = sorted(map(repr, set(value) - known))
    if extra:
        p.append(f"compute: unknown key(s) {', '.join(extra)} (known: {', '.join(sorted(known))})")
    before = len(p)
    vm_size = value.get("vmSize")
    if not isinstance(vm_size, str) or not re.fullmatch(r"Standard_[A-Za-z0-9_]+", vm_size):
        p.append(f"compute.vmSize {vm_size!r} must be an Azure VM size such as Standard_NC24ads_A100_v4")
    max_nodes = _int("compute.maxNodes", value.get("maxNodes"), 1, 100, p)
    min_nodes = _int("compute.minNodes", value.get("minNodes", 0), 0, 100, p)
    idle = _int("compute.idleSeconds", value.get("idleSeconds", 120), 60, 86_400, p)
    low = _bool("compute.lowPriority", value.get("lowPriority", False), p)
    if len(p) == before and min_nodes > max_nodes:
        p.append(f"compute.minNodes ({min_nodes}) must not exceed compute.maxNodes ({max_nodes})")
    if len(p) != before:
        return None
    return ComputeConfig(str(vm_size), max_nodes, min_nodes, idle, low)


def _enum(enum: type[E], key: str, value: Any, p: list[str]) -> E:
    for member in enum:
        if isinstance(value, str) and value.lower() == member.value.lower():
            return member
    p.append(f"{key} {value!r} must be one of {', '.join(m.value for m in enum)}")
    return next(iter(enum))


def _bool(key: str, value: Any, p: list[str]) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    p.append(f"{key} {value!r} must be true or false")
    return False


def _int(key: str, value: Any, low: int, high: int, p: list[str]) -> int:
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        p.append(f"{key} {value!r} must be an integer from {low} to {high}")
        return low
    return value


def config_mapping_from_pulumi(namespace: str | None = None) -> dict[str, Any]:
    """Read the known keys from `pulumi.Config` (values set in stacks/Pulumi.<stack>.yaml)."""
    import pulumi

    cfg = pulumi.Config(namespace)
    data: dict[str, Any] = {}
    for key in StackConfig.KEYS:
        raw = cfg.get(key)
        if raw is None:
            continue
        data[key] = _decode(raw)
    return data


def _decode(raw: str) -> Any:
    """Structured config values reach the program as JSON text; plain strings stay strings."""
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def load_stack_config(stack_file: Mapping[str, Any] | None = None) -> StackConfig:
    """The config `pulumi.Config` gives the program; `stack_file` (the stack file's `config:`, when the
    program can read it) adds the problems only the file shows: keys of this project it does not know."""
    return _checked(config_mapping_from_pulumi(), unknown_keys(stack_file or {}))


def check_stack_file(config: Mapping[str, Any]) -> StackConfig:
    """A stack file's `config:` mapping (keys `foundry-phi:<key>`), checked as the program would check it
    plus its unknown keys of this project: every problem in one StackConfigError."""
    prefix = f"{PROJECT}:"
    ours = {
        k.removeprefix(prefix): v for k, v in config.items() if isinstance(k, str) and k.startswith(prefix)
    }
    # as the program gets them: pulumi.Config hands over text, decoded as JSON where it is JSON
    known = {k: _decode(v) if isinstance(v, str) else v for k, v in ours.items() if k in StackConfig.KEYS}
    return _checked(known, unknown_keys(config))


def _checked(known: Mapping[str, Any], unknown: list[str]) -> StackConfig:
    """`known` validated, with the `unknown`-key problems first: every problem in one StackConfigError."""
    try:
        checked = StackConfig.from_mapping(known)
    except StackConfigError as exc:
        raise StackConfigError(unknown + exc.problems) from None
    if unknown:
        raise StackConfigError(unknown)
    return checked


def unknown_keys(config: Mapping[str, Any]) -> list[str]:
    """Keys of this project in a stack file's `config:` that the program never reads: pulumi.Config is asked
    for known keys only, so a misspelt one (`computee`) would drop what it meant without a word."""
    from core.words import closest

    prefix = f"{PROJECT}:"
    problems = []
    for key in config:
        name = key.removeprefix(prefix) if isinstance(key, str) else ""
        if not isinstance(key, str) or not key.startswith(prefix) or name in StackConfig.KEYS:
            continue
        guess = closest(name, StackConfig.KEYS)
        problems.append(
            f"unknown config key {key!r}: did you mean {prefix}{guess}?"
            if guess
            else f"unknown config key {key!r}; known keys: {', '.join(StackConfig.KEYS)}"
        )
    return problems
