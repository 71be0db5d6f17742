"""The Renderer: one planned Action in, the email a careful business owner would send out.

It ties the steps together: the template for the action (catalog), its context (context),
the three parts rendered in the sandbox (environment), and the envelope (envelope). Build
one per run: its environments, templates and validated sender are cached.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any

from ..attachments import Rules
from ..config import LocaleConfig, PolicyConfig, SenderConfig, default_policy
from ..models import Action
from . import context as context_mod
from . import envelope
from .catalog import LANGUAGES, TEMPLATE_NAMES, VARIANT_TEMPLATES, normalize_language
from .cleaning import header_safe, shorten
from .envelope import Envelope, Mailbox, RenderedParts
from .environment import Templates
from .errors import RenderError
from .samples import sample_action

_BLANK_LINES = re.compile(r"\n{3,}")


def tidy_text(text: str) -> str:
    """The plain-text part: no trailing spaces, at most one blank line in a row, one final
    newline (templates stay readable; their layout's stray blank lines do not reach mail)."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip() + "\n"


class Renderer:
    """Renders actions into messages; build one per run (environments and templates cached)."""

    def __init__(
        self,
        *,
        sender: SenderConfig,
        locale: LocaleConfig,
        policy: PolicyConfig,
        template_dir: Path | None = None,
        attachments: Rules | None = None,
    ) -> None:
        """`attachments`: where Attachment cells may name files (`Rules.from_config` for a
        run); by default the current folder and 10 MB."""
        self.sender = sender
        self.locale = locale
        self.policy = policy
        self.template_dir = Path(template_dir) if template_dir else None
        self.attachments = attachments or Rules(Path.cwd())
        self._templates = Templates(locale, self.template_dir)
        self._sender_domain = sender.email.rpartition("@")[2].strip() or "localhost"
        self._sender_pairs: dict[str, tuple[Mailbox, Mailbox]] = {}
        self._date_cache: tuple[datetime, str] | None = None

    # -- what a template sees

    def context(self, action: Action, *, today: date) -> dict[str, Any]:
        """Everything a template can use; all values plain, nothing callable from the sheet."""
        return context_mod.message_context(
            action, today=today, sender=self.sender, policy=self.policy, locale=self.locale
        )

    def deadline(self, today: date) -> date:
        """The final notice's deadline: `final_deadline_days` on, moved off the weekend."""
        return context_mod.deadline(today, self.policy.final_deadline_days, self.locale.country)

    # -- rendering

    def template_for(self, action: Action) -> tuple[str, str]:
        """(language, template name) for an action."""
        name = action.variant if action.variant in VARIANT_TEMPLATES else action.tier
        if name not in TEMPLATE_NAMES:
            raise RenderError(f"no email template for tier {name!r}")
        return normalize_language(action.language), name

    def render_parts(self, action: Action, *, today: date) -> RenderedParts:
        """Subject, text and HTML for an action: pure, no files read, no clock."""
        language, name = self.template_for(action)
        context = self.context(action, today=today)
        render = self._templates.render
        own = shorten(header_safe(render(language, name, "subject", context)), envelope.MAX_SUBJECT)
        subject = envelope.thread_subject(
            own,
            action.first_subject,
            follows_up=bool(action.thread),
            template=name,
            stem=str(context.get("stem", "")),
        )
        context["subject"] = subject
        text = tidy_text(render(language, name, "txt", context))
        html = render(language, name, "html", context).strip() + "\n"
        return RenderedParts(subject=subject, text=text, html=html)

    def render(self, action: Action, *, today: date, now: datetime) -> EmailMessage:
        """The complete message for one action, ready for any transport, assembled directly
        (mime.py): every address passed `addresses.is_valid` (ASCII), and so did the sender's
        (config.py), and a Message-ID followed up on is ASCII too (`envelope.message_id`).

        Checked in this order, so the owner hears of the debtor's address first, then of a
        missing attachment, then of a template problem."""
        to, cc = envelope.recipients(action)
        files = envelope.read_attachments(action, self.attachments)
        parts = self.render_parts(action, today=today)
        previous = envelope.message_id(action.previous_message_id)
        sender, reply_to = self._sender_addresses(normalize_language(action.language))
        date_text = self._date_header(now)
        message_id = make_msgid(domain=self._sender_domain)
        envelope_ = Envelope(
            sender, reply_to, to, cc, date_text, message_id, previous, action.thread
        )
        return envelope.build_message(envelope_, parts, files)

    def _sender_addresses(self, language: str | None = None) -> tuple[Mailbox, Mailbox]:
        """(From, Reply-To) of a message in `language` (its [sender.<language>] over
        [sender]), validated once per renderer and language (`envelope.sender_addresses`)."""
        key = language or ""
        pair = self._sender_pairs.get(key)
        if pair is None:
            sender = self.sender.for_language(language) if language else self.sender
            pair = self._sender_pairs[key] = envelope.sender_addresses(sender)
        return pair

    def _date_header(self, now: datetime) -> str:
        if self._date_cache is None or self._date_cache[0] != now:
            self._date_cache = (now, envelope.date_header(now, self.locale.timezone))
        return self._date_cache[1]

    # -- checking

    def message_templates(self) -> list[Path]:
        """The user's template files that can replace a built-in message template: those in a
        language folder (`en/`, `he/`). Anything else in the folder is never loaded."""
        if self.template_dir is None or not self.template_dir.is_dir():
            return []
        return sorted(
            p for language in LANGUAGES for p in (self.template_dir / language).glob("*.j2")
        )

    def unused_templates(self) -> list[Path]:
        """Files in the user's template folder that xlsdun never reads (e.g. a `digest/` copy
        left by an older `xlsdun init`: the owner's digest is built in)."""
        if self.template_dir is None or not self.template_dir.is_dir():
            return []
        used = set(self.message_templates())
        return sorted(p for p in self.template_dir.rglob("*.j2") if p not in used)

    def check(self) -> list[str]:
        """Render every template × language with a sample debtor; "path:line: message" per
        problem, each once: the user's files first, then the sender, then every sample."""
        errors: list[str] = [*self._folder_problems(), *self._sender_problems()]
        for problem in self._sample_problems(date.today()):
            if problem not in errors:
                errors.append(problem)
        return errors

    def _folder_problems(self) -> list[str]:
        """The user's template folder missing, or a file in it that does not compile."""
        if self.template_dir is None:
            return []
        if not self.template_dir.is_dir():
            return [f"{self.template_dir}:0: template folder not found"]
        found = (
            self._templates.syntax_problem(path, self.template_dir)
            for path in self.message_templates()
        )
        return [problem for problem in found if problem]

    def _sender_problems(self) -> list[str]:
        problems = []
        for language in (None, *LANGUAGES):
            try:
                self._sender_addresses(language)
            except RenderError as exc:
                if str(exc) not in problems:
                    problems.append(str(exc))
        return problems

    def _sample_problems(self, today: date) -> list[str]:
        """What rendering a sample debtor through every template in every language raises."""
        problems = []
        for language in LANGUAGES:
            for name in TEMPLATE_NAMES:
                variant = name if name in VARIANT_TEMPLATES else "standard"
                tier = "direct" if name in VARIANT_TEMPLATES else name
                try:
                    self.render_parts(sample_action(language, tier, variant, today), today=today)
                except RenderError as exc:
                    problems.append(str(exc))
        return problems


def builtin_renderer(**kwargs: Any) -> Renderer:
    """A Renderer with default sender, locale and policy (previews, tests)."""
    kwargs.setdefault("sender", SenderConfig())
    kwargs.setdefault("locale", LocaleConfig())
    kwargs.setdefault("policy", default_policy())
    return Renderer(**kwargs)
