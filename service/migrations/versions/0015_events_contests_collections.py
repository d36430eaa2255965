"""events contests collections

Revision ID: 0015
Revises: 0008
Create Date: 2026-12-03 14:22:55.856056
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "collections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=140), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("introduction", sa.Text(), nullable=False),
        sa.Column(
            "visibility",
            sa.Enum("public", "unlisted", name="visibility", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("external_key", sa.String(length=120), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_collections_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_collections_organisation_id_organisations"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collections")),
        sa.UniqueConstraint("external_key", name=op.f("uq_collections_external_key")),
        sa.UniqueConstraint("slug", name=op.f("uq_collections_slug")),
    )
    with op.batch_alter_table("collections", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_collections_organisation_id"), ["organisation_id"], unique=False)

    op.create_table(
        "contests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=140), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("edition", sa.String(length=20), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("external_key", sa.String(length=120), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_contests_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contests")),
        sa.UniqueConstraint("external_key", name=op.f("uq_contests_external_key")),
        sa.UniqueConstraint("slug", name=op.f("uq_contests_slug")),
    )
    with op.batch_alter_table("contests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contests_organisation_id"), ["organisation_id"], unique=False)

    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "regional_meeting",
                "forum",
                "webinar",
                "visit",
                name="eventkind",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("timezone", sa.String(length=60), nullable=False),
        sa.Column("territory_id", sa.Integer(), nullable=True),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("online_url", sa.String(length=500), nullable=True),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("external_key", sa.String(length=120), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_events_created_by_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_events_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["territory_id"],
            ["territories.id"],
            name=op.f("fk_events_territory_id_territories"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
        sa.UniqueConstraint("external_key", name=op.f("uq_events_external_key")),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_events_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_events_organisation_id"), ["organisation_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_events_starts_at"), ["starts_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_events_territory_id"), ["territory_id"], unique=False)

    op.create_table(
        "collection_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("collection_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("case_study_id", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_study_id"],
            ["case_studies.id"],
            name=op.f("fk_collection_items_case_study_id_case_studies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["collection_id"],
            ["collections.id"],
            name=op.f("fk_collection_items_collection_id_collections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collection_items")),
        sa.UniqueConstraint("collection_id", "case_study_id", name="uq_collection_items_case"),
    )
    with op.batch_alter_table("collection_items", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_collection_items_case_study_id"), ["case_study_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_collection_items_collection_id"), ["collection_id"], unique=False
        )

    op.create_table(
        "contest_categories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contest_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["contest_id"],
            ["contests.id"],
            name=op.f("fk_contest_categories_contest_id_contests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contest_categories")),
    )
    with op.batch_alter_table("contest_categories", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contest_categories_contest_id"), ["contest_id"], unique=False)

    op.create_table(
        "contest_stages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contest_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "level",
            sa.Enum("regional", "national", name="stagelevel", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("region_code", sa.String(length=3), nullable=True),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("planned", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["contest_id"],
            ["contests.id"],
            name=op.f("fk_contest_stages_contest_id_contests"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_contest_stages_event_id_events"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contest_stages")),
    )
    with op.batch_alter_table("contest_stages", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contest_stages_contest_id"), ["contest_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_contest_stages_event_id"), ["event_id"], unique=False)

    op.create_table(
        "event_attendances",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_event_attendances_event_id_events"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_event_attendances_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_attendances")),
        sa.UniqueConstraint("event_id", "user_id", name="uq_event_attendances_event_user"),
    )
    with op.batch_alter_table("event_attendances", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_event_attendances_event_id"), ["event_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_event_attendances_user_id"), ["user_id"], unique=False)

    op.create_table(
        "event_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("round_table", "talk", "audition", name="sessionkind", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("description", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_event_sessions_event_id_events"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_sessions")),
    )
    with op.batch_alter_table("event_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_event_sessions_event_id"), ["event_id"], unique=False)

    op.create_table(
        "contest_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contest_id", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("stage_id", sa.Integer(), nullable=False),
        sa.Column("case_study_id", sa.Integer(), nullable=False),
        sa.Column(
            "result",
            sa.Enum("candidate", "finalist", "laureate", name="entryresult", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_study_id"],
            ["case_studies.id"],
            name=op.f("fk_contest_entries_case_study_id_case_studies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["contest_categories.id"],
            name=op.f("fk_contest_entries_category_id_contest_categories"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["contest_id"],
            ["contests.id"],
            name=op.f("fk_contest_entries_contest_id_contests"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["stage_id"],
            ["contest_stages.id"],
            name=op.f("fk_contest_entries_stage_id_contest_stages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contest_entries")),
        sa.UniqueConstraint("stage_id", "case_study_id", name="uq_contest_entries_stage_case"),
    )
    with op.batch_alter_table("contest_entries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contest_entries_case_study_id"), ["case_study_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_contest_entries_contest_id"), ["contest_id"], unique=False)

    op.create_table(
        "event_session_cases",
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("case_study_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_study_id"],
            ["case_studies.id"],
            name=op.f("fk_event_session_cases_case_study_id_case_studies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["event_sessions.id"],
            name=op.f("fk_event_session_cases_session_id_event_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("session_id", "case_study_id", name=op.f("pk_event_session_cases")),
    )
    with op.batch_alter_table("event_session_cases", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_event_session_cases_case_study_id"), ["case_study_id"], unique=False
        )

    op.create_table(
        "event_session_themes",
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("theme_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["event_sessions.id"],
            name=op.f("fk_event_session_themes_session_id_event_sessions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["theme_id"],
            ["themes.id"],
            name=op.f("fk_event_session_themes_theme_id_themes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("session_id", "theme_id", name=op.f("pk_event_session_themes")),
    )
    with op.batch_alter_table("event_session_themes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_event_session_themes_theme_id"), ["theme_id"], unique=False)

    op.create_table(
        "event_speakers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("organisation_name", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["event_sessions.id"],
            name=op.f("fk_event_speakers_session_id_event_sessions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_event_speakers_user_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_speakers")),
    )
    with op.batch_alter_table("event_speakers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_event_speakers_session_id"), ["session_id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("event_speakers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_speakers_session_id"))

    op.drop_table("event_speakers")
    with op.batch_alter_table("event_session_themes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_session_themes_theme_id"))

    op.drop_table("event_session_themes")
    with op.batch_alter_table("event_session_cases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_session_cases_case_study_id"))

    op.drop_table("event_session_cases")
    with op.batch_alter_table("contest_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contest_entries_contest_id"))
        batch_op.drop_index(batch_op.f("ix_contest_entries_case_study_id"))

    op.drop_table("contest_entries")
    with op.batch_alter_table("event_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_sessions_event_id"))

    op.drop_table("event_sessions")
    with op.batch_alter_table("event_attendances", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_attendances_user_id"))
        batch_op.drop_index(batch_op.f("ix_event_attendances_event_id"))

    op.drop_table("event_attendances")
    with op.batch_alter_table("contest_stages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contest_stages_event_id"))
        batch_op.drop_index(batch_op.f("ix_contest_stages_contest_id"))

    op.drop_table("contest_stages")
    with op.batch_alter_table("contest_categories", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contest_categories_contest_id"))

    op.drop_table("contest_categories")
    with op.batch_alter_table("collection_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_collection_items_collection_id"))
        batch_op.drop_index(batch_op.f("ix_collection_items_case_study_id"))

    op.drop_table("collection_items")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_events_territory_id"))
        batch_op.drop_index(batch_op.f("ix_events_starts_at"))
        batch_op.drop_index(batch_op.f("ix_events_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_events_kind"))

    op.drop_table("events")
    with op.batch_alter_table("contests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contests_organisation_id"))

    op.drop_table("contests")
    with op.batch_alter_table("collections", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_collections_organisation_id"))

    op.drop_table("collections")
