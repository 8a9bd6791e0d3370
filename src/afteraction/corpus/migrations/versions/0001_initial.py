"""The initial corpus schema: postmortems, services, factors, action items, deploy log.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _tz() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "services",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
    )
    op.create_table(
        "postmortems",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("key", sa.String(200), nullable=False, unique=True),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("severity", sa.String(32)),
        sa.Column("status", sa.String(32)),
        sa.Column("started_at", _tz()),
        sa.Column("started_epoch", sa.BigInteger),
        sa.Column("quarter", sa.String(8)),
        sa.Column("detected_at", _tz()),
        sa.Column("mitigated_at", _tz()),
        sa.Column("recovered_at", _tz()),
        sa.Column("resolved_at", _tz()),
        sa.Column("ttd_seconds", sa.Integer),
        sa.Column("ttm_seconds", sa.Integer),
        sa.Column("ttr_seconds", sa.Integer),
        sa.Column("detection_method", sa.String(64)),
        sa.Column("mitigation_type", sa.String(64)),
        sa.Column("trigger", sa.String(200)),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("url", sa.Text),
        sa.Column("source_format", sa.String(16), nullable=False),
        sa.Column("source_path", sa.Text),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("extra", sa.JSON, nullable=False),
        sa.Column("document", sa.JSON),
    )
    op.create_index("ix_postmortems_started_epoch", "postmortems", ["started_epoch"])
    op.create_index("ix_postmortems_quarter", "postmortems", ["quarter"])
    op.create_table(
        "postmortem_services",
        sa.Column("postmortem_id", sa.Integer,
                  sa.ForeignKey("postmortems.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("service_id", sa.Integer, sa.ForeignKey("services.id"), primary_key=True),
        sa.Column("started_epoch", sa.BigInteger),
        sa.Column("quarter", sa.String(8)),
        sa.Column("ttr_seconds", sa.Integer),
        sa.Column("ttd_seconds", sa.Integer),
    )
    op.create_index("ix_pm_services_service_start", "postmortem_services",
                    ["service_id", "started_epoch"])
    op.create_index("ix_pm_services_start", "postmortem_services",
                    ["started_epoch", "service_id", "quarter", "ttr_seconds", "ttd_seconds"])
    op.create_table(
        "contributing_factors",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("postmortem_id", sa.Integer,
                  sa.ForeignKey("postmortems.id", ondelete="CASCADE"), nullable=False),
        sa.Column("category", sa.String(40), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("draft", sa.Boolean, nullable=False),
        sa.Column("started_epoch", sa.BigInteger),
        sa.Column("quarter", sa.String(8)),
    )
    op.create_index("ix_factors_start", "contributing_factors",
                    ["started_epoch", "category", "postmortem_id", "quarter"])
    op.create_index("ix_contributing_factors_postmortem_id", "contributing_factors",
                    ["postmortem_id"])
    op.create_index("ix_contributing_factors_category", "contributing_factors", ["category"])
    op.create_table(
        "action_items",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("postmortem_id", sa.Integer,
                  sa.ForeignKey("postmortems.id", ondelete="CASCADE"), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("owner", sa.String(200)),
        sa.Column("category", sa.String(40), nullable=False),
        sa.Column("tracker_key", sa.String(64)),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("tracker_status", sa.String(64)),
        sa.Column("due", sa.Date),
        sa.Column("created_at", _tz()),
        sa.Column("closed_at", _tz()),
        sa.Column("close_seconds", sa.Integer),
    )
    op.create_index("ix_action_items_postmortem_id", "action_items", ["postmortem_id"])
    op.create_index("ix_action_items_category_status", "action_items",
                    ["category", "status", "close_seconds", "due"])
    op.create_index("ix_action_items_tracker_key", "action_items", ["tracker_key"])
    op.create_table(
        "action_item_status",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("action_item_id", sa.Integer,
                  sa.ForeignKey("action_items.id", ondelete="CASCADE"), nullable=False),
        sa.Column("at", _tz(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("tracker_status", sa.String(64)),
        sa.Column("source", sa.String(16), nullable=False),
    )
    op.create_index("ix_action_item_status_action_item_id", "action_item_status",
                    ["action_item_id"])
    op.create_table(
        "deploys",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("key", sa.String(200), nullable=False, unique=True),
        sa.Column("service_id", sa.Integer, sa.ForeignKey("services.id"), nullable=False),
        sa.Column("at", _tz(), nullable=False),
        sa.Column("at_epoch", sa.BigInteger, nullable=False),
        sa.Column("weekday", sa.SmallInteger, nullable=False),
        sa.Column("hour", sa.SmallInteger, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("environment", sa.String(64)),
        sa.Column("change_size", sa.Integer),
        sa.Column("canary", sa.Boolean),
        sa.Column("rollback", sa.Boolean, nullable=False),
        sa.Column("actor", sa.String(200)),
        sa.Column("sha", sa.String(64)),
        sa.Column("url", sa.Text),
        sa.Column("attrs", sa.JSON, nullable=False),
        sa.Column("cube", sa.SmallInteger, nullable=False),
        sa.Column("next_incident_epoch", sa.BigInteger),
    )
    op.create_index("ix_deploys_service_at", "deploys", ["service_id", "at_epoch"])
    op.create_index("ix_deploys_at_epoch", "deploys", ["at_epoch"])
    op.create_index("ix_deploys_cube", "deploys", ["cube", "at_epoch", "next_incident_epoch"])


def downgrade() -> None:
    for table in ("deploys", "action_item_status", "action_items", "contributing_factors",
                  "postmortem_services", "postmortems", "services"):
        op.drop_table(table)
