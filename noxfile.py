"""The project's checks as nox sessions: exactly what CI runs (``.ci/run`` calls ``nox -s lint types docs tests``).

The sessions run in the environment nox is started from (no virtualenv of their own): install
the project first with ``pip install -e ".[test,dev,docs]"``, then ``nox`` runs every session,
``nox -s tests -- tests/test_cli.py`` one session with arguments for pytest.
"""

from __future__ import annotations

import nox

nox.options.default_venv_backend = "none"
nox.options.sessions = ["lint", "types", "docs", "tests"]


@nox.session
def lint(session: nox.Session) -> None:
    """ruff: lint rules and formatting (``ruff format .`` fixes the latter)."""
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def types(session: nox.Session) -> None:
    """mypy, strict, over the library, the tests and the adapter packages (``files`` in pyproject.toml)."""
    session.run("mypy")


@nox.session
def docs(session: nox.Session) -> None:
    """The documentation site: every link, nav entry and API reference must resolve."""
    session.run("mkdocs", "build", "--strict", "--quiet", "--site-dir", "site", env={"NO_MKDOCS_2_WARNING": "1"})


@nox.session
def tests(session: nox.Session) -> None:
    """The test-suite (the README's test command); arguments after ``--`` go to pytest."""
    session.run("python", "-m", "pytest", *session.posargs)
