"""The connection every HTTP part shares: one httpx client (keep-alive), requests, streams,
and error bodies mapped back to the same ``TrackerError`` classes the server raised."""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from labledger.core.entities import Run, RunStatus
from labledger.core.errors import (
    AuthenticationError,
    TrackerError,
    TransportError,
    error_from_body,
)

_NON_FINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def wire_float(value: Any) -> float:
    """A number as the server writes it: NaN and the infinities travel as strings."""
    return _NON_FINITE[value] if isinstance(value, str) else float(value)


def run_from_wire(data: dict[str, Any]) -> Run:
    return Run(
        id=data["id"],
        project=data["project"],
        name=data["name"],
        status=RunStatus(data["status"]),
        start_ms=data["start_ms"],
        end_ms=data.get("end_ms"),
        user=data.get("user"),
        parent_id=data.get("parent_id"),
        group=data.get("group"),
        notes=data.get("notes"),
        run_key=data.get("run_key"),
        heartbeat_ms=data.get("heartbeat_ms"),
        seal_hash=data.get("seal_hash"),
        sealed_ms=data.get("sealed_ms"),
        params=dict(data["params"]),
        tags=dict(data["tags"]),
        metrics={k: wire_float(v) for k, v in data["metrics"].items()},
    )


class HttpConnection:
    """``transport``: an httpx transport to send through instead of the network; tests pass
    the one ``fastapi.testclient.TestClient`` holds, to talk to an app in this process."""

    def __init__(
        self,
        base_url: str,
        *,
        token: str | None = None,
        timeout: float = 60.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        headers = {"User-Agent": "labledger-sdk"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self.base_url = base_url.rstrip("/")
        self.client = httpx.Client(
            base_url=self.base_url,
            headers=headers,
            timeout=httpx.Timeout(timeout, connect=5.0),
            transport=transport,
        )

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        """The decoded JSON answer (None for 204); errors raised as ``TrackerError``."""
        try:
            response = self.client.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise self._unreachable(exc) from exc
        if response.status_code >= 400:
            self._raise_for(response, path)
        if response.status_code == 204:
            return None
        return response.json()

    @contextmanager
    def stream(self, url: str, params: dict[str, str] | None = None) -> Iterator[Iterator[bytes]]:
        """A GET whose body is read as the network delivers it (no re-chunking copies)."""
        try:
            with self.client.stream("GET", url, params=params) as response:
                if response.status_code >= 400:
                    response.read()
                    self._raise_for(response, url)
                yield response.iter_bytes()
        except httpx.HTTPError as exc:
            raise self._unreachable(exc) from exc

    def close(self) -> None:
        self.client.close()

    def _unreachable(self, exc: httpx.HTTPError) -> TransportError:
        return TransportError(
            f"cannot reach {self.base_url}: {exc}", details={"url": self.base_url}
        )

    def _raise_for(self, response: httpx.Response, path: str) -> None:
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict) and "error_code" in body:
            refusal = error_from_body(body)
            if isinstance(refusal, AuthenticationError):  # say how, from the SDK's side
                refusal.message = (
                    f"{refusal.message} [{self.base_url}: set LABLEDGER_TOKEN, or run "
                    f"`labledger login {self.base_url}`]"
                )
                refusal.args = (refusal.message,)
            raise refusal
        error = TransportError if response.status_code >= 500 else TrackerError
        raise error(f"HTTP {response.status_code} from {self.base_url}{path}")
