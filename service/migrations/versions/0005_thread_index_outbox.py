"""thread index outbox

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 11:44:28.609061
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "thread_index_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("thread_id", sa.Integer(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("available_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("dead", sa.Boolean(), nullable=False),
        sa.Column("last_error", sa.String(length=2000), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_thread_index_jobs")),
    )
    with op.batch_alter_table("thread_index_jobs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_thread_index_jobs_available_at"), ["available_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_thread_index_jobs_thread_id"), ["thread_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("thread_index_jobs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_thread_index_jobs_thread_id"))
        batch_op.drop_index(batch_op.f("ix_thread_index_jobs_available_at"))

    op.drop_table("thread_index_jobs")
