"""Route families; each module has `register(router, ctx)`."""

from __future__ import annotations

from tests.emulator.http import Router
from tests.emulator.routes import (
    arm,
    assets,
    authorization,
    common,
    control,
    endpoints,
    history,
    identity,
    inference,
    jobs,
)


def build_router(ctx: common.Context) -> Router:
    router = Router()
    for module in (control, identity, arm, authorization, assets, jobs, history, endpoints, inference):
        module.register(router, ctx)
    return router
