"""one index outbox: thread_index_jobs folded into index_jobs (kind + entity_id)

Revision ID: 0010
Revises: 0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KIND = sa.Enum("case", "thread", name="indexkind", native_enum=False, length=20)


def upgrade() -> None:
    with op.batch_alter_table("index_jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", KIND, nullable=False, server_default="case"))
        batch_op.alter_column("case_study_id", new_column_name="entity_id", existing_type=sa.Integer())
        batch_op.drop_index(batch_op.f("ix_index_jobs_case_study_id"))
    with op.batch_alter_table("index_jobs", schema=None) as batch_op:
        batch_op.alter_column("kind", server_default=None, existing_type=KIND, existing_nullable=False)
        batch_op.create_index(batch_op.f("ix_index_jobs_entity_id"), ["entity_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_index_jobs_kind"), ["kind"], unique=False)
    op.execute(
        "INSERT INTO index_jobs (kind, entity_id, state, attempts, available_at, last_error,"
        " created_at, updated_at)"
        " SELECT 'thread', thread_id, CASE WHEN dead THEN 'dead' ELSE 'pending' END, attempts,"
        " available_at, last_error, available_at, available_at FROM thread_index_jobs ORDER BY id"
    )
    with op.batch_alter_table("thread_index_jobs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_thread_index_jobs_thread_id"))
        batch_op.drop_index(batch_op.f("ix_thread_index_jobs_available_at"))
    op.drop_table("thread_index_jobs")


def downgrade() -> None:
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
    op.execute(
        "INSERT INTO thread_index_jobs (thread_id, attempts, available_at, dead, last_error)"
        " SELECT entity_id, attempts, available_at, state = 'dead', last_error FROM index_jobs"
        " WHERE kind = 'thread' ORDER BY id"
    )
    op.execute("DELETE FROM index_jobs WHERE kind <> 'case'")
    with op.batch_alter_table("index_jobs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_index_jobs_kind"))
        batch_op.drop_index(batch_op.f("ix_index_jobs_entity_id"))
        batch_op.alter_column("entity_id", new_column_name="case_study_id", existing_type=sa.Integer())
        batch_op.drop_column("kind")
    with op.batch_alter_table("index_jobs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_index_jobs_case_study_id"), ["case_study_id"], unique=False)
