"""The SOAP adapter: calls the operations a mapping lists and maps their results to records."""

from __future__ import annotations

import base64
import logging
import os
import threading
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import zeep
import zeep.exceptions
import zeep.helpers
from lxml import etree
from pydantic import Field
from zeep.wsse.username import UsernameToken

from ris_connector.adapters.base import Adapter, AdapterContext, AdapterOptions, Checkpoint, Item, Notice
from ris_connector.adapters.sdk.window import Window, has_window, window_for
from ris_connector.adapters.soap.transport import CoreTransport, SoapLimits
from ris_connector.errors import ConfigError, InvalidPayload, SourceError, UnsafeXml, redact_url
from ris_connector.logsafe import safe_text
from ris_connector.mapping import Mapping, MappingPlan, OperationSpec, Place, RecordSpec, load_mapping
from ris_connector.mapping.paths import element_text, object_values
from ris_connector.models import Record
from ris_connector.notices.soap import SOAP_FAULT, SOAP_INVALID_VALUE, SOAP_UNEXPECTED_ELEMENTS, SOAP_WSDL_WARNING
from ris_connector.notices.values import CONTROL_CHARACTERS, ENCODING_LABEL
from ris_connector.xmlsafe import local_name, safe_parser


class SoapOptions(AdapterOptions):
    """Options of the SOAP adapter."""

    mapping: str
    """A mapping file with ``[[operation]]`` tables, or a shipped name (``sitzungsdienst``)."""
    wsdl: str | None = None
    """WSDL file or URL; default: the source's ``url``. With a local WSDL, ``url`` is the endpoint."""
    service: str | None = None
    port: str | None = None
    auth: Literal["none", "basic", "wsse"] = "none"
    """HTTP basic auth or a WS-Security UsernameToken."""
    username: str | None = None
    password_env: str | None = None
    """Name of the environment variable that holds the password (never the password itself)."""
    wsdl_cache_dir: str | None = None
    """Keep fetched WSDL/XSD files here between runs (default: in memory for one run)."""
    wsdl_cache_ttl: float = Field(86400.0, ge=0, le=365 * 86400.0)
    max_schema_documents: int = Field(SoapLimits.max_schema_documents, ge=1, le=10_000)
    """WSDL and XSD documents the client may load (imports and includes counted)."""
    max_schema_depth: int = Field(SoapLimits.max_schema_depth, ge=0, le=100)
    """How deep schema imports may nest (beyond that Python's stack would run out)."""
    max_response_bytes: int = Field(SoapLimits.max_response_bytes, ge=1024, le=2**31)
    """Largest SOAP answer or schema document (zeep needs about 15 times this in memory)."""
    max_calls: int = Field(SoapLimits.max_calls, ge=1, le=10_000_000)
    """SOAP calls per run, ``for_each`` follow-up calls included; beyond it the run is incomplete."""


class SoapAdapter(Adapter[SoapOptions]):
    """Reads a SOAP service through zeep, hardened and over the core HTTP client."""

    name = "soap"
    Options = SoapOptions
    description = "SOAP web services (WSDL) mapped by a TOML mapping file with the operations to call"

    def __init__(self, ctx: AdapterContext, options: SoapOptions) -> None:
        super().__init__(ctx, options)
        self.opts = options
        self.mapping: Mapping = load_mapping(options.mapping)
        if not self.mapping.operations:
            raise ConfigError(f"mapping {self.mapping.source_file}: no [[operation]] for SOAP")
        self.plan = MappingPlan.for_source(self.mapping, ctx, self.name)
        self._collected: dict[str, list[tuple[str, Any]]] = {}
        self._seen_repeated: set[str] = set()
        self._wsdl_warnings: list[str] = []
        self._wsdl_local = False
        self.reading: str | None = None
        """The WSDL or operation being read (named if the run fails unexpectedly)."""

    @classmethod
    def requires_full_run(cls, options: SoapOptions) -> bool:
        """Services without a date window in any call have no change filter: every run is full."""
        mapping = load_mapping(options.mapping)
        return not any(has_window(str(v)) for op in mapping.operations for v in op.args.values())

    # -- the zeep client ---------------------------------------------------------------------
    def _client(self) -> tuple[zeep.Client, CoreTransport, Any]:
        wsdl = self.opts.wsdl or self.ctx.source.url
        if not wsdl:
            raise ConfigError(f"source {self.ctx.source.name!r}: give the WSDL as url or wsdl")
        local = self._wsdl_local = urlsplit(wsdl).scheme.lower() not in ("http", "https")
        password = self._password()
        endpoint = self.ctx.source.url if local else None
        header = None
        if self.opts.auth == "basic":
            header = "Basic " + base64.b64encode(f"{self.opts.username}:{password}".encode()).decode()
        # Credentials of either kind are added by the transport, to calls to the source's
        # configured origin only (never by zeep to whatever soap:address names).
        wsse = UsernameToken(self.opts.username, password) if self.opts.auth == "wsse" else None  # type: ignore[no-untyped-call]
        o = self.opts
        limits = SoapLimits(o.max_schema_documents, o.max_schema_depth, o.max_response_bytes, o.max_calls)
        transport = _WellFormedTransport(
            self.ctx.http,
            local_root=Path(wsdl).resolve().parent if local else None,
            cache_dir=Path(self.opts.wsdl_cache_dir) if self.opts.wsdl_cache_dir else None,
            cache_ttl=self.opts.wsdl_cache_ttl,
            auth_header=header,
            wsse=wsse,
            limits=limits,
        )
        settings = zeep.Settings(
            # Not strict: one element out of the WSDL's order (repeated, unknown: a service that
            # added a field) must not cost the whole answer; see _place_raw_elements.
            strict=False,
            xml_huge_tree=False,
            forbid_dtd=True,
            forbid_entities=True,
            forbid_external=local,
        )
        try:
            # zeep tolerates parts of a WSDL it cannot read and says so with warnings.warn, which
            # would print to stderr: they are collected and counted instead (soap-wsdl-warning).
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                client = zeep.Client(  # type: ignore[no-untyped-call]
                    str(Path(wsdl).resolve()) if local else wsdl,
                    transport=transport,
                    settings=settings,
                    service_name=self.opts.service,
                    port_name=self.opts.port,
                )
                service = client.service
                if endpoint:
                    services = client.wsdl.services
                    svc = services[self.opts.service] if self.opts.service else next(iter(services.values()))
                    port = svc.ports[self.opts.port] if self.opts.port else next(iter(svc.ports.values()))
                    service = client.create_service(port.binding.name, endpoint)  # type: ignore[no-untyped-call]
            self._wsdl_warnings = [safe_text(w.message) for w in caught]
        except SourceError:
            raise
        except RecursionError:  # nesting that max_schema_depth did not see (e.g. types, not imports)
            raise SourceError(
                f"cannot load WSDL {wsdl}: its schemas nest too deeply", url=None if local else wsdl
            ) from None
        except (zeep.exceptions.Error, OSError, ValueError, KeyError, StopIteration, AttributeError) as exc:
            # a document that is no usable WSDL: no service, no port, a binding that is missing
            raise SourceError(f"cannot load WSDL {wsdl}: {_describe(exc)}", url=None if local else wsdl) from None
        return client, transport, service

    def _password(self) -> str | None:
        if self.opts.auth == "none":
            return None
        if not self.opts.username or not self.opts.password_env:
            raise ConfigError(
                f"source {self.ctx.source.name!r}: auth {self.opts.auth!r} needs username and password_env"
            )
        password = os.environ.get(self.opts.password_env)
        if password is None:
            raise ConfigError(
                f"source {self.ctx.source.name!r}: environment variable {self.opts.password_env} is not set"
            )
        return password

    # -- fetching ----------------------------------------------------------------------------
    def fetch(self) -> Iterator[Item]:
        self.reading = f"WSDL {redact_url(self.opts.wsdl or self.ctx.source.url or '')}"
        client, transport, service = self._client()
        if self._wsdl_warnings:
            count = len(self._wsdl_warnings)
            example = self._wsdl_warnings[0]
            message = f"{self.reading}: {count} parts zeep could not read, e.g. {example}"
            yield Notice(SOAP_WSDL_WARNING, message, count)
        for op in self.mapping.operations:
            yield from self._operation(client, service, op)
        if transport.stats.control_characters:
            yield Notice(
                CONTROL_CHARACTERS,
                f"SOAP responses: removed {transport.stats.control_characters} illegal control characters",
                transport.stats.control_characters,
            )
        for message in transport.stats.relabelled:
            yield Notice(ENCODING_LABEL, message)

    def _operation(self, client: zeep.Client, service: Any, op: OperationSpec) -> Iterator[Item]:
        stream = f"soap:{op.name}"
        started = self.ctx.clock.now()
        window = window_for(
            now=started,
            since=self.ctx.since(stream),
            days_back=self.mapping.window_days_back,
            days_ahead=self.mapping.window_days_ahead,
        )
        specs = [r for r in self.mapping.records if r.operation == op.name]
        needed = {o.for_each.type for o in self.mapping.operations if o.for_each}
        for args in self._calls(op, window):
            result, notices, skipped = self._call(service, op, args)
            yield from notices
            if skipped:
                continue
            for spec in specs:
                yield from self._map(spec, result, needed, args)
        yield Checkpoint.watermark(stream, started)

    def _calls(self, op: OperationSpec, window: Window) -> Iterator[dict[str, Any]]:
        base = {k: window.fill_value(v) for k, v in op.args.items()}
        if op.for_each is None:
            yield base
            return
        values: dict[str, Any] = {}
        for native, obj in self._collected.get(op.for_each.type, []):
            found = object_values(obj, op.for_each.path) if op.for_each.path else [native]
            for value in found:
                values.setdefault(str(value), value)
        for value in values.values():
            yield {
                k: (value if v == "{value}" else v.replace("{value}", str(value)) if isinstance(v, str) else v)
                for k, v in base.items()
            }

    def _call(self, service: Any, op: OperationSpec, args: dict[str, Any]) -> tuple[Any, list[Notice], bool]:
        """The serialized result, the notices of the call, and whether a fault was skipped.

        Values zeep cannot read as their WSDL type are dropped by zeep (``soap-invalid-value``);
        elements it cannot place (repeated, out of order, unknown) are read by name
        (``soap-unexpected-elements``). A fault the mapping says to skip is a ``soap-fault``.
        """
        shown = safe_text(", ".join(f"{k}={v}" for k, v in args.items()))
        where = self.reading = f"operation {op.name}({shown})"
        try:
            operation = getattr(service, op.name)
        except AttributeError:
            message = f"mapping {self.mapping.source_file}: the service has no operation {op.name!r}"
            if self._wsdl_local:
                raise ConfigError(message) from None
            # the WSDL came from the service: it changed, or it was served broken this time
            raise SourceError(f"{message} in the WSDL it sent", source=self.ctx.source.name) from None
        drops = _ZeepDrops()
        _ZEEP_VALUES.addFilter(drops)
        try:
            result = operation(**args)
            serialized = zeep.helpers.serialize_object(result, target_cls=dict)  # type: ignore[no-untyped-call]
        except zeep.exceptions.Fault as fault:
            # The fault's text is the server's: escaped and clipped (a 50 MB fault string must
            # not be copied into the error, the log and the stored report).
            text = safe_text(f"{fault.code or ''} {fault.message or ''}".strip())
            message = f"SOAP fault in {where}: {text}"
            if op.on_fault == "skip":
                return None, [Notice(SOAP_FAULT, message)], True
            raise SourceError(message, source=self.ctx.source.name) from None
        except (zeep.exceptions.DTDForbidden, zeep.exceptions.EntitiesForbidden) as exc:
            raise UnsafeXml(f"operation {op.name}: {_describe(exc)}", source=self.ctx.source.name) from None
        except SourceError as exc:
            exc.args = (f"{where}: {exc.args[0] if exc.args else ''}",)
            if exc.source is None:  # refused by the XML cleaner, not the HTTP client
                exc.source = self.ctx.source.name
            raise
        except RecursionError:
            raise SourceError(f"{where}: the answer nests too deeply", source=self.ctx.source.name) from None
        except (zeep.exceptions.Error, ValueError, TypeError, AttributeError, KeyError, IndexError) as exc:
            # zeep parsing an answer that is no SOAP (an error page, broken XML) fails in odd ways
            raise SourceError(f"{where}: {_describe(exc)}", source=self.ctx.source.name) from None
        finally:
            _ZEEP_VALUES.removeFilter(drops)
        notices: list[Notice] = []
        if drops.problems:
            message = f"{where}: {len(drops.problems)} values not of their WSDL type dropped, e.g. {drops.problems[0]}"
            notices.append(Notice(SOAP_INVALID_VALUE, message, len(drops.problems)))
        placed: list[str] = []
        serialized = _place_raw_elements(serialized, placed)
        if placed:
            message = f"{where}: {len(placed)} elements out of the WSDL's order, read by name, e.g. {placed[0]}"
            notices.append(Notice(SOAP_UNEXPECTED_ELEMENTS, message, len(placed)))
        return serialized, notices, False

    def _map(self, spec: RecordSpec, result: Any, needed: set[str], args: dict[str, Any]) -> Iterator[Item]:
        objects = object_values(result, spec.result) if spec.result else _as_list(result)
        for position, obj in enumerate(objects, 1):
            built = None
            if isinstance(obj, dict):
                built = self.plan.object_item(spec, obj, Place(url=None, position=position, root=result, params=args))
            if built is None:
                continue
            item, notices = built
            if isinstance(item, Record):
                if spec.type in needed and item.provenance and item.provenance.original_id:
                    self._collected.setdefault(spec.type, []).append((item.provenance.original_id, obj))
                if spec.repeated:
                    if item.id in self._seen_repeated:
                        continue
                    self._seen_repeated.add(item.id)
            yield from notices
            yield item


class _WellFormedTransport(CoreTransport):
    """The core transport, refusing documents that are no well-formed XML before zeep sees them.

    zeep reads answers not strictly (see ``_client``) and then lets lxml *recover* broken XML: a
    truncated answer would be read as far as it goes, silently. Checked here first, a broken
    answer stays what it was in strict mode: an :class:`InvalidPayload` (the source fails).
    """

    def post(self, address: str, message: bytes | str, headers: dict[str, str]) -> Any:
        reply = super().post(address, message, headers)
        _check_well_formed(reply.content, address)
        return reply

    def load(self, url: str) -> bytes:
        content = super().load(url)
        _check_well_formed(content, url)
        return content


def _check_well_formed(content: bytes, where: str) -> None:
    """Raise InvalidPayload unless ``content`` (cleaned UTF-8 from the transport) is well-formed XML."""
    if not content:
        return  # an empty answer (HTTP 202, a one-way call): zeep decides
    try:
        etree.fromstring(content, parser=safe_parser())
    except etree.XMLSyntaxError as exc:
        raise InvalidPayload(f"not well-formed XML: {exc}", url=where) from None


#: zeep's logger of values it could not convert (it drops them and logs the traceback).
_ZEEP_VALUES = logging.getLogger("zeep.xsd.types.simple")
_ZEEP_DROP = "Error during xml -> python translation"


class _ZeepDrops(logging.Filter):
    """Counts (and keeps out of the logs) the values zeep drops on this thread during one call."""

    def __init__(self) -> None:
        super().__init__()
        self.thread = threading.get_ident()
        self.problems: list[str] = []

    def filter(self, record: logging.LogRecord) -> bool:
        if record.thread != self.thread or not str(record.msg).startswith(_ZEEP_DROP):
            return True
        exc = record.exc_info[1] if record.exc_info else None
        self.problems.append(_describe(exc)[:200] if exc is not None else "unreadable value")
        return False


def _place_raw_elements(value: Any, placed: list[str], depth: int = 0) -> Any:
    """``value`` with the elements zeep could not place put under their own names.

    zeep (not strict) stops filling a complex value at the first element out of the WSDL's
    order (an element repeated where one belongs, an unknown one) and keeps that element and all
    after it in ``_raw_elements``. They are read here by local name, as text (the mapping's
    converters read text): a list (an element the WSDL repeats) takes every value, an empty
    field the first, a field with a value keeps it. ``placed`` collects their names.
    """
    if depth > _MAX_RESULT_DEPTH:
        return value
    if isinstance(value, list):
        return [_place_raw_elements(v, placed, depth + 1) for v in value]
    if not isinstance(value, dict):
        return value
    out = {k: _place_raw_elements(v, placed, depth + 1) for k, v in value.items() if k != "_raw_elements"}
    for element in value.get("_raw_elements") or ():
        name = local_name(element) if isinstance(element, etree._Element) else ""
        if not name:
            continue
        placed.append(name)
        nil = element.get("{http://www.w3.org/2001/XMLSchema-instance}nil") in ("true", "1")
        text = None if nil else element_text(element)
        current = out.get(name)
        if isinstance(current, list):  # an element the WSDL repeats: every value counts
            if text is not None:
                current.append(text)
        elif current is None:
            out[name] = text
    return out


#: Nesting of a SOAP result read through (results of RIS services are a few levels deep).
_MAX_RESULT_DEPTH = 50


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    return [value]


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {safe_text(exc)}"
