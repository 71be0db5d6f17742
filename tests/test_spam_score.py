"""Every message a month of daily runs writes scores under 2 with a real SpamAssassin.

The sample workbook runs once a day for 30 days from 2026-11-26 (outbox backend, `--today`),
as a business would run it; on the way the owner approves a final notice, two customers pay
in full (thank-you notes are on in this copy) and a promise is broken, so every tier in
both languages, the broken-promise and the thank-you variants are all written, and every
.eml (the owner's daily digests too) is scored. SpamAssassin is set up in
support/spamassassin.py (local tests only, no learning); `quick` shows it is a real scorer.
"""

from __future__ import annotations

import email
import email.policy
import json
import re
import time
from collections import Counter
from datetime import date, timedelta
from email.message import EmailMessage
from pathlib import Path

import pandas as pd

from support.sample_setup import copy_sample, invoke
from support.spamassassin import Score, SpamAssassin
from xlsdun.config import SenderConfig
from xlsdun.render.envelope import Envelope, RenderedParts, build_message, sender_addresses
from xlsdun.workbook import write_back

LIMIT = 2.0
START = date(2026, 11, 26)  # the sample's own date, a Thursday
DAYS = 30
APPROVE = {0: "Meridian Print House"}  # the owner approves the English final notice
PAY = {10: "מספרת שירן", 14: "Blue Cedar Catering"}  # paid in full: a thank-you each
TIERS = ("courtesy", "friendly", "direct", "plan", "final")  # escalate writes no email
VARIANTS = ("broken_promise", "thank_you")
GTUBE = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"
_LANG = re.compile(r'<html lang="(\w+)"')


def test_the_scorer_is_real_a_gtube_message_scores_high(
    spamassassin: SpamAssassin, tmp_path: Path
) -> None:
    """GTUBE between two ordinary messages built by xlsdun's own MIME code: it alone is
    spam, so the scorer scores and the scores come back in order."""
    bodies = ["Invoice INV-1 is now due.", f"Invoice INV-2.\n{GTUBE}\n", "Invoice INV-3 paid."]
    paths = [_message(tmp_path / f"{i}.eml", body, i) for i, body in enumerate(bodies)]
    ordinary, spam, other = spamassassin.score(paths)
    assert "GTUBE" in spam.rules and spam.score >= 100, spam
    assert ordinary.score < LIMIT and other.score < LIMIT, (ordinary, other)
    assert "GTUBE" not in ordinary.rules and "GTUBE" not in other.rules


def test_a_month_of_daily_runs_scores_under_2(spamassassin: SpamAssassin, tmp_path: Path) -> None:
    config = copy_sample(tmp_path)
    config.write_text(
        config.read_text("utf-8").replace("[policy]\n", "[policy]\nthank_you = true\n", 1),
        "utf-8",
    )
    kinds: dict[Path, str] = {}
    started = time.perf_counter()
    for n in range(DAYS):
        day = (START + timedelta(days=n)).isoformat()
        if n in APPROVE:
            code, _, err = invoke("approve", APPROVE[n], "--config", str(config), "--today", day)
            assert code == 0, err
        if n in PAY:
            _pay(tmp_path / "receivables.xlsx", PAY[n])
        kinds.update(_run_day(config, day))
    print(f"\n{DAYS} daily runs in {time.perf_counter() - started:.1f} s")

    written = sorted((tmp_path / "outbox").rglob("*.eml"))
    digests = [p for p in written if p.name.startswith("digest-")]
    assert set(written) == set(kinds) | set(digests), "an .eml the runs did not report"
    days_sent = {p.parent.name for p in kinds}
    assert days_sent <= {p.stem.removeprefix("digest-") for p in digests}  # the owner's too
    for path, kind in list(kinds.items()):
        kinds[path] = f"{kind} {_language(path)}"
    for path in digests:
        kinds[path] = "digest"
    wanted = {f"{k} {lang}" for k in (*TIERS, *VARIANTS) for lang in ("en", "he")}
    assert wanted <= set(kinds.values()), f"never written: {sorted(wanted - set(kinds.values()))}"

    started = time.perf_counter()
    scores = spamassassin.score(written)
    took = time.perf_counter() - started
    print(_table(scores, kinds, f"{spamassassin.version()}, scored in {took:.1f} s"))
    too_high = [
        f"{s.path} ({kinds[s.path]}) {s.score}: {s.counted()}" for s in scores if s.score >= LIMIT
    ]
    assert not too_high, "\n".join(too_high)


def _run_day(config: Path, day: str) -> dict[Path, str]:
    """One daily run through the CLI; each reminder written: its path and kind (its tier,
    or its variant where it has one)."""
    code, out, err = invoke("run", "--config", str(config), "--today", day, "--json", "--force")
    assert code == 0, err
    written = {}
    for entry in json.loads(out)["debtors"]:
        if entry["outcome"] == "written_to_outbox":
            written[Path(entry["detail"])] = entry.get("variant") or entry["tier"]
    return written


def _pay(book: Path, customer: str) -> None:
    """The customer pays every open invoice in full (Paid = Amount), as the owner records."""
    sheet = pd.read_excel(book, sheet_name="Receivables", header=3, engine="calamine")
    updates: dict[int, dict[str, object]] = {
        int(index) + 5: {"Paid": float(row["Amount"]), "Balance": 0.0}
        for index, row in sheet.iterrows()
        if row["Customer"] == customer and row["Balance"] > 0
    }
    assert updates, customer
    write_back(book, sheet="Receivables", header_row=4, updates=updates)


def _language(path: Path) -> str:
    """The language the message is written in, as its HTML part declares it."""
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    html = message.get_body(("html",))
    assert isinstance(html, EmailMessage), path
    found = _LANG.search(html.get_content())
    assert found is not None, path
    return found.group(1)


def _table(scores: list[Score], kinds: dict[Path, str], scorer: str) -> str:
    """The five worst messages with their rules, then the highest score per kind."""
    lines = [f"SpamAssassin ({scorer}), {len(scores)} messages; the five worst:"]
    for s in sorted(scores, key=lambda s: -s.score)[:5]:
        rules = ", ".join(f"{k} {v:g}" for k, v in sorted(s.counted().items())) or "-"
        name = f"{s.path.parent.name}/{s.path.name}"
        lines.append(f"  {s.score:5.2f}  {kinds[s.path]:<22} {name:<48} {rules}")
    lines.append("Highest per kind (count):")
    count = Counter(kinds[s.path] for s in scores)
    for kind in sorted(count):
        mine = [s for s in scores if kinds[s.path] == kind]
        top = max(mine, key=lambda s: s.score)
        fired = sorted({r for s in mine for r in s.counted()})
        lines.append(
            f"  {top.score:5.2f}  {kind:<22} ({count[kind]:>2})  {', '.join(fired) or '-'}"
        )
    return "\n".join(lines)


def _message(path: Path, body: str, n: int) -> Path:
    sender = SenderConfig(name="Rina Dahan", email="accounts@example.co.il")
    from_, reply_to = sender_addresses(sender)
    envelope = Envelope(
        sender=from_,
        reply_to=reply_to,
        to=("Acme Ltd", "ap@acme.example"),
        cc=(),
        date="Thu, 26 Nov 2026 09:00:00 +0200",
        message_id=f"<{n}.test@example.co.il>",
    )
    html = f"<!doctype html><html><body><p>{body}</p></body></html>"
    parts = RenderedParts(subject="Payment reminder: invoice INV-1", text=body, html=html)
    path.write_bytes(build_message(envelope, parts, []).as_bytes())
    return path
