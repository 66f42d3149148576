"""A real SOAP 1.1 server on 127.0.0.1 for the Sitzungsdienst WSDL in tests/fixtures/soap.

Built on the project's LocalServer and lxml (through ris_connector.xmlsafe, as every parse of foreign XML
should be). It serves the WSDL with its own address, answers the four operations from an
editable dataset, sends SOAP faults, xsi:nil values, slow answers, and checks HTTP basic
auth or a WS-Security UsernameToken.

For the hostile cases: ``address`` puts another endpoint into the WSDL's ``soap:address``,
``import_chain`` makes the WSDL import a chain of that many nested XSD documents
(``/xsd/1`` imports ``/xsd/2``...), ``fault_text`` answers every call (or those of
``fault_operations``) with that fault string.
Every request body is kept in ``bodies``.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, TypedDict
from xml.sax.saxutils import escape

from ris_connector.testing import LocalServer, Reply, Request, delay
from ris_connector.xmlsafe import local_name, parse_bytes

WSDL = Path(__file__).resolve().parents[1] / "fixtures" / "soap" / "sitzungsdienst.wsdl"
NS = "urn:ris-connector:test:sitzungsdienst:1"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"


Row = dict[str, Any]
"""One object as the service answers it: element name -> value (str, int, bool, None)."""


class SoapData(TypedDict):
    """What the service answers from, keyed as its operations ask."""

    meetings: list[Row]
    agendas: dict[int, list[Row]]
    """Meeting id -> its agenda items."""
    papers: dict[int, Row]
    documents: dict[int, list[Row]]
    """Paper id -> its documents."""


def default_data() -> SoapData:
    return {
        "meetings": [
            {
                "id": 301,
                "titel": "Sitzung des Gemeinderates",
                "gremiumId": 11,
                "gremium": "Gemeinderat",
                "beginn": "2024-04-16T18:00:00+02:00",
                "ende": "2024-04-16T21:00:00+02:00",
                "raum": "Ratssaal",
                "status": "eingeladen",
                "abgesagt": False,
            },
            {
                "id": 302,
                "titel": "Sitzung des Bauausschusses",
                "gremiumId": 12,
                "gremium": "Bauausschuss",
                "beginn": "2024-04-18T17:00:00",
                "ende": None,
                "raum": None,
                "status": None,
                "abgesagt": None,
            },
            {
                "id": 303,
                "titel": "Sitzung des Kulturausschusses",
                "gremiumId": None,
                "gremium": None,
                "beginn": "2024-04-25T17:00:00+02:00",
                "ende": None,
                "raum": None,
                "status": None,
                "abgesagt": True,
            },
        ],
        "agendas": {
            301: [
                {
                    "id": 3011,
                    "nummer": "1",
                    "position": 1,
                    "betreff": "Eröffnung",
                    "oeffentlich": True,
                    "vorlageId": None,
                    "ergebnis": None,
                },
                {
                    "id": 3012,
                    "nummer": "2",
                    "position": 2,
                    "betreff": "Haushaltssatzung 2025",
                    "oeffentlich": True,
                    "vorlageId": 501,
                    "ergebnis": "beschlossen",
                },
                {
                    "id": 3013,
                    "nummer": "3",
                    "position": 3,
                    "betreff": "Personalangelegenheit",
                    "oeffentlich": False,
                    "vorlageId": 502,
                    "ergebnis": None,
                },
            ],
            302: [
                {
                    "id": 3021,
                    "nummer": "1",
                    "position": 1,
                    "betreff": "Bebauungsplan Nord",
                    "oeffentlich": True,
                    "vorlageId": 503,
                    "ergebnis": None,
                },
            ],
        },
        "papers": {
            501: {
                "id": 501,
                "aktenzeichen": "VO/2024/501",
                "betreff": "Haushaltssatzung 2025",
                "art": "Beschlussvorlage",
                "datum": "2024-03-01",
                "dokumentId": [9001, 9002],
            },
            502: {
                "id": 502,
                "aktenzeichen": "VO/2024/502",
                "betreff": "Personalangelegenheit",
                "art": None,
                "datum": None,
            },
            503: {
                "id": 503,
                "aktenzeichen": "VO/2024/503",
                "betreff": "Bebauungsplan Nord",
                "art": "Beschlussvorlage",
                "datum": "2024-02-12",
            },
        },
        "documents": {
            501: [
                {
                    "id": 9001,
                    "name": "Vorlage",
                    "dateiname": "VO-2024-501.pdf",
                    "mimeType": "application/pdf",
                    "url": "https://ris.example.org/dokumente/9001.pdf",
                    "groesse": 120334,
                },
                {
                    "id": 9002,
                    "name": "Anlage Haushaltsplan",
                    "dateiname": "Anlage.pdf",
                    "mimeType": None,
                    "url": "https://ris.example.org/dokumente/9002.pdf",
                    "groesse": None,
                },
            ],
        },
    }


@dataclass
class SoapServer:
    """Start with ``.start()``; ``auth`` is None, ``("basic", user, pw)`` or ``("wsse", user, pw)``."""

    auth: tuple[str, str, str] | None = None
    delay: float = 0.0
    data: SoapData = field(default_factory=default_data)
    calls: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    wsdl_gets: int = 0
    seen_headers: list[dict[str, str]] = field(default_factory=list)
    address: str | None = None
    import_chain: int = 0
    fault_text: str | None = None
    fault_operations: tuple[str, ...] = ()
    bodies: list[bytes] = field(default_factory=list)
    xsd_gets: int = 0
    #: Answer ``SitzungenImZeitraum`` with the meetings of the asked window only, as real servers
    #: do. Off for tests that spoil ``beginn``: a date outside the window is then a meeting the
    #: server rightly leaves out, not a value the client lost.
    window: bool = True

    def start(self) -> SoapServer:
        self._server = LocalServer(fallback=self._reply, name="soap-server").start()
        return self

    def _reply(self, request: Request) -> Reply:
        xml = "text/xml; charset=utf-8"
        if request.method == "POST":
            self.seen_headers.append(dict(request.headers))
            self.bodies.append(request.body)
            status, answer = self.answer(request.body, request.header("Authorization"))
            return delay(self.delay, Reply(status, answer.encode(), xml))
        if request.target.startswith("/xsd/"):
            self.xsd_gets += 1
            return Reply(200, self.chain_schema(int(request.target[5:])), xml)
        if not request.target.startswith("/sitzungsdienst"):
            return Reply(404, b"")
        self.wsdl_gets += 1
        return Reply(200, self.wsdl_text().encode(), xml)

    @property
    def url(self) -> str:
        return self._server.url("/sitzungsdienst")

    @property
    def wsdl_url(self) -> str:
        return self.url + "?wsdl"

    def stop(self) -> None:
        self._server.stop()

    def local_wsdl(self, folder: Path) -> Path:
        """The WSDL as a local file whose address points at this server."""
        path = folder / "sitzungsdienst.wsdl"
        path.write_text(self.wsdl_text())
        return path

    def wsdl_text(self) -> str:
        """The WSDL with this server's address (or ``address``) and the import chain, if any."""
        original = "http://127.0.0.1:8099/sitzungsdienst"
        text = WSDL.read_text(encoding="utf-8").replace(original, self.address or self.url)
        if self.import_chain:
            base = self.url.rsplit("/", 1)[0]
            chain = f'<xsd:import namespace="urn:chain:1" schemaLocation="{base}/xsd/1"/>'
            text = text.replace('elementFormDefault="qualified">', 'elementFormDefault="qualified">' + chain, 1)
        return text

    def chain_schema(self, n: int) -> bytes:
        """XSD number ``n`` of the import chain: imports number ``n + 1`` until ``import_chain``."""
        base = self.url.rsplit("/", 1)[0]
        inner = (
            f'<xsd:import namespace="urn:chain:{n + 1}" schemaLocation="{base}/xsd/{n + 1}"/>'
            if n < self.import_chain
            else ""
        )
        return (
            '<?xml version="1.0" encoding="utf-8"?>'
            f'<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:chain:{n}">'
            f'{inner}<xsd:simpleType name="t{n}"><xsd:restriction base="xsd:string"/></xsd:simpleType>'
            "</xsd:schema>"
        ).encode()

    # -- answering ---------------------------------------------------------------------------
    def answer(self, body: bytes, authorization: str | None) -> tuple[int, str]:
        root, _ = parse_bytes(body, where="request")
        header = next((c for c in root if local_name(c) == "Header"), None)
        payload = next(c for c in next(c for c in root if local_name(c) == "Body"))
        operation = local_name(payload)
        params = {local_name(c): (c.text or "") for c in payload}
        self.calls.append((operation, params))
        denied = self._check_auth(header, authorization)
        if denied:
            return denied
        if self.fault_text is not None and (not self.fault_operations or operation in self.fault_operations):
            return 500, _fault("soap:Server", self.fault_text)
        try:
            return 200, _envelope(getattr(self, "_op_" + operation)(params))
        except KeyError as exc:
            return 500, _fault("soap:Client", f"{operation}: {exc.args[0]} nicht gefunden")
        except ValueError as exc:  # an argument that is no number, as a real service answers it
            return 500, _fault("soap:Client", f"{operation}: ungültiges Argument ({exc})")

    def _check_auth(self, header: Any, authorization: str | None) -> tuple[int, str] | None:
        if not self.auth:
            return None
        kind, user, password = self.auth
        if kind == "basic":
            expected = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
            return None if authorization == expected else (401, "")
        token = {}
        if header is not None:
            for el in header.iter():
                if local_name(el) in ("Username", "Password"):
                    token[local_name(el)] = el.text
        if token.get("Username") == user and token.get("Password") == password:
            return None
        return 500, _fault("wsse:FailedAuthentication", "Anmeldung fehlgeschlagen")

    def _op_SitzungenImZeitraum(self, p: dict[str, str]) -> str:
        von, bis = date.fromisoformat(p["von"][:10]), date.fromisoformat(p["bis"][:10])

        def in_window(meeting: dict[str, Any]) -> bool:
            if not self.window:
                return True
            try:
                return von <= date.fromisoformat(meeting["beginn"][:10]) <= bis
            except (TypeError, ValueError):  # a spoiled date (tests of odd values): sent anyway
                return True

        rows = [m for m in self.data["meetings"] if in_window(m)]
        return _wrap("SitzungenImZeitraumResponse", "".join(_obj("sitzung", m) for m in rows))

    def _op_Tagesordnung(self, p: dict[str, str]) -> str:
        items = self.data["agendas"].get(int(p["sitzungId"]), [])
        return _wrap("TagesordnungResponse", "".join(_obj("top", t) for t in items))

    def _op_VorlageLesen(self, p: dict[str, str]) -> str:
        paper = self.data["papers"].get(int(p["vorlageId"]))
        if paper is None:
            raise KeyError(f"Vorlage {p['vorlageId']}")
        return _wrap("VorlageLesenResponse", _obj("vorlage", paper))

    def _op_DokumenteZurVorlage(self, p: dict[str, str]) -> str:
        docs = self.data["documents"].get(int(p["vorlageId"]), [])
        return _wrap("DokumenteZurVorlageResponse", "".join(_obj("dokument", d) for d in docs))


class Raw(str):
    """A value sent as it is, unescaped: XML fragments (nested elements, CDATA) in a field."""


def _value(value: Any) -> str:
    if isinstance(value, Raw):
        return str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return escape(str(value))


def _obj(name: str, fields: dict[str, Any]) -> str:
    inner = "".join(
        f'<sd:{k} xsi:nil="true"/>'
        if v is None
        else "".join(f"<sd:{k}>{_value(x)}</sd:{k}>" for x in v)
        if isinstance(v, list)
        else f"<sd:{k}>{_value(v)}</sd:{k}>"
        for k, v in fields.items()
    )
    return f"<sd:{name}>{inner}</sd:{name}>"


def _wrap(name: str, inner: str) -> str:
    return f"<sd:{name}>{inner}</sd:{name}>"


def _envelope(body: str) -> str:
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" '
        f'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:sd="{NS}">'
        f"<soap:Body>{body}</soap:Body></soap:Envelope>"
    )


def _fault(code: str, text: str) -> str:
    return _envelope(
        f'<soap:Fault xmlns:wsse="{WSSE}"><faultcode>{code}</faultcode>'
        f"<faultstring>{escape(text)}</faultstring></soap:Fault>"
    )
