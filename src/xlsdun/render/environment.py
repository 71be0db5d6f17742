"""The Jinja side of rendering: one sandboxed environment per language (with that language's
filters), the built-in templates overridden file by file by a user's folder, compiled
templates cached, and every template error reported as "file:line: message".
"""

from __future__ import annotations

import traceback
from collections.abc import MutableMapping
from dataclasses import fields as dataclass_fields
from dataclasses import replace
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from ..builtin_templates import BUILTIN_TEMPLATES
from ..config import LocaleConfig, PolicyConfig, SenderConfig, Tier
from .errors import RenderError
from .formatting import formatter
from .offer import FullPayment, Instalment
from .views import FeeView, InvoiceLink, InvoiceView, Total


class Sandbox(SandboxedEnvironment):
    """The sandbox with a fast path for xlsdun's own frozen value types.

    Their public fields hold plain values (text, numbers, dates), so the sandbox's checks on
    every attribute read, about a third of a render, are skipped for those fields only;
    anything else, and every method, still goes through the full check.
    """

    def getattr(self, obj: Any, attribute: str) -> Any:
        fields = PLAIN_FIELDS.get(type(obj))
        if fields is not None and attribute in fields:
            return getattr(obj, attribute)
        return super().getattr(obj, attribute)

    def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
        """The globals as one plain dict, not Jinja's ChainMap over the environment's: Jinja
        copies them into every template's and include's context (ten a message), and
        iterating a ChainMap is slow (measured: 0.16 s of 1.8 s CPU rendering the bench's
        4,000 messages). xlsdun never changes an environment's globals once a template is
        loaded, which is what the ChainMap is for."""
        return {**self.globals, **(d or {})}


PLAIN_FIELDS: dict[type, frozenset[str]] = {
    cls: frozenset(f.name for f in dataclass_fields(cls))
    for cls in (
        InvoiceView,
        Total,
        FeeView,
        InvoiceLink,
        SenderConfig,
        PolicyConfig,
        Tier,
        FullPayment,
        Instalment,
    )
}


def autoescape(name: str | None) -> bool:
    """HTML templates escape every value; subjects and plain text do not."""
    return name is not None and name.endswith((".html.j2", ".html"))


def error_location(exc: BaseException, fallback: str) -> tuple[str, int]:
    """The template file and line an error happened at (Jinja maps its frames to .j2 files)."""
    if isinstance(exc, jinja2.TemplateSyntaxError):
        return exc.filename or exc.name or fallback, exc.lineno or 0
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename.endswith(".j2"):
            return frame.filename, frame.lineno or 0
    return fallback, 0


def template_path(language: str, name: str, part: str) -> str:
    """The loader's name for one part of one message: "he/final.html.j2"."""
    return f"{language}/{name}.{part}.j2"


class Templates:
    """The environments and compiled templates of one renderer (built once per run)."""

    def __init__(self, locale: LocaleConfig, template_dir: Path | None = None) -> None:
        self.locale = locale
        loaders: list[jinja2.BaseLoader] = []
        if template_dir is not None:
            loaders.append(jinja2.FileSystemLoader(str(template_dir), encoding="utf-8-sig"))
        loaders.append(jinja2.FileSystemLoader(str(BUILTIN_TEMPLATES)))
        self._loader = jinja2.ChoiceLoader(loaders)
        self._envs: dict[str, SandboxedEnvironment] = {}
        self._templates: dict[tuple[str, str, str], jinja2.Template] = {}

    def babel_locale(self, language: str) -> str:
        """The Babel locale for a message in `language` under the configured country."""
        return replace(self.locale, language=language).babel_locale

    def env(self, language: str) -> SandboxedEnvironment:
        env = self._envs.get(language)
        if env is None:
            env = Sandbox(
                loader=self._loader,
                autoescape=autoescape,
                undefined=jinja2.StrictUndefined,
                trim_blocks=True,
                lstrip_blocks=True,
                keep_trailing_newline=True,
                auto_reload=False,
                cache_size=-1,
            )
            # the Formatter the subject stems and preheaders use: amounts they show are
            # formatted once for both (measured: ~0.05 s of 1.7 s CPU, the bench's 4,000 messages)
            env.filters.update(formatter(language, self.babel_locale(language)).filters())
            self._envs[language] = env
        return env

    def template(self, language: str, name: str, part: str) -> jinja2.Template:
        key = (language, name, part)
        template = self._templates.get(key)
        if template is None:
            path = template_path(language, name, part)
            try:
                template = self.env(language).get_template(path)
            except jinja2.TemplateNotFound as exc:
                raise RenderError(f"template not found: {exc.name}", path=path) from None
            except jinja2.TemplateSyntaxError as exc:
                file, line = error_location(exc, path)
                raise RenderError(exc.message or str(exc), path=file, line=line) from None
            self._templates[key] = template
        return template

    def render(self, language: str, name: str, part: str, context: dict[str, Any]) -> str:
        """One part of one message; any failure is a RenderError naming the file and line."""
        template = self.template(language, name, part)
        try:
            return template.render(context)
        except RenderError:
            raise
        except Exception as exc:
            fallback = template.filename or template_path(language, name, part)
            file, line = error_location(exc, fallback)
            message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
            raise RenderError(message, path=file, line=line) from exc

    def syntax_problem(self, path: Path, root: Path) -> str | None:
        """A problem ("path:line: message") if the user's file at `path` does not compile."""
        rel = path.relative_to(root).as_posix()
        try:
            self.env("en").compile(path.read_text(encoding="utf-8-sig"), rel, str(path))
        except jinja2.TemplateSyntaxError as exc:
            return f"{path}:{exc.lineno}: {exc.message}"
        except (OSError, UnicodeDecodeError) as exc:
            return f"{path}:0: cannot read: {exc}"
        return None
