"""Creates a new adapter package from the template in ``template/`` (``ris-connector new-adapter``).

The package is a working adapter on the SDK (a JSON list API mapped to Appointment records) with
its pyproject (entry point), a kit test against a local copy of the API, the items that copy
serves, and a README. For the name ``events`` the adapter and its test are exactly the examples
of the documentation (``docs/examples/``).
"""

from __future__ import annotations

import keyword
import re
from importlib.resources import files
from pathlib import Path
from string import Template

from ris_connector.errors import ConfigError

#: An adapter name, matched whole (``fullmatch``: "name\n" would write a broken package).
_NAME = re.compile(r"[a-z][a-z0-9_]{1,39}")

#: template file -> path in the new package (``$module`` and ``$name`` are filled in).
LAYOUT = {
    "pyproject.toml.tmpl": "pyproject.toml",
    "README.md.tmpl": "README.md",
    "init.py.tmpl": "${module}/__init__.py",
    "adapter.py.tmpl": "${module}/adapter.py",
    "test_kit.py.tmpl": "tests/test_${name}_kit.py",
    "items.json.tmpl": "tests/${name}.json",
}


def names(name: str) -> dict[str, str]:
    """The template variables for adapter ``name``; ConfigError if it is no valid name."""
    if not _NAME.fullmatch(name) or keyword.iskeyword(name):
        raise ConfigError(f"adapter name {name!r}: use 2-40 lower-case letters, digits and '_', starting with a letter")
    camel = "".join(part.capitalize() for part in name.split("_"))
    return {"name": name, "Name": camel, "module": f"ris_{name}", "title": f"{camel} adapter"}


def create_adapter_package(name: str, parent: Path, *, force: bool = False) -> Path:
    """Write the package for ``name`` to ``parent/name`` and return that directory."""
    values = names(name)
    target = parent / name
    if target.exists() and any(target.iterdir()) and not force:
        raise ConfigError(f"{target} exists and is not empty (use --force to overwrite)")
    template = files("ris_connector.scaffold") / "template"
    for source, dest in LAYOUT.items():
        text = Template(template.joinpath(source).read_text(encoding="utf-8")).substitute(values)
        path = target / Template(dest).substitute(values)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return target
