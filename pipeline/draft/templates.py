"""The jinja2 templates in prompts/: prompts for the model and the digest entry itself.

A project's own prompts/ folder (beside config.yaml) wins over the copy shipped in the package,
so editors can tune a prompt without reinstalling. A template's version is a hash of its source,
recorded with every draft, so a changed prompt is visible in the state database.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2

_PACKAGED = Path(__file__).parents[1] / "_prompts"  # pipeline/_prompts in a wheel
_CHECKOUT = Path(__file__).parents[2] / "prompts"


@dataclass(frozen=True)
class Rendered:
    """A rendered template with the name and version that produced it."""

    text: str
    name: str
    version: str


def template_dirs(root: Path | None = None) -> list[Path]:
    """Where templates are looked up, first match wins."""
    candidates = [root / "prompts"] if root else []
    candidates += [_CHECKOUT, _PACKAGED]
    return [path for path in candidates if path.is_dir()]


@lru_cache(maxsize=8)
def _environment(dirs: tuple[Path, ...]) -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(d) for d in dirs]),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render(name: str, root: Path | None = None, **context: Any) -> Rendered:
    env = _environment(tuple(template_dirs(root)))
    template = env.get_template(name)
    source, _, _ = env.loader.get_source(env, name)  # type: ignore[union-attr]
    version = hashlib.sha256(source.encode("utf-8")).hexdigest()[:12]
    return Rendered(text=template.render(**context), name=name, version=version)


def version_of(names: tuple[str, ...], root: Path | None = None) -> str:
    """One version for a set of templates that together make a prompt."""
    env = _environment(tuple(template_dirs(root)))
    digest = hashlib.sha256()
    for name in names:
        source, _, _ = env.loader.get_source(env, name)  # type: ignore[union-attr]
        digest.update(source.encode("utf-8"))
    return digest.hexdigest()[:12]
