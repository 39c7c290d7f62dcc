"""OpenID Connect login (authorization code flow with PKCE), the relying party's side.

``start`` sends the browser to the provider with a fresh ``state``, ``nonce`` and PKCE
verifier, kept in a short-lived HttpOnly cookie; ``finish`` checks the ``state`` against
that cookie, exchanges the code for tokens at the provider's token endpoint, and checks
the ID token: its signature against the provider's published keys, its issuer, audience,
expiry and nonce.  The provider's endpoints come from its discovery document
(``<issuer>/.well-known/openid-configuration``), fetched once per process.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
import orjson
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from labledger.core.errors import AuthenticationError, InvalidInputError
from labledger.core.settings import Settings

FLOW_COOKIE = "labledger_oidc"
FLOW_LIFETIME_S = 600
_CACHE_S = 3600


@dataclass(frozen=True, slots=True)
class Identity:
    subject: str  # issuer and sub: unique across providers
    preferred_name: str


class OidcProvider:
    def __init__(self, settings: Settings) -> None:
        if not (settings.oidc_issuer and settings.oidc_client_id):
            raise InvalidInputError("OpenID Connect is not configured on this server")
        self.issuer = settings.oidc_issuer.rstrip("/")
        self.client_id = settings.oidc_client_id
        self.client_secret = settings.oidc_client_secret or ""
        self._config: dict[str, Any] | None = None
        self._keys: KeySet | None = None
        self._fetched = 0.0
        self._lock = threading.Lock()

    def start(self, redirect_uri: str) -> tuple[str, str]:
        """(the provider's authorization URL, the flow cookie's value)."""
        config = self._discovery()
        state, nonce, verifier = (secrets.token_urlsafe(32) for _ in range(3))
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
        query = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": redirect_uri,
            "scope": "openid email profile",
            "state": state,
            "nonce": nonce,
            "code_challenge": challenge.rstrip(b"=").decode(),
            "code_challenge_method": "S256",
        }
        url = f"{config['authorization_endpoint']}?{urlencode(query)}"
        return url, ".".join((state, nonce, verifier))

    def finish(
        self, flow_cookie: str | None, params: dict[str, str], redirect_uri: str
    ) -> Identity:
        """The user the provider vouches for, or ``AuthenticationError`` saying why not."""
        if "error" in params:
            raise AuthenticationError(f"the provider refused the login: {params['error']}")
        parts = (flow_cookie or "").split(".")
        if len(parts) != 3 or not secrets.compare_digest(parts[0], params.get("state", "")):
            raise AuthenticationError("the login's state does not match: start again")
        _, nonce, verifier = parts
        code = params.get("code")
        if not code or len(code) > 2000:
            raise AuthenticationError("the provider sent no authorization code")
        config = self._discovery()
        try:
            answer = httpx.post(
                config["token_endpoint"],
                data={
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": redirect_uri,
                    "code_verifier": verifier,
                },
                auth=(self.client_id, self.client_secret),
                timeout=15.0,
            )
        except httpx.HTTPError as exc:
            raise AuthenticationError(f"the provider cannot be reached: {exc}") from exc
        if answer.status_code != 200:
            raise AuthenticationError(f"the provider refused the code ({answer.status_code})")
        id_token = answer.json().get("id_token")
        if not isinstance(id_token, str):
            raise AuthenticationError("the provider sent no ID token")
        claims = self._check(id_token, nonce)
        sub = str(claims["sub"])
        name = claims.get("preferred_username") or claims.get("email") or sub
        return Identity(f"{self.issuer}|{sub}", str(name))

    def _check(self, id_token: str, nonce: str) -> dict[str, Any]:
        try:
            token = jwt.decode(id_token, self._key_set())
            jwt.JWTClaimsRegistry(
                leeway=60,
                iss={"essential": True, "value": self._discovery()["issuer"]},
                aud={"essential": True, "value": self.client_id},
                sub={"essential": True},
                exp={"essential": True},
                nonce={"essential": True, "value": nonce},
            ).validate(token.claims)
        except (JoseError, ValueError) as exc:
            raise AuthenticationError(f"the ID token does not hold: {exc}") from exc
        return dict(token.claims)

    def _discovery(self) -> dict[str, Any]:
        with self._lock:
            if self._config is None or time.monotonic() - self._fetched > _CACHE_S:
                url = f"{self.issuer}/.well-known/openid-configuration"
                try:
                    config = orjson.loads(httpx.get(url, timeout=15.0).raise_for_status().content)
                    keys = httpx.get(config["jwks_uri"], timeout=15.0).raise_for_status()
                    self._keys = KeySet.import_key_set(orjson.loads(keys.content))
                except (httpx.HTTPError, KeyError, ValueError, JoseError) as exc:
                    raise AuthenticationError(
                        f"the OpenID Connect provider {self.issuer} cannot be used: {exc}"
                    ) from exc
                if config.get("issuer", "").rstrip("/") != self.issuer:
                    raise AuthenticationError(
                        f"the provider's discovery document names issuer {config.get('issuer')!r}"
                    )
                self._config, self._fetched = config, time.monotonic()
            return self._config

    def _key_set(self) -> KeySet:
        self._discovery()
        assert self._keys is not None
        return self._keys
