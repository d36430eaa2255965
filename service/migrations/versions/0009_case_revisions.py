"""case revisions: edits of published cases wait for review; every edit is in the history

Revision ID: 0009
Revises: 0007
Create Date: 2026-12-03 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUSES = ("pending", "approved", "rejected", "superseded", "applied")
EVENTS = ("state", "edit", "revision_proposed", "revision_approved", "revision_rejected")


def upgrade() -> None:
    op.create_table(
        "case_revisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_study_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column(
            "status", sa.Enum(*STATUSES, name="revisionstatus", native_enum=False, length=20), nullable=False
        ),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("previous", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=2000), nullable=True),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_case_revisions_author_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["case_study_id"],
            ["case_studies.id"],
            name=op.f("fk_case_revisions_case_study_id_case_studies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["users.id"],
            name=op.f("fk_case_revisions_decided_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_revisions")),
    )
    with op.batch_alter_table("case_revisions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_revisions_author_id"), ["author_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_case_revisions_case_study_id"), ["case_study_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_case_revisions_status"), ["status"], unique=False)
        batch_op.create_index(
            "uq_case_revisions_one_pending",
            ["case_study_id"],
            unique=True,
            sqlite_where=sa.text("status = 'pending'"),
            postgresql_where=sa.text("status = 'pending'"),
        )

    with op.batch_alter_table("case_state_changes", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "event",
                sa.Enum(*EVENTS, name="historyevent", native_enum=False, length=20),
                server_default="state",
                nullable=False,
            )
        )
        batch_op.add_column(sa.Column("revision_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_case_state_changes_revision_id_case_revisions"),
            "case_revisions",
            ["revision_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("case_state_changes", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_case_state_changes_revision_id_case_revisions"), type_="foreignkey"
        )
        batch_op.drop_column("revision_id")
        batch_op.drop_column("event")

    with op.batch_alter_table("case_revisions", schema=None) as batch_op:
        batch_op.drop_index("uq_case_revisions_one_pending")
        batch_op.drop_index(batch_op.f("ix_case_revisions_status"))
        batch_op.drop_index(batch_op.f("ix_case_revisions_case_study_id"))
        batch_op.drop_index(batch_op.f("ix_case_revisions_author_id"))

    op.drop_table("case_revisions")
