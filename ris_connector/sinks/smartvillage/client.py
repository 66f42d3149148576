"""The mainserver's API: OAuth2 client credentials, then GraphQL with the bearer token.

Every answer is read within the policy's ``max_response_bytes`` and ``deadline``
(:mod:`ris_connector.http.outbound`); a larger one fails the call with a DeliveryError.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import requests

from ris_connector.errors import DeliveryError, redact_url
from ris_connector.http.outbound import RetryPolicy, post
from ris_connector.logsafe import safe_text

log = logging.getLogger(__name__)

#: Renew a token this many seconds before the server says it expires.
EXPIRY_MARGIN = 30.0


class MainserverClient:
    """Talks to one mainserver at ``base_url``; fetches a token on first use and renews it
    when it is about to expire or when the server answers 401."""

    def __init__(
        self,
        base_url: str,
        *,
        client_id: str,
        client_secret: str,
        policy: RetryPolicy | None = None,
        session: requests.Session | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._client_id = client_id
        self._client_secret = client_secret
        self.policy = policy or RetryPolicy()
        self.session = session or requests.Session()
        self._clock = clock
        self._token: str | None = None
        self._expires_at = 0.0
        self.token_requests = 0

    def _fetch_token(self) -> None:
        url = f"{self.base_url}/oauth/token"
        body = urlencode(
            {"grant_type": "client_credentials", "client_id": self._client_id, "client_secret": self._client_secret}
        ).encode("ascii")
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"}
        self.token_requests += 1
        response = post(self.session, url, body, headers=headers, policy=self.policy, what="token")
        if response.status_code != 200:
            raise DeliveryError(
                f"the mainserver refused the client credentials (HTTP {response.status_code})",
                url=url,
                status=response.status_code,
                retryable=False,
            )
        try:
            data = response.json()
            token = str(data["access_token"])
        except (ValueError, KeyError, TypeError):
            raise DeliveryError("the token answer holds no access_token", url=url, retryable=False) from None
        expires_in = data.get("expires_in")
        lifetime = float(expires_in) if isinstance(expires_in, (int, float)) else 3600.0
        self._token = token
        self._expires_at = self._clock() + max(0.0, lifetime - EXPIRY_MARGIN)
        log.info("got a mainserver token from %s (valid %.0f s)", redact_url(url), lifetime)

    def _bearer(self) -> str:
        if self._token is None or self._clock() >= self._expires_at:
            self._fetch_token()
        assert self._token is not None
        return self._token

    def execute(self, query: str, variables: dict[str, Any], *, what: str) -> dict[str, Any]:
        """Run one GraphQL document; returns ``data``; DeliveryError on HTTP or GraphQL errors."""
        url = f"{self.base_url}/graphql"
        body = json.dumps({"query": query, "variables": variables}, ensure_ascii=False).encode("utf-8")
        for attempt in (1, 2):
            headers = {
                "Content-Type": "application/json; charset=utf-8",
                "Accept": "application/json",
                "Authorization": f"Bearer {self._bearer()}",
            }
            response = post(self.session, url, body, headers=headers, policy=self.policy, what=what)
            if response.status_code == 401 and attempt == 1:
                log.info("%s: the mainserver answered 401; renewing the token", what)
                self._token = None
                continue
            break
        if response.status_code != 200:
            raise DeliveryError(
                f"{what}: the mainserver answered HTTP {response.status_code}",
                url=url,
                status=response.status_code,
                retryable=False,
            )
        try:
            payload = response.json()
        except ValueError:
            raise DeliveryError(f"{what}: the mainserver answered no JSON", url=url, retryable=False) from None
        errors = payload.get("errors") if isinstance(payload, dict) else None
        if errors:
            messages = "; ".join(str(e.get("message", e)) if isinstance(e, dict) else str(e) for e in errors)
            raise DeliveryError(f"{what}: GraphQL error: {safe_text(messages)}", url=url, retryable=False)
        data = payload.get("data") if isinstance(payload, dict) else None
        if not isinstance(data, dict):
            raise DeliveryError(f"{what}: the answer holds no data", url=url, retryable=False)
        return data
