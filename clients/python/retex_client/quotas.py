"""The quotas the server tells on each answer (IETF `RateLimit` header: `"key";r=598;t=41`)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Quota:
    """What is left of one quota: `remaining` requests, renewed in `reset` seconds."""

    policy: str
    remaining: int
    reset: int


def parse_rate_limit(value: str | None) -> dict[str, Quota]:
    """`RateLimit: "key";r=598;t=41, "anonymous-search";r=3;t=41` by policy name; unreadable items skipped."""
    quotas: dict[str, Quota] = {}
    for item in (value or "").split(","):
        name, *params = (part.strip() for part in item.split(";"))
        fields = dict(p.partition("=")[::2] for p in params)
        policy = name.strip('"')
        try:
            quotas[policy] = Quota(policy=policy, remaining=int(fields["r"]), reset=int(fields["t"]))
        except (KeyError, ValueError):
            continue
    return quotas
