"""The configured tone ladder and what follows from its shape: `Ladder`.

No tier id is special in code: which tier is the final notice, which put a debtor on the call
list and how far a reminder may rise all come from the ladder as configured (its order, and
each tier's `enabled`, `email` and `approve`), so a reshaped ladder behaves as it reads.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..config import PolicyConfig, Tier


@dataclass(frozen=True, slots=True)
class Ladder:
    """A policy's ladder with its derived properties, worked out once per plan."""

    tiers: tuple[Tier, ...]  # as configured, gentlest first
    enabled: tuple[Tier, ...]  # the tiers in use
    ranks: Mapping[str, int]  # tier id -> place on the ladder (enabled or not)
    final_notice: Tier | None  # the last enabled tier that emails; past it, the call list
    first_contact_max: Tier | None  # the highest tier a first reminder may open at
    cadence_days: int
    repeat_final_days: int

    @classmethod
    def of(cls, policy: PolicyConfig) -> Ladder:
        enabled = tuple(t for t in policy.ladder if t.enabled)
        emailing = [t for t in enabled if t.email]
        ranks = {t.id: i for i, t in reversed(list(enumerate(policy.ladder)))}  # first wins
        return cls(
            tiers=policy.ladder,
            enabled=enabled,
            ranks=ranks,
            final_notice=emailing[-1] if emailing else None,
            first_contact_max=_tier_or_none(policy, policy.first_contact_max),
            cadence_days=policy.cadence_days,
            repeat_final_days=policy.repeat_final_days,
        )

    def rank(self, tier_id: str) -> int:
        """The tier's place on the ladder; -1 for an id not on it."""
        return self.ranks.get(tier_id, -1)

    def tier(self, tier_id: str) -> Tier | None:
        rank = self.rank(tier_id)
        return self.tiers[rank] if rank >= 0 else None

    def natural(self, days_overdue: int) -> Tier | None:
        """The enabled tier whose range covers `days_overdue`; the top tier beyond the last
        range; None below the first."""
        tiers = self.enabled
        for tier in tiers:
            if tier.covers(days_overdue):
                return tier
        if tiers and days_overdue > (tiers[-1].max_days or 0) and tiers[-1].max_days is not None:
            return tiers[-1]
        # days between two ranges (a gap in a custom ladder): the highest tier already reached
        below = [t for t in tiers if t.min_days <= days_overdue]
        return below[-1] if below else None

    def step_up(self, from_tier_id: str) -> Tier | None:
        """The next enabled tier above `from_tier_id` (or that tier itself at the top)."""
        from_rank = self.rank(from_tier_id)
        above = [t for t in self.enabled if self.rank(t.id) > from_rank]
        if above:
            return above[0]
        same = [t for t in self.enabled if t.id == from_tier_id]
        return same[0] if same else (self.enabled[-1] if self.enabled else None)

    def cap(self, tier: Tier, ceiling: Tier | None) -> Tier:
        """`tier`, or `ceiling` if that is lower on the ladder."""
        if ceiling is not None and self.rank(tier.id) > self.rank(ceiling.id):
            return ceiling
        return tier

    def is_final_notice(self, tier: Tier) -> bool:
        return self.final_notice is not None and tier.id == self.final_notice.id

    def repeat_days(self, tier: Tier) -> int:
        """Days before `tier` may be sent again: the final notice and a call-list tier
        (`email = false`) repeat only every `repeat_final_days`, others after `cadence_days`."""
        if not tier.email or self.is_final_notice(tier):
            return max(self.cadence_days, self.repeat_final_days)
        return self.cadence_days


def natural_tier(days_overdue: int, policy: PolicyConfig) -> Tier | None:
    """The tier for a debt `days_overdue` old under `policy` (see `Ladder.natural`)."""
    return Ladder.of(policy).natural(days_overdue)


def _tier_or_none(policy: PolicyConfig, tier_id: str) -> Tier | None:
    try:
        return policy.tier(tier_id)
    except KeyError:
        return None
