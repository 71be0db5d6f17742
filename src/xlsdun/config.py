"""xlsdun.toml -> typed, validated Config.

Every error names the file and the key, and says what was expected, because the person
reading it edits the file by hand and never sees a traceback.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, time
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .attachments import DEFAULT_MAX_MB, MB
from .config_reader import ConfigError, Reader, number, refuse_plain_password
from .inbox.settings import SECURITIES, InboxConfig
from .models import EMAIL_TIERS, TIER_ORDER
from .workbook.encodings import encoding_name

DEFAULT_LADDER: tuple[dict[str, Any], ...] = (
    {"id": "courtesy", "min_days": -3, "max_days": 0, "enabled": False},
    {"id": "friendly", "min_days": 1, "max_days": 14},
    {"id": "direct", "min_days": 15, "max_days": 29},
    {"id": "plan", "min_days": 30, "max_days": 59},
    {"id": "final", "min_days": 60, "max_days": 89, "approve": True},
    {"id": "escalate", "min_days": 90, "max_days": None, "email": False},
)


@dataclass(frozen=True, slots=True)
class Tier:
    id: str
    min_days: int
    max_days: int | None  # None: no upper bound
    enabled: bool = True
    email: bool = True  # False: no email, the debtor goes on the owner's call list
    approve: bool = False  # True: planned as await_approval until the owner approves
    late_fee: Decimal = Decimal("0")

    def covers(self, days_overdue: int) -> bool:
        return days_overdue >= self.min_days and (
            self.max_days is None or days_overdue <= self.max_days
        )


INSTALMENT_METHODS: tuple[str, ...] = ("standing_order", "postdated_cheques", "credit_card")
"""The Israeli means of paying in instalments the plan tier may offer, in the default order."""


@dataclass(frozen=True, slots=True)
class PolicyConfig:
    ladder: tuple[Tier, ...] = ()
    cadence_days: int = 7
    repeat_final_days: int = 14
    min_balance: Decimal = Decimal("1.00")
    promise_grace_days: int = 2
    tier_basis: str = "oldest"  # "oldest" | "largest"
    first_contact_max: str = "plan"
    send_days: tuple[int, ...] | None = None  # ISO weekdays 1=Mon..7=Sun; None: by country
    skip_holidays: bool = True
    # The public holidays by year, for the years the caller has them (the engine: a cached
    # table); a year not there is asked of the `holidays` library when first needed.
    holidays: Mapping[int, Mapping[date, str]] = field(default_factory=dict)
    thank_you: bool = False
    late_interest_annual: Decimal = Decimal("0")  # e.g. 0.04 for 4% a year, simple
    installments: int = 3  # offered at the `plan` tier
    early_payment_discount: Decimal = Decimal("0")  # e.g. 0.02 for 2% off if paid this week
    final_deadline_days: int = 10
    country: str = "IL"  # from [locale]: the working week and public holidays
    waive_charges_on_offer: bool = True  # the plan tier's offer drops the late charges
    instalment_methods: tuple[str, ...] = INSTALMENT_METHODS  # how instalments may be paid

    def tier(self, tier_id: str) -> Tier:
        for t in self.ladder:
            if t.id == tier_id:
                return t
        raise KeyError(tier_id)


@dataclass(frozen=True, slots=True)
class WorkbookConfig:
    path: Path
    sheet: str | None = None
    header_row: int | None = None
    date_order: str | None = None  # "DMY" | "MDY" | "YMD"; None: from the locale
    include_hidden_rows: bool = True
    allow_protected_sheet: bool = False
    backups: int = 14
    attachments_dir: Path | None = None  # None: the workbook's folder
    max_attachment_mb: float = DEFAULT_MAX_MB
    encoding: str | None = None  # a .csv/.txt export's codec; None: its BOM, else UTF-8
    # a customer named once above its invoices (an accounting report); None: recognised
    customer_shown_once: bool | None = None

    @property
    def attachments_folder(self) -> Path:
        """The one folder Attachment cells may name files in (see attachments.py)."""
        return self.attachments_dir or self.path.parent

    @property
    def max_attachment_bytes(self) -> int:
        return int(self.max_attachment_mb * MB)


@dataclass(frozen=True, slots=True)
class SenderConfig:
    name: str = "Accounts"
    email: str = "accounts@example.com"
    reply_to: str | None = None
    signature: str = ""
    business: str = ""
    phone: str = ""
    bank_details: str = ""
    pay_link: str = ""
    iban: str = ""  # shown to debtors who owe in a foreign currency, with `swift`
    swift: str = ""
    # [sender.he], [sender.en]: the fields for messages in that language, each falling
    # back to [sender]'s (already merged: see `for_language`)
    languages: tuple[tuple[str, SenderConfig], ...] = ()

    def for_language(self, language: str) -> SenderConfig:
        """The sender a message in `language` is signed by: its [sender.<language>] table
        laid over [sender], or [sender] itself."""
        return next((s for lang, s in self.languages if lang == language), self)


@dataclass(frozen=True, slots=True)
class LocaleConfig:
    language: str = "en"
    currency: str = "ILS"
    country: str = "IL"
    timezone: str = "Asia/Jerusalem"

    @property
    def babel_locale(self) -> str:
        return {"he": "he_IL", "en": "en_IL" if self.country == "IL" else "en_US"}.get(
            self.language, self.language
        )


@dataclass(frozen=True, slots=True)
class SmtpConfig:
    host: str = "localhost"
    port: int = 587
    security: str = "starttls"  # "starttls" | "ssl" | "none"
    username: str | None = None
    password_env: str = "XLSDUN_SMTP_PASSWORD"
    password: str | None = None
    allow_plaintext_password: bool = False
    timeout: float = 30.0
    oauth2_file: Path | None = None  # gmail: yagmail's OAuth2 credentials file


@dataclass(frozen=True, slots=True)
class DeliveryConfig:
    backend: str = "outbox"  # "outbox" | "smtp" | "gmail"
    outbox_dir: Path = Path("outbox")
    smtp: SmtpConfig = field(default_factory=SmtpConfig)
    max_per_run: int | None = None
    max_per_day: int = 400
    per_minute: int | None = None
    retry_budget_seconds: float = 120.0  # all 4xx backoff waits of one run together
    retry_initial_seconds: float = 5.0  # first wait; doubles on each retry


@dataclass(frozen=True, slots=True)
class Config:
    source: Path  # the config file
    workbook: WorkbookConfig
    state_dir: Path
    columns: dict[str, str] = field(default_factory=dict)
    owned_columns: dict[str, str] = field(default_factory=dict)
    sender: SenderConfig = field(default_factory=SenderConfig)
    locale: LocaleConfig = field(default_factory=LocaleConfig)
    delivery: DeliveryConfig = field(default_factory=DeliveryConfig)
    policy: PolicyConfig = field(default_factory=PolicyConfig)
    template_dir: Path | None = None
    schedule_time: time = time(9, 0)
    owner_email: str | None = None
    owner_digest: str = "per_client"  # "per_client" | "combined" | "off"
    owner_language: str = "en"  # the owner's side: digest, report, sheet statuses, log words
    heartbeat_minutes: int = 60
    inbox: InboxConfig | None = None  # [inbox]: where replies and bounces arrive (issue 16)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.locale.timezone)


OWNED_COLUMNS_DEFAULT: dict[str, str] = {
    "status": "Reminder status",
    "last": "Last reminder",
    "level": "Reminder level",
    "count": "Reminders sent",
    "next": "Next reminder",
    "log_sheet": "Reminder log",
}


def has_tz_database() -> bool:
    """Whether zoneinfo can find any zone at all: with no database every name is
    "unknown", and the user must hear that the database is missing, not the name wrong."""
    try:
        ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


WEEKDAYS = {"mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6, "sun": 7}


def _ladder(r: Reader) -> tuple[Tier, ...]:
    """The default ladder with the [[policy.ladder]] entries laid over it, tier by tier."""
    overrides = _ladder_overrides(r)
    tiers = tuple(_tier(r, base, overrides.get(base["id"], {})) for base in DEFAULT_LADDER)
    _check_no_overlap(r, tiers)
    return tiers


def _ladder_overrides(r: Reader) -> dict[str, dict[str, Any]]:
    """The [[policy.ladder]] tables by tier id; each must name a tier of the ladder."""
    raw = r.get("ladder", list, None, "a list of tiers ([[policy.ladder]] tables)")
    overrides: dict[str, dict[str, Any]] = {}
    for i, item in enumerate(raw or []):
        if not isinstance(item, dict) or not isinstance(item.get("id"), str):
            raise ConfigError(
                f"{r.source}: policy.ladder entry {i + 1} must be a table with an 'id' "
                f"(one of {', '.join(TIER_ORDER)})."
            )
        if item["id"] not in TIER_ORDER:
            raise ConfigError(
                f"{r.source}: policy.ladder entry {i + 1} has id {item['id']!r}; "
                f"expected one of {', '.join(TIER_ORDER)}."
            )
        overrides[item["id"]] = item
    return overrides


def _tier(r: Reader, base: dict[str, Any], override: dict[str, Any]) -> Tier:
    """One tier: the default `base` with the user's `override` keys."""
    sub = Reader(r.source, {**base, **override}, f"policy.ladder[{base['id']}].")
    sub.used.add("id")
    tier = Tier(
        id=base["id"],
        min_days=sub.int("min_days", base["min_days"], minimum=None),
        max_days=sub.int("max_days", base["max_days"], minimum=None),
        enabled=sub.bool("enabled", True),
        email=sub.bool("email", True),
        approve=sub.bool("approve", False),
        late_fee=sub.decimal("late_fee", Decimal("0")),
    )
    sub.check_unknown()
    if tier.email and tier.enabled and tier.id not in EMAIL_TIERS:
        raise ConfigError(
            f"{r.source}: policy.ladder[{tier.id}]: email = true, but xlsdun has no message "
            f"for the '{tier.id}' tier, so its debtors belong on your call list. Remove 'email = true' "
            f"there (to email them longer, raise the 'final' tier's max_days instead)."
        )
    if tier.max_days is not None and tier.max_days < tier.min_days:
        raise ConfigError(
            f"{r.source}: policy.ladder[{tier.id}]: max_days ({tier.max_days}) is below "
            f"min_days ({tier.min_days})."
        )
    return tier


def _check_no_overlap(r: Reader, tiers: tuple[Tier, ...]) -> None:
    """The enabled tiers' ranges follow one another without overlapping."""
    enabled = [t for t in tiers if t.enabled]
    for a, b in zip(enabled, enabled[1:], strict=False):
        if a.max_days is None or a.max_days >= b.min_days:
            raise ConfigError(
                f"{r.source}: policy.ladder tiers '{a.id}' and '{b.id}' overlap; each tier's "
                f"max_days must be below the next tier's min_days."
            )


def _policy(r: Reader) -> PolicyConfig:
    send_days_raw = r.get("send_days", list, None, 'a list of days like ["mon", "tue"]')
    send_days = None
    if send_days_raw is not None:
        try:
            send_days = tuple(sorted({WEEKDAYS[str(d).lower()[:3]] for d in send_days_raw}))
        except KeyError:
            raise r.fail("send_days", 'a list of days like ["sun", "mon", "tue"]') from None
    basis = r.text("tier_basis", "oldest")
    if basis not in ("oldest", "largest"):
        raise r.fail("tier_basis", '"oldest" or "largest"')
    first_max = r.text("first_contact_max", "plan")
    if first_max not in TIER_ORDER:
        raise r.fail("first_contact_max", f"one of {', '.join(TIER_ORDER)}")
    policy = PolicyConfig(
        ladder=_ladder(r),
        cadence_days=r.int("cadence_days", 7, minimum=1),
        repeat_final_days=r.int("repeat_final_days", 14, minimum=1),
        min_balance=r.decimal("min_balance", Decimal("1.00")),
        promise_grace_days=r.int("promise_grace_days", 2),
        tier_basis=basis,
        first_contact_max=first_max,
        send_days=send_days,
        skip_holidays=r.bool("skip_holidays", True),
        thank_you=r.bool("thank_you", False),
        late_interest_annual=r.fraction("late_interest_annual"),
        installments=r.int("installments", 3, minimum=1),
        early_payment_discount=r.fraction("early_payment_discount"),
        final_deadline_days=r.int("final_deadline_days", 10, minimum=1),
        waive_charges_on_offer=r.bool("waive_charges_on_offer", True),
        instalment_methods=_instalment_methods(r),
    )
    r.check_unknown()
    return policy


def _instalment_methods(r: Reader) -> tuple[str, ...]:
    """[policy] instalment_methods: a list of the known means, each once, in the owner's order."""
    expected = f"a list of {', '.join(repr(m) for m in INSTALMENT_METHODS)}"
    raw = r.get("instalment_methods", list, None, expected)
    if raw is None:
        return INSTALMENT_METHODS
    if not all(isinstance(m, str) and m in INSTALMENT_METHODS for m in raw):
        raise r.fail("instalment_methods", expected)
    return tuple(dict.fromkeys(raw))


def _folder(r: Reader, key: str, base: Path) -> Path | None:
    """An existing folder, relative to the config file; None when the key is not set."""
    text = r.text(key)
    if text is None:
        return None
    folder = base / text
    if not folder.is_dir():
        raise ConfigError(
            f"{r.source}: key '{r.prefix}{key}' names {str(folder)!r}, which is not a folder. "
            f"Create it or correct the path (it is relative to the config file)."
        )
    return folder


def default_policy() -> PolicyConfig:
    """The policy DESIGN.md's tone ladder describes, for use from Python and in tests."""
    return _policy(Reader(Path("<defaults>"), {}))


_EXAMPLE_DOMAINS = ("example.com", "example.org", "example.net")  # RFC 2606: nobody's mail
_STARTER_WORDS = ("Your Name", "Your Business Ltd")  # what `xlsdun init` writes


def placeholders(config: Config) -> list[str]:
    """Keys that still hold `xlsdun init`'s placeholders or an example address: the messages
    would go out signed "Your Name", with replies to nobody."""
    found = [
        f"[sender] {key} = {value!r}"
        for key in ("name", "business", "signature")
        if (value := getattr(config.sender, key)) and value.strip() in _STARTER_WORDS
    ]
    addresses = [
        ("[sender] email", config.sender.email),
        ("[sender] reply_to", config.sender.reply_to),
        ("[owner] email", config.owner_email),
    ]
    found += [
        f"{key} = {value!r}"
        for key, value in addresses
        if value and value.rpartition("@")[2].lower() in _EXAMPLE_DOMAINS
    ]
    return found


def load(path: str | Path) -> Config:
    """Read and validate a config file. Raises ConfigError with a user-facing message."""
    source = Path(path)
    if not source.exists():
        raise ConfigError(
            f"{source}: config file not found. Create one with 'xlsdun init', "
            f"or point to it with --config."
        )
    try:
        raw = source.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{source}: cannot be read ({exc.strerror or exc}).") from None
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ConfigError(
            f'{source}: saved as UTF-16 (Notepad calls it "Unicode"; Windows PowerShell 5 and '
            f"some editors save files that way), which xlsdun cannot read. Save it as UTF-8 (in "
            f"Notepad: File > Save as > Encoding: UTF-8), or in PowerShell write it with "
            f"Set-Content -Encoding utf8."
        )
    try:  # utf-8-sig: Notepad's "UTF-8 with BOM" is UTF-8 too
        data = tomllib.loads(raw.decode("utf-8-sig"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML ({exc}).") from None
    except UnicodeDecodeError:
        raise ConfigError(
            f"{source}: not UTF-8 text (perhaps saved as Windows-1255 or ANSI); save it as UTF-8."
        ) from None
    return from_dict(data, source)


def from_dict(data: dict[str, Any], source: Path) -> Config:
    """The config in `data` (a parsed TOML file at `source`): one step per table, in the
    order of the file's reference, each refusing what it does not know."""
    base = source.parent.resolve()
    top = Reader(source, data)
    workbook = _workbook(top.table("workbook"), base)
    columns = _columns(top.table("columns"))
    owned_columns = _owned_columns(top.table("owned_columns"))
    sender = _sender(top.table("sender"))
    locale = _locale(top.table("locale"))
    delivery = _delivery(top.table("delivery"), base)
    policy = replace(_policy(top.table("policy")), country=locale.country)
    schedule_time, heartbeat_minutes = _schedule(top.table("schedule"))
    owner_email, owner_digest, owner_language = _owner(top.table("owner"), locale.language)
    inbox = _inbox(top.table("inbox"), base)
    templates = top.text("templates")
    if templates and not (base / templates).is_dir():
        raise ConfigError(
            f"{source}: templates = {templates!r}: the folder {base / templates} does not "
            "exist. Create it with your copies of the templates ('xlsdun init' writes them), "
            "or remove the templates line to use the built-in messages."
        )
    state_dir = top.text("state_dir")
    top.check_unknown()
    return Config(
        source=source,
        workbook=workbook,
        state_dir=base / state_dir if state_dir else workbook.path.parent / ".xlsdun",
        columns=columns,
        owned_columns=owned_columns,
        sender=sender,
        locale=locale,
        delivery=delivery,
        policy=policy,
        template_dir=(base / templates) if templates else None,
        schedule_time=schedule_time,
        owner_email=owner_email,
        owner_digest=owner_digest,
        owner_language=owner_language,
        heartbeat_minutes=heartbeat_minutes,
        inbox=inbox,
    )


def _workbook(wb: Reader, base: Path) -> WorkbookConfig:
    """[workbook]: where the receivables are and how to read them; `path` is required."""
    wb_path = wb.text("path")
    if not wb_path:
        raise ConfigError(
            f"{wb.source}: key 'workbook.path' is missing; set it to your receivables workbook, "
            f'e.g. path = "receivables.xlsx".'
        )
    date_order = wb.text("date_order")
    if date_order is not None and date_order.upper() not in ("DMY", "MDY", "YMD"):
        raise wb.fail("date_order", '"DMY", "MDY" or "YMD"')
    workbook = WorkbookConfig(
        path=(base / wb_path),
        sheet=wb.text("sheet"),
        header_row=wb.int("header_row", None, minimum=1),
        date_order=date_order.upper() if date_order else None,
        include_hidden_rows=wb.bool("include_hidden_rows", True),
        allow_protected_sheet=wb.bool("allow_protected_sheet", False),
        backups=wb.int("backups", 14),
        attachments_dir=_folder(wb, "attachments_dir", base),
        max_attachment_mb=number(
            wb, "max_attachment_mb", DEFAULT_MAX_MB, "megabytes", positive=True
        ),
        encoding=_encoding(wb),
        customer_shown_once=wb.get("customer_shown_once", bool, None, "true or false"),
    )
    wb.check_unknown()
    return workbook


def _encoding(wb: Reader) -> str | None:
    """[workbook] encoding: the codec of a CSV or text export without a byte-order mark."""
    text = wb.text("encoding")
    if text is None:
        return None
    name = encoding_name(text)
    if name is None:
        raise wb.fail(
            "encoding",
            'the encoding of your CSV or text file: "utf-8", "utf-16" ("Unicode text" from '
            'Excel) or "windows-1255" (Hebrew Windows); also "windows-1252" or "latin-1"',
        )
    return name


def _columns(cols: Reader) -> dict[str, str]:
    """[columns]: canonical field -> the header as written in the user's sheet."""
    from .workbook.columns import CANONICAL_FIELDS  # local: columns imports nothing from here

    columns = {}
    for key, value in cols.data.items():
        if key not in CANONICAL_FIELDS:
            raise ConfigError(
                f"{cols.source}: unknown column field 'columns.{key}'. Known fields: "
                f"{', '.join(CANONICAL_FIELDS)}."
            )
        if not isinstance(value, str) or not value.strip():
            raise cols.fail(key, "the header text as written in your sheet")
        columns[key] = value
    return columns


def _owned_columns(owned_r: Reader) -> dict[str, str]:
    """[owned_columns]: the names of the columns (and log sheet) xlsdun writes."""
    owned = dict(OWNED_COLUMNS_DEFAULT)
    for key in OWNED_COLUMNS_DEFAULT:
        owned[key] = owned_r.text(key, owned[key]) or owned[key]
    owned_r.check_unknown()
    return owned


SENDER_LANGUAGES = ("en", "he")  # the [sender.<language>] tables: the messages' languages


def _sender(s: Reader) -> SenderConfig:
    """[sender]: who the reminders come from; one-line values stay on one line.
    [sender.he] and [sender.en] hold the same fields for messages in that language."""
    base = _sender_fields(s, SenderConfig())
    languages = []
    for language in SENDER_LANGUAGES:
        if language in s.data:
            table = s.table(language)
            languages.append((language, _sender_fields(table, base)))
            table.check_unknown()
    s.check_unknown()
    return replace(base, languages=tuple(languages))


def _sender_fields(s: Reader, base: SenderConfig) -> SenderConfig:
    """The sender fields of one table, each defaulting to `base`'s."""
    return SenderConfig(
        name=s.line("name", base.name),
        email=s.address("email", base.email),
        reply_to=s.address("reply_to") or base.reply_to,
        signature=s.text("signature", base.signature),
        business=s.line("business", base.business),
        phone=s.line("phone", base.phone),
        bank_details=s.text("bank_details", base.bank_details),
        pay_link=s.line("pay_link", base.pay_link),
        iban=_iban(s) or base.iban,
        swift=_swift(s) or base.swift,
    )


def iban_valid(compact: str) -> bool:
    """15-34 letters and digits, a country's two letters first, and the ISO 13616 check
    (the number read in base 36, moved round by four, is 1 modulo 97)."""
    if not (15 <= len(compact) <= 34 and compact.isascii() and compact.isalnum()):
        return False
    rearranged = compact[4:] + compact[:4]
    digits = "".join(str(int(ch, 36)) for ch in rearranged)
    return compact[:2].isalpha() and compact[2:4].isdigit() and int(digits) % 97 == 1


def _iban(s: Reader) -> str:
    """An IBAN, checked loosely (`iban_valid`), in groups of four as banks print it."""
    compact = "".join(s.line("iban", "").split()).upper()
    if compact and not iban_valid(compact):
        raise s.fail("iban", "an IBAN like IL62 0108 0000 0009 9999 999, copied from the bank")
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))


def _swift(s: Reader) -> str:
    """A SWIFT/BIC code: 8 or 11 letters and digits, the first six letters."""
    value = s.line("swift", "").strip().upper()
    if value and not (len(value) in (8, 11) and value.isascii() and value.isalnum()):
        raise s.fail("swift", "a SWIFT/BIC code of 8 or 11 letters and digits, like LUMIILIT")
    if value and not value[:6].isalpha():
        raise s.fail("swift", "a SWIFT/BIC code whose first six characters are letters")
    return value


def _locale(loc: Reader) -> LocaleConfig:
    """[locale]: language, currency, country and a time zone this computer knows."""
    locale = LocaleConfig(
        language=loc.text("language", "en"),
        currency=(loc.text("currency", "ILS") or "ILS").upper(),
        country=(loc.text("country", "IL") or "IL").upper(),
        timezone=loc.text("timezone", "Asia/Jerusalem"),
    )
    loc.check_unknown()
    if locale.language not in ("en", "he"):
        raise loc.fail("language", '"en" or "he"')
    _check_timezone(loc, locale.timezone)
    return locale


def _check_timezone(loc: Reader, timezone: str) -> None:
    """A zone name zoneinfo finds; a missing zone database is said as such, not as a bad name."""
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        if not has_tz_database():
            raise ConfigError(
                f"{loc.source}: key 'locale.timezone' is {timezone!r}, but this "
                f"computer has no time zone database, so no zone can be looked up. Install "
                f"Python's 'tzdata' package (pip install tzdata) or the system's (for example "
                f"apt install tzdata), then run again."
            ) from None
        raise loc.fail("timezone", 'a time zone name like "Asia/Jerusalem"') from None


def _delivery(d: Reader, base: Path) -> DeliveryConfig:
    """[delivery] and [delivery.smtp]: the backend, its limits and its server."""
    backend = d.text("backend", "outbox")
    if backend not in ("outbox", "smtp", "gmail"):
        raise d.fail("backend", '"outbox", "smtp" or "gmail"')
    smtp = _smtp(d.table("smtp"), backend, base)
    delivery = DeliveryConfig(
        backend=backend,
        outbox_dir=base / (d.text("outbox_dir", "outbox") or "outbox"),
        smtp=smtp,
        max_per_run=d.int("max_per_run", None, minimum=1),
        max_per_day=d.int("max_per_day", 400, minimum=1),
        per_minute=d.int("per_minute", None, minimum=1),
        retry_budget_seconds=number(d, "retry_budget_seconds", 120.0, "seconds"),
        retry_initial_seconds=number(d, "retry_initial_seconds", 5.0, "seconds", positive=True),
    )
    d.check_unknown()
    return delivery


def _smtp(sm: Reader, backend: str, base: Path) -> SmtpConfig:
    """[delivery.smtp]: defaults follow the backend (Gmail's host) and the security (port);
    a password in the file is refused unless the user accepts the risk."""
    security = sm.text("security", "starttls")
    if security not in ("starttls", "ssl", "none"):
        raise sm.fail("security", '"starttls", "ssl" or "none"')
    oauth2_file = sm.text("oauth2_file")
    smtp = SmtpConfig(
        host=sm.text("host", "smtp.gmail.com" if backend == "gmail" else "localhost"),
        port=sm.int("port", 465 if security == "ssl" else 587, minimum=1),
        security=security,
        username=sm.text("username"),
        password_env=sm.text("password_env", "XLSDUN_SMTP_PASSWORD"),
        password=sm.text("password"),
        allow_plaintext_password=sm.bool("allow_plaintext_password", False),
        timeout=number(sm, "timeout", 30.0, "seconds", positive=True),
        oauth2_file=(base / Path(oauth2_file).expanduser()) if oauth2_file else None,
    )
    sm.check_unknown()
    refuse_plain_password(sm, smtp.password, smtp.allow_plaintext_password)
    return smtp


def _inbox(ib: Reader, base: Path) -> InboxConfig | None:
    """[inbox]: the mailbox replies and bounces arrive in; absent, nothing is read. `host`
    and `username` are required, the port follows the security, the secret rules are SMTP's."""
    if not ib.data:
        return None
    security = ib.text("security", "ssl")
    if security not in SECURITIES:
        raise ib.fail("security", '"ssl", "starttls" or "none"')
    host, username = ib.line("host", ""), ib.line("username", "")
    for key, value in (("host", host), ("username", username)):
        if not value.strip():
            raise ib.fail(key, 'text in quotes (e.g. host = "imap.gmail.com")')
    folders = ib.get("folders", list, ["INBOX"], 'a list of folder names, e.g. ["INBOX"]')
    if not folders or not all(isinstance(f, str) and f.strip() for f in folders):
        raise ib.fail("folders", 'a list of folder names, e.g. ["INBOX"]')
    oauth2_file = ib.text("oauth2_file")
    inbox = InboxConfig(
        host=host.strip(),
        username=username.strip(),
        port=ib.int("port", 993 if security == "ssl" else 143, minimum=1),
        security=security,
        password_env=ib.text("password_env", "XLSDUN_IMAP_PASSWORD"),
        password=ib.text("password"),
        allow_plaintext_password=ib.bool("allow_plaintext_password", False),
        oauth2_file=(base / Path(oauth2_file).expanduser()) if oauth2_file else None,
        folders=tuple(dict.fromkeys(f.strip() for f in folders)),
        mark_read=ib.bool("mark_read", False),
        timeout=number(ib, "timeout", 30.0, "seconds", positive=True),
        max_per_run=ib.int("max_per_run", 500, minimum=1),
    )
    ib.check_unknown()
    if inbox.port > 65535:
        raise ib.fail("port", "a port number from 1 to 65535")
    refuse_plain_password(ib, inbox.password, inbox.allow_plaintext_password)
    return inbox


def _schedule(sch: Reader) -> tuple[time, int]:
    """[schedule]: the daily time ("HH:MM") and the heartbeat's minutes."""
    at = sch.text("time", "09:00")
    try:
        hh, mm = (int(x) for x in at.split(":"))
        schedule_time = time(hh, mm)
    except ValueError:
        raise sch.fail("time", 'a time like "09:00"') from None
    heartbeat_minutes = sch.int("heartbeat_minutes", 60, minimum=1)
    sch.check_unknown()
    return schedule_time, heartbeat_minutes


def _owner(own: Reader, default_language: str) -> tuple[str | None, str, str]:
    """[owner]: the digest's address and kind, and the owner's language (the digest, the
    report, the sheet's status texts and log words; by default the [locale] language)."""
    owner_email = own.address("email")
    owner_digest = own.text("digest", "per_client")
    if owner_digest not in ("per_client", "combined", "off"):
        raise own.fail("digest", '"per_client", "combined" or "off"')
    language = own.text("language", default_language)
    if language not in ("en", "he"):
        raise own.fail("language", '"en" or "he"')
    own.check_unknown()
    return owner_email, owner_digest, language


__all__ = ["Config", "ConfigError", "load", "from_dict", "default_policy", "replace"]
