"""Chat completions on a serverless endpoint's inferenceEndpoint.uri, with key auth and content safety.

Capacity is modelled by `settings.chat_latency_s` (time per completion) and
`settings.chat_concurrency_limit` (completions at once; beyond it 429 + Retry-After);
`world.chat_gauge` counts how many were in flight at most, which tests and benchmarks read.

Answers are deterministic: a per-endpoint table (`settings.answers[endpoint][prompt]`) when tests set
one, otherwise a fixed sentence derived from the prompt. A prompt containing the configured trigger
word is refused with the service's content-filter error while content safety is Enabled.
"""

from __future__ import annotations

import math
import time
import uuid
from typing import Any

from tests.emulator.http import ApiError, Request, Response, Router
from tests.emulator.routes.common import Context

CATEGORIES = ("hate", "self_harm", "sexual", "violence")


def register(router: Router, ctx: Context) -> None:
    world = ctx.world

    def chat(request: Request) -> Response:
        name = request.params["endpoint"]
        endpoint = next((e for (_w, n), e in world.endpoints.items() if n.lower() == name.lower()), None)
        if endpoint is None:
            raise ApiError(404, "NotFound", f"no serverless endpoint {name}")
        supplied = request.header("api-key") or ""
        auth = request.header("authorization") or ""
        if auth.lower().startswith("bearer "):
            supplied = supplied or auth[7:]
        if supplied not in endpoint["_keys"].values():
            return Response(
                401,
                {
                    "error": {
                        "code": "Unauthorized",
                        "message": "Access denied due to invalid subscription key or wrong API endpoint.",
                    }
                },
            )
        if endpoint["properties"].get("provisioningState") != "Succeeded":
            raise ApiError(
                404,
                "DeploymentNotFound",
                f"endpoint {name} is not ready ({endpoint['properties'].get('provisioningState')})",
            )
        settings = world.settings
        wait = settings.chat_retry_after_s
        if not world.chat_gauge.enter(settings.chat_concurrency_limit):
            raise ApiError(
                429,
                "429",
                f"Rate limit is exceeded. Try again in {wait} seconds.",
                {"Retry-After": str(wait)},
            )
        try:
            if settings.chat_latency_s > 0:
                time.sleep(settings.chat_latency_s)  # the model generating its answer
            return complete(request, name, endpoint)
        finally:
            world.chat_gauge.leave()

    def complete(request: Request, name: str, endpoint: dict[str, Any]) -> Response:
        body = request.json()
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            raise ApiError(400, "invalid_request_error", "'messages' must be a non-empty array")
        for index, message in enumerate(messages):
            if not isinstance(message, dict) or message.get("role") not in (
                "system",
                "user",
                "assistant",
                "tool",
            ):
                raise ApiError(400, "invalid_request_error", f"messages[{index}].role is invalid")
        text = " ".join(str(m.get("content", "")) for m in messages)
        safety_on = endpoint["properties"].get("contentSafety", {}).get("contentSafetyStatus") == "Enabled"
        world.chat_calls.append({"endpoint": name, "messages": messages})
        trigger = world.settings.content_filter_trigger
        if safety_on and trigger and trigger.lower() in text.lower():
            return Response(400, content_filter_error())
        prompt = next((str(m.get("content", "")) for m in reversed(messages) if m.get("role") == "user"), "")
        answer = world.settings.answers.get(name, {}).get(prompt)
        if answer is None:
            answer = f"{name} answers: {prompt[:200]}"
        wants_logprobs = bool(body.get("logprobs")) and world.settings.logprobs
        if (
            body.get("logprobs")
            and world.settings.logprobs
            and request.header("extra-parameters") != "pass-through"
        ):
            raise ApiError(
                400,
                "invalid_request_error",
                "Extra parameter 'logprobs' is not allowed; send header extra-parameters: pass-through.",
            )
        choice: dict[str, Any] = {
            "index": 0,
            "finish_reason": "stop",
            "message": {"role": "assistant", "content": answer},
        }
        if wants_logprobs:
            choice["logprobs"] = {
                "content": [
                    {"token": tok, "logprob": -0.05 * (1 + i % 3), "bytes": list(tok.encode())}
                    for i, tok in enumerate(answer.split())
                ]
            }
        prompt_tokens = max(1, math.ceil(len(text) / 4))
        completion_tokens = max(1, math.ceil(len(answer) / 4))
        return Response(
            200,
            {
                "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": endpoint["properties"]["modelSettings"]["modelId"]
                .split("/models/")[-1]
                .split("/")[0],
                "choices": [choice],
                "usage": {
                    "prompt_tokens": prompt_tokens,
                    "completion_tokens": completion_tokens,
                    "total_tokens": prompt_tokens + completion_tokens,
                },
            },
        )

    base = r"/inference/(?P<endpoint>[^/]+)"
    router.add("POST", base + r"/v1/chat/completions", chat)
    router.add("POST", base + r"/chat/completions", chat)


def content_filter_error() -> dict[str, Any]:
    results = {
        c: {"filtered": c == "violence", "severity": "medium" if c == "violence" else "safe"}
        for c in CATEGORIES
    }
    results["jailbreak"] = {"filtered": False, "detected": False}
    return {
        "error": {
            "code": "content_filter",
            "message": "The response was filtered due to the prompt triggering Azure AI content management "
            "policy. Please modify your prompt and retry.",
            "param": "prompt",
            "status": 400,
            "innererror": {"code": "ResponsibleAIPolicyViolation", "content_filter_result": results},
        }
    }
