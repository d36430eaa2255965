"""Counts of what a seed step did, so a second run can say it changed nothing."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class StepReport:
    name: str
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def total(self) -> int:
        return self.inserted + self.updated + self.unchanged

    def line(self) -> str:
        return (
            f"{self.name:<22} {self.inserted:>7} inserted {self.updated:>7} updated "
            f"{self.unchanged:>7} unchanged ({self.total} rows)"
        )
