"""The corpus tables (SQLAlchemy 2). Alembic migrations under ``migrations/`` create exactly these.

Derived columns (epoch seconds, quarter, weekday, hour, time to close, the next incident after a
deploy) are written at ingest so the report is a handful of GROUP BYs, not a scan in Python.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = ["ActionItem", "ActionStatus", "Base", "ContributingFactor", "Deploy", "Postmortem",
           "PostmortemService", "Service"]


class Base(DeclarativeBase):
    pass


class Service(Base):
    __tablename__ = "services"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)


class Postmortem(Base):
    __tablename__ = "postmortems"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    title: Mapped[str] = mapped_column(Text, default="")
    severity: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str | None] = mapped_column(String(32))
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    started_epoch: Mapped[int | None] = mapped_column(BigInteger, index=True)
    quarter: Mapped[str | None] = mapped_column(String(8), index=True)
    detected_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    mitigated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    recovered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ttd_seconds: Mapped[int | None] = mapped_column(Integer)
    ttm_seconds: Mapped[int | None] = mapped_column(Integer)
    ttr_seconds: Mapped[int | None] = mapped_column(Integer)
    detection_method: Mapped[str | None] = mapped_column(String(64))
    mitigation_type: Mapped[str | None] = mapped_column(String(64))
    trigger: Mapped[str | None] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")
    url: Mapped[str | None] = mapped_column(Text)
    source_format: Mapped[str] = mapped_column(String(16))
    source_path: Mapped[str | None] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    document: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class PostmortemService(Base):
    """One incident of one service: the fact table of the MTTR and deploy statistics.

    Start, quarter and durations are copied from the postmortem so those reads are index-only.
    """

    __tablename__ = "postmortem_services"
    __table_args__ = (Index("ix_pm_services_service_start", "service_id", "started_epoch"),
                      Index("ix_pm_services_start", "started_epoch", "service_id", "quarter",
                            "ttr_seconds", "ttd_seconds"))

    postmortem_id: Mapped[int] = mapped_column(
        ForeignKey("postmortems.id", ondelete="CASCADE"), primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"), primary_key=True)
    started_epoch: Mapped[int | None] = mapped_column(BigInteger)
    quarter: Mapped[str | None] = mapped_column(String(8))
    ttr_seconds: Mapped[int | None] = mapped_column(Integer)
    ttd_seconds: Mapped[int | None] = mapped_column(Integer)


class ContributingFactor(Base):
    """A factor of a postmortem; start and quarter copied so factor counts need no join."""

    __tablename__ = "contributing_factors"
    __table_args__ = (Index("ix_factors_start", "started_epoch", "category", "postmortem_id",
                            "quarter"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    postmortem_id: Mapped[int] = mapped_column(
        ForeignKey("postmortems.id", ondelete="CASCADE"), index=True)
    category: Mapped[str] = mapped_column(String(40), index=True)
    text: Mapped[str] = mapped_column(Text, default="")
    draft: Mapped[bool] = mapped_column(Boolean, default=False)
    started_epoch: Mapped[int | None] = mapped_column(BigInteger)
    quarter: Mapped[str | None] = mapped_column(String(8))


class ActionItem(Base):
    __tablename__ = "action_items"
    __table_args__ = (Index("ix_action_items_category_status", "category", "status",
                            "close_seconds", "due"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    postmortem_id: Mapped[int] = mapped_column(
        ForeignKey("postmortems.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(Text)
    owner: Mapped[str | None] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(40))
    tracker_key: Mapped[str | None] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(16))
    tracker_status: Mapped[str | None] = mapped_column(String(64))
    due: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    close_seconds: Mapped[int | None] = mapped_column(Integer)


class ActionStatus(Base):
    """One step of an action item's status history (ingest or tracker sync)."""

    __tablename__ = "action_item_status"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    action_item_id: Mapped[int] = mapped_column(
        ForeignKey("action_items.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(16))
    tracker_status: Mapped[str | None] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(16))


class Deploy(Base):
    __tablename__ = "deploys"
    __table_args__ = (Index("ix_deploys_service_at", "service_id", "at_epoch"),
                      Index("ix_deploys_cube", "cube", "at_epoch", "next_incident_epoch"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    at_epoch: Mapped[int] = mapped_column(BigInteger, index=True)
    weekday: Mapped[int] = mapped_column(SmallInteger)
    hour: Mapped[int] = mapped_column(SmallInteger)
    kind: Mapped[str] = mapped_column(String(16))
    environment: Mapped[str | None] = mapped_column(String(64))
    change_size: Mapped[int | None] = mapped_column(Integer)
    canary: Mapped[bool | None] = mapped_column(Boolean)
    rollback: Mapped[bool] = mapped_column(Boolean, default=False)
    actor: Mapped[str | None] = mapped_column(String(200))
    sha: Mapped[str | None] = mapped_column(String(64))
    url: Mapped[str | None] = mapped_column(Text)
    attrs: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    cube: Mapped[int] = mapped_column(SmallInteger)
    next_incident_epoch: Mapped[int | None] = mapped_column(BigInteger)
