"""territory visits: « Mon territoire » says what is new since a member's last visit

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04 16:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("territory_visit_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("territory_previous_visit_at", sa.DateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("territory_previous_visit_at")
        batch_op.drop_column("territory_visit_at")
