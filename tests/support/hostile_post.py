"""A POST target on 127.0.0.1 (a LocalServer) that answers badly: huge, slow, or asking to wait for ages.

The first path segment names the scenario, the rest is what the client posts to (a webhook
path, or the mainserver's ``/oauth/token`` and ``/graphql``):

* ``/big-{n}/...``          200 with ``n`` bytes of JSON-ish text, streamed in chunks (never held);
  ``/oauth/token`` answers a normal token, so a MainserverClient gets as far as ``/graphql``
* ``/retry-after-{n}/...``  503 with ``Retry-After: n``
* ``/slow-{s}/...``         the answer ``{}`` after ``s`` seconds
* ``/ok/...``               200 ``{"data": {}}``

``written[path]`` counts the answer bytes the server managed to send (the client may hang up
before); ``hits(path)`` (the server's own count) counts requests.
"""

from __future__ import annotations

import re

from ris_connector.testing import LocalServer, Reply, Request, delay, status

_CHUNK = 64 * 1024


def _answer(request: Request) -> Reply:
    scenario, _, rest = request.path.lstrip("/").partition("/")
    if rest.endswith("oauth/token"):
        return Reply.json({"access_token": "t0k", "expires_in": 3600})
    if match := re.fullmatch(r"big-(\d+)", scenario):
        size = int(match.group(1))
        return Reply(200, (b"x" * min(_CHUNK, size - i) for i in range(0, size, _CHUNK)), "application/json")
    if match := re.fullmatch(r"retry-after-(\d+)", scenario):
        return status(503, "later", Retry_After=match.group(1))
    if match := re.fullmatch(r"slow-([\d.]+)", scenario):
        return delay(float(match.group(1)), Reply(200, b"{}", "application/json"))
    return Reply(200, b'{"data": {}}', "application/json")


class HostilePostServer(LocalServer):
    """Start with ``with HostilePostServer() as srv:``; ``srv.url("/big-1000/hook")``."""

    def __init__(self) -> None:
        super().__init__(fallback=_answer, name="hostile-post")

    @property
    def written(self) -> dict[str, int]:
        """Answer body bytes sent per path, so far."""
        out: dict[str, int] = {}
        with self.lock:
            for served in self.answered:
                out[served.request.path] = out.get(served.request.path, 0) + served.sent
        return out
