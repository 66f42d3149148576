"""Who the output's System says publishes the data: the one source's System, or the publisher.

* With **one source** (every published object and System record comes from it) that has a
  System, its facts pass through: ``name``, ``contactEmail``, ``contactName``, ``license``,
  ``website``, ``vendor``, ``product``, ``web``.
* The **publisher** (the configuration's ``[output]`` table) names who runs the output; a fact it
  gives wins over the source's. With **several sources** only the publisher's facts are given,
  and each Body keeps its own facts; a Body that states no licence gets its source System's,
  since a licence on a System covers all of its objects (OParl 1.1, ``license``).
* ``system_name`` (``--system-name``) wins for the name; without any, the name is ``ris-connector``.
"""

from __future__ import annotations

from collections.abc import Mapping

from ris_connector.outputs.oparl.index import PublishIndex, Row

#: The System attributes a publisher or a single source's System may state (OParl names).
FACTS = ("name", "contactEmail", "contactName", "license", "website", "vendor", "product", "web")
DEFAULT_NAME = "ris-connector"


def source_system(index: PublishIndex) -> Row | None:
    """The System record of the only source, if the output has exactly one source."""
    sources = index.sources()
    return index.system_of(next(iter(sources))) if len(sources) == 1 else None


def system_facts(index: PublishIndex, publisher: Mapping[str, str], system_name: str | None) -> dict[str, str]:
    """The facts the output's System states, in :data:`FACTS` order, each from where it wins."""
    row = source_system(index)
    facts = {k: v for k in FACTS if row is not None and isinstance(v := row.data.get(k), str) and v}
    facts.update({k: v for k, v in publisher.items() if k in FACTS and v})
    if system_name:
        facts["name"] = system_name
    facts.setdefault("name", DEFAULT_NAME)
    return {k: facts[k] for k in FACTS if k in facts}


def inherited_license(index: PublishIndex, source: str) -> str | None:
    """A source System's licence for its Bodies, when the output's System is not that System."""
    if len(index.sources()) < 2:
        return None
    row = index.system_of(source)
    value = row.data.get("license") if row is not None else None
    return value if isinstance(value, str) and value else None
