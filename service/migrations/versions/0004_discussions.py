"""discussions

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 10:41:33.390192
"""

import re
import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _slugify(text: str) -> str:
    """The application's slug as it was when this migration was written (service/textkeys.py), frozen
    here: a migration must give the same result whatever the application code becomes."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    ascii_only = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    folded = re.sub(r"[^a-z0-9]+", " ", ascii_only).strip()
    return folded.replace(" ", "-")[:100].strip("-") or "sans-titre"


def upgrade() -> None:
    op.create_table(
        "follows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column(
            "target_type",
            sa.Enum(
                "case_study",
                "thread",
                "theme",
                "territory",
                name="followtarget",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_follows_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follows")),
        sa.UniqueConstraint("user_id", "target_type", "target_id", name=op.f("uq_follows_user_id")),
    )
    with op.batch_alter_table("follows", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_follows_user_id"), ["user_id"], unique=False)

    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("text", sa.String(length=500), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=True),
        sa.Column("case_study_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("emailed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_study_id"],
            ["case_studies.id"],
            name=op.f("fk_notifications_case_study_id_case_studies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["post_id"], ["posts.id"], name=op.f("fk_notifications_post_id_posts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_notifications_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
        sa.UniqueConstraint("user_id", "kind", "post_id", "case_study_id", name="uq_notifications_once"),
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notifications_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_notifications_emailed_at"), ["emailed_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_notifications_user_id"), ["user_id"], unique=False)

    op.create_table(
        "post_revisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["post_id"], ["posts.id"], name=op.f("fk_post_revisions_post_id_posts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_post_revisions")),
    )
    with op.batch_alter_table("post_revisions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_post_revisions_post_id"), ["post_id"], unique=False)

    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("hidden_reason", sa.String(length=2000), nullable=True))
        batch_op.add_column(sa.Column("edited_at", sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table("threads", schema=None) as batch_op:
        batch_op.add_column(sa.Column("private_organisation_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "last_post_at",
                sa.DateTime(timezone=True),
                server_default=sa.text("CURRENT_TIMESTAMP"),
                nullable=False,
            )
        )
        batch_op.add_column(sa.Column("post_count", sa.Integer(), server_default="0", nullable=False))
        batch_op.create_index(batch_op.f("ix_threads_last_post_at"), ["last_post_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_threads_private_organisation_id"), ["private_organisation_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_threads_private_organisation_id_organisations"),
            "organisations",
            ["private_organisation_id"],
            ["id"],
            ondelete="CASCADE",
        )

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("handle", sa.String(length=130), nullable=True))
        batch_op.add_column(
            sa.Column("email_frequency", sa.String(length=20), server_default="daily", nullable=False)
        )
        batch_op.add_column(sa.Column("last_digest_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f("ix_users_handle"), ["handle"], unique=False)

    # Existing accounts get their @handle (the slug the application computed then).
    users = sa.table(
        "users",
        sa.column("id", sa.Integer),
        sa.column("display_name", sa.String),
        sa.column("handle", sa.String),
    )
    conn = op.get_bind()
    for user_id, name in conn.execute(sa.select(users.c.id, users.c.display_name)).all():
        conn.execute(users.update().where(users.c.id == user_id).values(handle=_slugify(name)[:130] or None))


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_users_handle"))
        batch_op.drop_column("last_digest_at")
        batch_op.drop_column("email_frequency")
        batch_op.drop_column("handle")

    with op.batch_alter_table("threads", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_threads_private_organisation_id_organisations"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_threads_private_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_threads_last_post_at"))
        batch_op.drop_column("post_count")
        batch_op.drop_column("last_post_at")
        batch_op.drop_column("private_organisation_id")

    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.drop_column("edited_at")
        batch_op.drop_column("hidden_reason")

    with op.batch_alter_table("post_revisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_post_revisions_post_id"))

    op.drop_table("post_revisions")
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notifications_user_id"))
        batch_op.drop_index(batch_op.f("ix_notifications_emailed_at"))
        batch_op.drop_index(batch_op.f("ix_notifications_created_at"))

    op.drop_table("notifications")
    with op.batch_alter_table("follows", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_follows_user_id"))

    op.drop_table("follows")
