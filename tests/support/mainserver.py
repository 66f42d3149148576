"""A stand-in for the Smart Village mainserver on 127.0.0.1 (a LocalServer): a contract test, not the real thing.

It issues OAuth2 client-credentials tokens, checks the bearer token of every GraphQL request,
and validates every document and its variables against the mainserver's schema (built from the
mutation SDL in tests/fixtures/smartvillage with graphql-core), then executes it against an
in-memory table of event records. Everything it refuses is kept in ``violations``.
"""

from __future__ import annotations

import itertools
import json
import secrets
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from graphql import GraphQLSchema, build_schema, graphql_sync, parse, validate

from ris_connector.testing import LocalServer, Reply, Request

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "smartvillage"


def mainserver_schema() -> GraphQLSchema:
    """The schema from the mutation SDL; a minimal Query type is added if the SDL has none."""
    sdl = (FIXTURES / "mainserver-mutations.graphql").read_text(encoding="utf-8")
    if "type Query" not in sdl:
        sdl += "\ntype Query { _stub: String }\n"
    return build_schema(sdl)


@dataclass
class Mainserver:
    """Client credentials ``client_id``/``client_secret``; tokens live for ``token_uses`` requests."""

    client_id: str = "ris-test"
    client_secret: str = "mainserver-secret"
    expires_in: int = 7200
    token_uses: int = 1000
    schema: GraphQLSchema = field(default_factory=mainserver_schema)
    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    by_external: dict[str, str] = field(default_factory=dict)
    destroyed: list[str] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    documents: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    token_requests: int = 0
    unauthorized: int = 0

    def __post_init__(self) -> None:
        self._tokens: dict[str, int] = {}
        self._ids = itertools.count(101)
        self._lock = threading.Lock()
        self._server = LocalServer(fallback=self._answer, name="mainserver")

    # -- resolvers -------------------------------------------------------------------------------
    def _create_event_record(self, _info: Any, **args: Any) -> dict[str, Any]:
        external = args.get("externalId")
        if not external:
            self.violations.append("createEventRecord without externalId")
        record_id = args.get("id")
        if record_id is not None and record_id not in self.records:
            self.violations.append(f"createEventRecord with unknown id {record_id}")
        if record_id is None:
            if external in self.by_external:
                self.violations.append(f"second record created for externalId {external}")
            record_id = str(next(self._ids))
        self.records[record_id] = {**args, "id": record_id}
        if external:
            self.by_external[external] = record_id
        return {"id": record_id, "externalId": external, "title": args.get("title")}

    def _destroy_record(self, _info: Any, **args: Any) -> dict[str, Any]:
        record_id = args.get("id")
        if args.get("recordType") != "EventRecord" or record_id not in self.records:
            self.violations.append(f"destroyRecord {args}")
            return {"id": record_id, "status": "not found", "statusCode": 404}
        self.destroyed.append(record_id)
        del self.records[record_id]
        return {"id": record_id, "status": "Record destroyed", "statusCode": 200}

    # -- HTTP ------------------------------------------------------------------------------------
    def _token(self, form: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
        self.token_requests += 1
        ok = (
            form.get("grant_type") == ["client_credentials"]
            and form.get("client_id") == [self.client_id]
            and form.get("client_secret") == [self.client_secret]
        )
        if not ok:
            return 401, {"error": "invalid_client"}
        token = secrets.token_hex(16)
        self._tokens[token] = self.token_uses
        return 200, {"access_token": token, "token_type": "Bearer", "expires_in": self.expires_in}

    def _graphql(self, auth: str, raw: bytes) -> tuple[int, dict[str, Any]]:
        token = auth.removeprefix("Bearer ").strip() if auth.startswith("Bearer ") else ""
        if self._tokens.get(token, 0) <= 0:
            self.unauthorized += 1
            return 401, {"errors": [{"message": "unauthorized"}]}
        self._tokens[token] -= 1
        request = json.loads(raw)
        query, variables = request["query"], request.get("variables") or {}
        self.documents.append((query, variables))
        errors = validate(self.schema, parse(query))
        if errors:
            self.violations.extend(f"document: {e.message}" for e in errors)
            return 200, {"errors": [{"message": e.message} for e in errors]}
        root = {"createEventRecord": self._create_event_record, "destroyRecord": self._destroy_record}
        result = graphql_sync(self.schema, query, root_value=root, variable_values=variables)
        if result.errors:
            self.violations.extend(f"execution: {e.message}" for e in result.errors)
            return 200, {"errors": [{"message": e.message} for e in result.errors]}
        return 200, {"data": result.data}

    def _answer(self, request: Request) -> Reply:
        with self._lock:
            if request.path == "/oauth/token":
                status, body = self._token(parse_qs(request.body.decode("ascii")))
            elif request.path == "/graphql":
                status, body = self._graphql(request.header("Authorization", ""), request.body)
            else:
                status, body = 404, {"error": "not found"}
        return Reply(status, json.dumps(body).encode(), "application/json")

    def start(self) -> Mainserver:
        self._server.start()
        return self

    @property
    def url(self) -> str:
        return self._server.base_url

    def expire_all_tokens(self) -> None:
        """Revoke every token, as a server restart or a short lifetime would."""
        with self._lock:
            self._tokens.clear()

    def stop(self) -> None:
        self._server.stop()
