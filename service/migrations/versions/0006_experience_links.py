"""experience links: origin and confidence of territory/theme/software links, scope, completeness

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LINK_TABLES = ("case_themes", "case_territories", "case_software")


def upgrade() -> None:
    for table in LINK_TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column("origin", sa.String(length=20), server_default="declared", nullable=False)
            )
            if table == "case_territories":
                batch_op.add_column(sa.Column("confidence", sa.Float(), nullable=True))
    with op.batch_alter_table("case_studies", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "scope",
                sa.Enum("local", "national", name="casescope", native_enum=False, length=20),
                server_default="local",
                nullable=False,
            )
        )
        batch_op.add_column(sa.Column("completeness", sa.Integer(), server_default="0", nullable=False))
        batch_op.create_index(batch_op.f("ix_case_studies_completeness"), ["completeness"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("case_studies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_studies_completeness"))
        batch_op.drop_column("completeness")
        batch_op.drop_column("scope")
    for table in reversed(LINK_TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            if table == "case_territories":
                batch_op.drop_column("confidence")
            batch_op.drop_column("origin")
