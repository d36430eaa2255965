"""sync feed: removals (what a partner's mirror must delete) and (updated_at, id) indexes for the
`updated_since` walks of the mirrored lists

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04 15:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MIRRORED_TABLES = (
    "case_studies",
    "organisations",
    "software",
    "territories",
    "threads",
    "events",
    "collections",
    "contests",
)


def upgrade() -> None:
    op.create_table(
        "removals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "case-study",
                "organisation",
                "software",
                "territory",
                "thread",
                "event",
                "collection",
                "contest",
                name="mirroredkind",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=140), nullable=True),
        sa.Column(
            "reason",
            sa.Enum(
                "withdrawn",
                "archived",
                "deleted",
                "merged",
                "hidden",
                "unlisted",
                name="removalreason",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_removals")),
    )
    op.create_index("ix_removals_removed_at_id", "removals", ["removed_at", "id"], unique=False)
    for table in MIRRORED_TABLES:
        op.create_index(f"ix_{table}_updated_at_id", table, ["updated_at", "id"], unique=False)


def downgrade() -> None:
    for table in reversed(MIRRORED_TABLES):
        op.drop_index(f"ix_{table}_updated_at_id", table_name=table)
    op.drop_index("ix_removals_removed_at_id", table_name="removals")
    op.drop_table("removals")
