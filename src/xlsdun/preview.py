"""`xlsdun preview`: today's messages (or every tier in every language) as a browsable gallery.

So the owner can read exactly what debtors will receive, in a browser, before anything is
sent. Writes only into the preview folder.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from .config import PolicyConfig
from .deliver.outbox import slug
from .models import EMAIL_TIERS, Action
from .owner_words import Words, words
from .private import private_dir, write_private
from .render import LANGUAGES, Renderer, RenderError, sample_action


@dataclass(frozen=True, slots=True)
class PreviewItem:
    title: str
    language: str
    tier: str
    subject: str
    html_file: str
    text_file: str
    eml_file: str
    problem: str = ""


_OWN_FILE = re.compile(r"(\d{3,4}-.+\.(eml|html|txt)|index\.(html|csv))")


def clear_folder(folder: Path) -> None:
    """Remove the files an earlier preview or dry run left in `folder` (only those: a folder
    given with --out may hold other things), so the gallery shows today's messages only."""
    if not folder.is_dir():
        return
    for path in folder.iterdir():
        if _OWN_FILE.fullmatch(path.name) and path.is_file() and not path.is_symlink():
            path.unlink()


def all_tier_actions(today: date, policy: PolicyConfig) -> list[Action]:
    """A sample debtor at every tier and variant, in every language, with the fees `policy`
    really charges (none unless configured)."""
    actions = []
    for language in LANGUAGES:
        for tier in EMAIL_TIERS:
            actions.append(sample_action(language, tier, today=today, policy=policy))
        for tier, variant in (("direct", "broken_promise"), ("friendly", "thank_you")):
            actions.append(sample_action(language, tier, variant, today, policy))
    return actions


def write_gallery(
    renderer: Renderer,
    actions: list[Action],
    out: Path,
    today: date,
    now: datetime,
    note: str = "",
    w: Words | None = None,
) -> Path:
    """Render each action into out/ (html, txt, eml) and write out/index.html linking them,
    the page in the owner's words `w` (`note` is a catalog key, or ""); each message stays in
    its debtor's language. Private like everything in the state folder: the messages hold
    customers' data."""
    w = w or words("en")
    private_dir(out)
    clear_folder(out)
    items: list[PreviewItem] = []
    for n, action in enumerate(actions, start=1):
        parts = renderer.render_parts(action, today=today)
        try:
            eml = renderer.render(action, today=today, now=now).as_bytes()
            problem = ""
        except RenderError as exc:  # e.g. a missing attachment: shown on the card, not fatal
            eml, problem = b"", str(exc)
        label = action.variant if action.variant != "standard" else action.tier
        stem = f"{n:03d}-{action.language}-{label}-{slug(action.customer, 24)}"
        tier = w.reminder(action.tier, action.variant)
        write_private(out / f"{stem}.html", parts.html)
        write_private(out / f"{stem}.txt", parts.text)
        write_private(out / f"{stem}.eml", eml)
        items.append(
            PreviewItem(
                action.customer,
                w.language_name(action.language),
                tier,
                parts.subject,
                f"{stem}.html",
                f"{stem}.txt",
                f"{stem}.eml",
                problem,
            )
        )
    index = out / "index.html"
    note = note or ("" if items else "gallery.empty")  # an empty page says why
    write_private(index, _index_html(items, today, w, w(note) if note else ""))
    return index


def _card(item: PreviewItem, w: Words) -> str:
    """One message's card: its language and tier in the owner's words, its customer and
    subject (isolated: either may run the other way), its files and the message itself."""
    e = html.escape
    problem = w("gallery.problem", problem=f"<bdi>{e(item.problem)}</bdi>")
    return (
        f'<section class="card"><h2><span class="tag">{e(item.language)}</span> '
        f'<span class="tag">{e(item.tier)}</span> <bdi>{e(item.title)}</bdi></h2>'
        f'<p class="subject" dir="auto">{e(item.subject)}</p>'
        + (f'<p class="problem">{problem}</p>' if item.problem else "")
        + f'<p><a href="{e(item.html_file)}">HTML</a> · '
        f'<a href="{e(item.text_file)}">{e(w("gallery.text"))}</a>'
        f' · <a href="{e(item.eml_file)}" dir="ltr">.eml</a></p>'
        f'<iframe src="{e(item.html_file)}" title="{e(item.title)}" loading="lazy"></iframe>'
        f"</section>"
    )


def _index_html(items: list[PreviewItem], today: date, w: Words, note: str = "") -> str:
    e = html.escape
    day = f'<span style="white-space:nowrap">{e(w.day(today))}</span>'
    heading = w.count("gallery.heading", len(items), day=day)
    cards = [_card(item, w) for item in items]
    return (
        f'<!doctype html><html lang="{w.language}" dir="{"rtl" if w.rtl else "ltr"}"><head>'
        f'<meta charset="utf-8"><title>{e(w("gallery.title", day=w.day(today)))}</title>'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<style>body{font-family:system-ui,sans-serif;margin:1.5rem;background:#f4f4f5}"
        ".grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(420px,100%),1fr));"
        "gap:1rem}.note{background:#fff8e1;border:1px solid #f0d58c;padding:.5rem .8rem}"
        ".card{background:#fff;border:1px solid #ddd;border-radius:8px;padding:.8rem}"
        ".card h2{font-size:1rem;margin:.2rem 0}.subject{font-weight:600}"
        ".tag{background:#eef;border-radius:4px;padding:0 .4rem;font-size:.8rem}"
        "iframe{width:100%;height:520px;border:1px solid #eee}"
        "@media (max-width:600px){body{margin:.4rem}.card{padding:.4rem}}</style></head><body>"
        f"<h1>{heading}</h1><p>{e(w('gallery.intro'))}</p>"
        + (f'<p class="note">{e(note)}</p>' if note else "")
        + f'<div class="grid">{"".join(cards)}</div></body></html>\n'
    )
