"""The emulator's own control routes under /_emulator/ (not Azure): faults, request log, state counts.

Used by the standalone launcher (`make demo` or a shell) where no in-process handle exists.
"""

from __future__ import annotations

from typing import Any

from tests.emulator.http import ApiError, Request, Response, Router
from tests.emulator.routes.common import Context


def register(router: Router, ctx: Context) -> None:
    def add_fault(request: Request) -> Response:
        body: dict[str, Any] = request.json()
        kind = body.pop("kind", None)
        try:
            fault = ctx.faults.add(str(kind), **body)
        except (TypeError, ValueError) as exc:
            raise ApiError(400, "BadFault", str(exc)) from None
        return Response(201, fault.as_dict())

    def list_faults(request: Request) -> Response:
        return Response(200, {"value": ctx.faults.list()})

    def clear_faults(request: Request) -> Response:
        ctx.faults.clear()
        return Response(204)

    def counts(request: Request) -> Response:
        world = ctx.world
        return Response(
            200,
            {
                "created": dict(world.created),
                "jobs": len(world.jobs),
                "endpoints": len(world.endpoints),
                "models": sum(len(c["versions"]) for c in world.models.values()),
                "data": sum(len(c["versions"]) for c in world.data.values()),
            },
        )

    def requests(request: Request) -> Response:
        return Response(200, {"value": list(ctx.log)})

    router.add("GET", "/_emulator/requests", requests)
    router.add("POST", "/_emulator/faults", add_fault)
    router.add("GET", "/_emulator/faults", list_faults)
    router.add("DELETE", "/_emulator/faults", clear_faults)
    router.add("GET", "/_emulator/state", counts)
