"""Entra ID subset for azure-identity/MSAL: OIDC discovery and the client-credentials token endpoint.

MSAL validates a custom authority by instance discovery at login.microsoftonline.com unless the
credential is built with `disable_instance_discovery=True` (what core/credential.py does for a
custom cloud, as Azure Stack Hub and private clouds need). Then it reads
`{authority}/{tenant}/v2.0/.well-known/openid-configuration` and posts to its token_endpoint.

Tokens are JWTs with the claims a real v1 token carries (aud from the scope, iss sts.windows.net,
iat/nbf/exp, oid, tid, appid). They are not signed with a real key; the emulator recognises its own
tokens by value, and Azurite's `--oauth basic` checks only claims.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
from typing import Any
from urllib.parse import parse_qs

from tests.emulator.http import Request, Response, Router
from tests.emulator.routes.common import Context

TOKEN_LIFETIME = 3600


def register(router: Router, ctx: Context) -> None:
    def openid(request: Request) -> Response:
        tenant = request.params["tenant"]
        base = f"{ctx.base_url}/{tenant}"
        return Response(
            200,
            {
                "token_endpoint": f"{base}/oauth2/v2.0/token",
                "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
                "issuer": f"{base}/v2.0",
                "jwks_uri": f"{base}/discovery/v2.0/keys",
                "response_types_supported": ["code", "id_token", "token"],
                "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt"],
                "tenant_region_scope": "NA",
            },
        )

    def token(request: Request) -> Response:
        form = {k: v[-1] for k, v in parse_qs(request.body.decode()).items()}
        scenario = ctx.scenario
        if request.params["tenant"].lower() not in (scenario.tenant_id.lower(), "organizations"):
            return _oauth_error(
                400, "invalid_request", f"AADSTS90002: Tenant '{request.params['tenant']}' not found."
            )
        if form.get("grant_type") != "client_credentials":
            return _oauth_error(
                400,
                "unsupported_grant_type",
                "AADSTS70003: The emulator supports the client_credentials grant only.",
            )
        if form.get("client_id") != scenario.client_id:
            return _oauth_error(
                400,
                "unauthorized_client",
                f"AADSTS700016: Application with identifier '{form.get('client_id')}' "
                "was not found in the directory.",
            )
        if form.get("client_secret") != scenario.client_secret:
            return _oauth_error(401, "invalid_client", "AADSTS7000215: Invalid client secret provided.")
        scope = form.get("scope", "")
        resource = next((s for s in scope.split() if s.endswith("/.default")), "")
        audience = resource[: -len("/.default")] if resource else ""
        if not audience:
            return _oauth_error(
                400, "invalid_scope", "AADSTS1002012: The provided value for scope is not valid."
            )
        access_token, claims = issue_token(ctx, audience)
        ctx.world.tokens[access_token] = claims
        return Response(
            200,
            {
                "token_type": "Bearer",
                "expires_in": TOKEN_LIFETIME,
                "ext_expires_in": TOKEN_LIFETIME,
                "access_token": access_token,
            },
        )

    tenant = r"/(?P<tenant>[0-9a-zA-Z.-]+)"
    router.add("GET", tenant + r"/v2\.0/\.well-known/openid-configuration", openid)
    router.add("POST", tenant + r"/oauth2/v2\.0/token", token)


def issue_token(ctx: Context, audience: str) -> tuple[str, dict[str, Any]]:
    scenario = ctx.scenario
    now = int(time.time())
    claims = {
        "aud": audience.rstrip("/") if audience.startswith("https://storage.") else audience,
        "iss": f"https://sts.windows.net/{scenario.tenant_id}/",
        "iat": now - 5,
        "nbf": now - 5,
        "exp": now + TOKEN_LIFETIME,
        "oid": scenario.principal_id,
        "tid": scenario.tenant_id,
        "appid": scenario.client_id,
        "sub": scenario.principal_id,
        "ver": "1.0",
    }
    header = {"typ": "JWT", "alg": "RS256", "kid": "emulator"}
    token = ".".join(
        [_b64(json.dumps(header).encode()), _b64(json.dumps(claims).encode()), _b64(secrets.token_bytes(32))]
    )
    return token, claims


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _oauth_error(status: int, error: str, description: str) -> Response:
    return Response(
        status,
        {
            "error": error,
            "error_description": description,
            "error_codes": [0],
            "timestamp": time.strftime("%Y-%m-%d %H:%M:%SZ"),
            "trace_id": "00000000-0000-0000-0000-000000000000",
        },
    )
