"""Reading one TOML table of xlsdun.toml, typed: every error names the file and the key and
says what was expected (config.py builds the Config from these readers)."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, overload

from .addresses import is_valid
from .errors import XlsdunError
from .text import CONTROL
from .workbook.bounds import MAX_AMOUNT

TOP_LEVEL_KEYS = ("state_dir", "templates")
_CONTROL = re.compile(f"[{CONTROL}]")


class ConfigError(XlsdunError):
    """A problem with the config file; the message is meant for the user as is."""


class Reader:
    """Typed access to one TOML table, with errors that name the file and the key."""

    def __init__(self, source: Path, data: dict[str, Any], prefix: str = "") -> None:
        self.source, self.data, self.prefix = source, data, prefix
        self.used: set[str] = set()

    def _name(self, key: str) -> str:
        return f"{self.prefix}{key}"

    def fail(self, key: str, expected: str) -> ConfigError:
        got = self.data.get(key)
        return ConfigError(
            f"{self.source}: key '{self._name(key)}' must be {expected} (found {got!r}). "
            f"Fix it in the config file and run again."
        )

    def get(self, key: str, kind: type | tuple[type, ...], default: Any, expected: str) -> Any:
        self.used.add(key)
        if self.data.get(key) is None:
            return default
        value = self.data[key]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        if isinstance(value, bool) and bool not in kinds:  # TOML's true is no number
            raise self.fail(key, expected)
        if not isinstance(value, kind):
            raise self.fail(key, expected)
        return value

    @overload
    def text(self, key: str, default: str) -> str: ...
    @overload
    def text(self, key: str, default: None = None) -> str | None: ...
    def text(self, key: str, default: str | None = None) -> str | None:
        return self.get(key, str, default, "text in quotes")

    def line(self, key: str, default: str) -> str:
        """One line of text (a name, a phone): it goes into headers and one-line places."""
        value = self.text(key, default)
        if _CONTROL.search(value):
            raise self.fail(key, "one line of text, without line breaks or control characters")
        return value

    @overload
    def address(self, key: str, default: str) -> str: ...
    @overload
    def address(self, key: str, default: None = None) -> str | None: ...
    def address(self, key: str, default: str | None = None) -> str | None:
        """An email address, checked as the reader checks the workbook's."""
        value = self.text(key, default)
        if value is not None and not is_valid(value.strip()):
            raise self.fail(key, "an email address like accounts@example.co.il")
        return value.strip() if value is not None else None

    @overload
    def int(self, key: str, default: int, *, minimum: int | None = 0) -> int: ...
    @overload
    def int(self, key: str, default: None, *, minimum: int | None = 0) -> int | None: ...
    def int(self, key: str, default: int | None, *, minimum: int | None = 0) -> int | None:
        value = self.get(key, int, default, "a whole number")
        if value is not None and minimum is not None and value < minimum:
            raise self.fail(key, f"a whole number of at least {minimum}")
        return value

    def bool(self, key: str, default: bool) -> bool:
        return self.get(key, bool, default, "true or false")

    def decimal(self, key: str, default: Decimal) -> Decimal:
        value = self.get(key, (int, float, str), None, "a number")
        if value is None:
            return default
        try:
            result = Decimal(str(value))
        except InvalidOperation:
            raise self.fail(key, "a number") from None
        if not result.is_finite() or result >= MAX_AMOUNT:
            raise self.fail(key, f"a number below {MAX_AMOUNT:,}")
        if result < 0:
            raise self.fail(key, "a number of at least 0")
        return result

    def fraction(self, key: str) -> Decimal:
        """A rate written as a fraction: 0.02 means 2%."""
        value = self.decimal(key, Decimal("0"))
        if value >= 1:
            raise self.fail(key, "a fraction below 1 (0.02 means 2%)")
        return value

    def table(self, key: str) -> Reader:
        value = self.get(key, dict, {}, "a table")
        return Reader(self.source, value, f"{self._name(key)}.")

    def check_unknown(self, known: set[str] | None = None) -> None:
        for key in self.data:
            if key not in (known or self.used):
                if self.prefix and key in TOP_LEVEL_KEYS:
                    raise ConfigError(
                        f"{self.source}: '{key}' is read as '{self._name(key)}' because it comes "
                        f"after a [table] heading. Move '{key} = ...' to the top of the file, "
                        f"above the first [table]."
                    )
                raise ConfigError(
                    f"{self.source}: unknown key '{self._name(key)}'. "
                    f"Check the spelling against the config reference in the README."
                )


def number(r: Reader, key: str, default: float, unit: str, *, positive: bool = False) -> float:
    """A number of `unit` (seconds, megabytes): at least 0, above 0 if `positive`, finite."""
    expected = f"a number of {unit}" + (" above 0" if positive else "")
    value = float(r.get(key, (int, float), default, expected))
    if not 0 <= value < 1e9 or (positive and value == 0):
        raise r.fail(key, expected)
    return value


def refuse_plain_password(r: Reader, password: str | None, allowed: bool) -> None:
    """A password written in the config file is refused unless the user accepts the risk
    (`[delivery.smtp]` and `[inbox]` alike)."""
    if password and not allowed:
        raise ConfigError(
            f"{r.source}: '{r._name('password')}' is written in the config file. Put it in the "
            f"environment variable named by '{r._name('password_env')}' instead, or set "
            f"allow_plaintext_password = true if you accept the risk."
        )
