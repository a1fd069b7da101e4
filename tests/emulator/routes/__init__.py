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
    mlflow,
    registry,
)


def build_router(ctx: common.Context) -> Router:
    router = Router()
    modules = (
        control,
        identity,
        arm,
        authorization,
        assets,
        jobs,
        history,
        mlflow,
        registry,
        endpoints,
        inference,
    )
    for module in modules:
        module.register(router, ctx)
    return router
