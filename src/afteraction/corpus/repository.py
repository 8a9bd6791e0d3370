"""Writing and reading the corpus: upsert one document, bulk-load many, list with filters.

Everything takes a SQLAlchemy ``Connection`` inside the caller's transaction, so the caller decides
the unit of work (one document per transaction for ingest, one batch for the bulk path).
"""

from __future__ import annotations

import dataclasses
import hashlib
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, text, update
from sqlalchemy.dialects import postgresql, sqlite

from afteraction.corpus.bulk import copy_rows, reserve_ids
from afteraction.corpus.cube import encode
from afteraction.corpus.records import ActionRecord, DeployRecord, PostmortemRecord, quarter_of
from afteraction.corpus.store import (
    ActionItem,
    ActionStatus,
    ContributingFactor,
    Deploy,
    Postmortem,
    PostmortemService,
    Service,
)

__all__ = ["as_utc", "bulk_insert_deploys", "bulk_insert_postmortems", "ensure_services",
           "list_postmortems",
           "refresh_deploy_outcomes", "upsert_deploys", "upsert_postmortem"]

_CHUNK = 500


def as_utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything the corpus stores is UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _epoch(value: datetime | None) -> int | None:
    return None if value is None else int(value.timestamp())


def content_hash(record: PostmortemRecord) -> str:
    """What the document says (not where it was read from): unchanged = nothing to write.

    The repr of frozen dataclasses, datetimes and parsed JSON/YAML is deterministic for the same
    document, and much cheaper than a canonical JSON dump on the bulk path.
    """
    text = repr(dataclasses.replace(record, source_path=None))
    return hashlib.sha256(text.encode()).hexdigest()


def ensure_services(conn: Connection, names: Iterable[str]) -> dict[str, int]:
    """Service name -> id, creating the services not seen before."""
    wanted = sorted(set(names))
    found: dict[str, int] = {}
    for i in range(0, len(wanted), _CHUNK):
        chunk = wanted[i:i + _CHUNK]
        found.update(conn.execute(select(Service.name, Service.id)
                                  .where(Service.name.in_(chunk))).all())
    missing = [n for n in wanted if n not in found]
    if missing:
        conn.execute(insert(Service), [{"name": n} for n in missing])
        for i in range(0, len(missing), _CHUNK):
            found.update(conn.execute(select(Service.name, Service.id)
                                      .where(Service.name.in_(missing[i:i + _CHUNK])))
                         .all())
    return found


def _pm_row(record: PostmortemRecord) -> dict[str, Any]:
    return {
        "key": record.key, "title": record.title, "severity": record.severity,
        "status": record.status, "started_at": record.started_at,
        "started_epoch": _epoch(record.started_at),
        "quarter": quarter_of(record.started_at) if record.started_at else None,
        "detected_at": record.detected_at, "mitigated_at": record.mitigated_at,
        "recovered_at": record.recovered_at, "resolved_at": record.resolved_at,
        "ttd_seconds": record.ttd_seconds, "ttm_seconds": record.ttm_seconds,
        "ttr_seconds": record.ttr_seconds, "detection_method": record.detection_method,
        "mitigation_type": record.mitigation_type, "trigger": record.trigger,
        "summary": record.summary, "body": record.body, "url": record.url,
        "source_format": record.source_format, "source_path": record.source_path,
        "content_hash": content_hash(record), "extra": record.extra, "document": record.document,
    }


def _action_row(pm_id: int, position: int, action: ActionRecord) -> dict[str, Any]:
    close = None
    if action.closed_at is not None and action.created_at is not None:
        close = int((action.closed_at - action.created_at).total_seconds())
    return {"postmortem_id": pm_id, "position": position, "title": action.title,
            "owner": action.owner, "category": action.category,
            "tracker_key": action.tracker_key, "status": action.status,
            "tracker_status": action.tracker_status, "due": action.due,
            "created_at": action.created_at, "closed_at": action.closed_at,
            "close_seconds": close}


_LINK_COLUMNS = ("postmortem_id", "service_id", "started_epoch", "quarter", "ttr_seconds",
                 "ttd_seconds")
_FACTOR_COLUMNS = ("postmortem_id", "category", "text", "draft", "started_epoch", "quarter")


def _child_rows(pm_id: int, record: PostmortemRecord, row: dict[str, Any],
                services: dict[str, int]) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Service links and factors of one postmortem, with the copied start and durations."""
    started, quarter = row["started_epoch"], row["quarter"]
    links = [(pm_id, services[s], started, quarter, record.ttr_seconds, record.ttd_seconds)
             for s in dict.fromkeys(record.services)]
    factors = [(pm_id, f.category, f.text, f.draft, started, quarter) for f in record.factors]
    return links, factors


def _children(conn: Connection, pm_id: int, record: PostmortemRecord, row: dict[str, Any],
              services: dict[str, int]) -> None:
    links, factors = _child_rows(pm_id, record, row, services)
    if links:
        conn.execute(insert(PostmortemService), [dict(zip(_LINK_COLUMNS, v, strict=True))
                                                 for v in links])
    if factors:
        conn.execute(insert(ContributingFactor), [dict(zip(_FACTOR_COLUMNS, v, strict=True))
                                                  for v in factors])


def _merge_actions(conn: Connection, pm_id: int, actions: Sequence[ActionRecord],
                   now: datetime) -> None:
    """Update action items in place (matched by tracker key, else title), keeping history.

    A status synced from the tracker wins over the status written in the document.
    """
    rows = conn.execute(select(ActionItem.id, ActionItem.tracker_key, ActionItem.title,
                               ActionItem.status).where(ActionItem.postmortem_id == pm_id)).all()
    last_source = dict(conn.execute(
        select(ActionStatus.action_item_id, ActionStatus.source)
        .where(ActionStatus.action_item_id.in_([r.id for r in rows]))
        .order_by(ActionStatus.id)).all()) if rows else {}
    by_key = {r.tracker_key: r for r in rows if r.tracker_key}
    by_title = {r.title: r for r in rows}
    kept: set[int] = set()
    for position, action in enumerate(actions):
        old = by_key.get(action.tracker_key) if action.tracker_key else None
        old = old or by_title.get(action.title)
        if old is not None and old.id in kept:
            old = None
        values = _action_row(pm_id, position, action)
        if old is None:
            new_id = conn.execute(insert(ActionItem).returning(ActionItem.id), values).scalar_one()
            conn.execute(insert(ActionStatus), {
                "action_item_id": new_id, "at": action.closed_at or action.created_at or now,
                "status": action.status, "tracker_status": action.tracker_status,
                "source": "ingest"})
            kept.add(new_id)
            continue
        kept.add(old.id)
        if last_source.get(old.id) == "jira":
            for field in ("status", "tracker_status", "closed_at", "close_seconds"):
                values.pop(field)
        conn.execute(update(ActionItem).where(ActionItem.id == old.id).values(**values))
        if "status" in values and values["status"] != old.status:
            conn.execute(insert(ActionStatus), {
                "action_item_id": old.id, "at": now, "status": action.status,
                "tracker_status": action.tracker_status, "source": "ingest"})
    gone = [r.id for r in rows if r.id not in kept]
    if gone:
        conn.execute(delete(ActionItem).where(ActionItem.id.in_(gone)))


def upsert_postmortem(conn: Connection, record: PostmortemRecord, *, now: datetime
                      ) -> tuple[str, set[int]]:
    """Insert or update one postmortem by key; returns the outcome and the services touched.

    The outcome is ``inserted``, ``updated`` or ``unchanged``; re-ingesting never duplicates.
    """
    row = _pm_row(record)
    existing = conn.execute(select(Postmortem.id, Postmortem.content_hash)
                            .where(Postmortem.key == record.key)).first()
    services = ensure_services(conn, record.services)
    touched = set(services.values())
    if existing is not None and existing.content_hash == row["content_hash"]:
        return "unchanged", set()
    if existing is None:
        pm_id = conn.execute(insert(Postmortem).returning(Postmortem.id), row).scalar_one()
        outcome = "inserted"
    else:
        pm_id = existing.id
        touched |= set(conn.execute(select(PostmortemService.service_id)
                                    .where(PostmortemService.postmortem_id == pm_id)).scalars())
        conn.execute(update(Postmortem).where(Postmortem.id == pm_id).values(**row))
        conn.execute(delete(PostmortemService).where(PostmortemService.postmortem_id == pm_id))
        conn.execute(delete(ContributingFactor).where(ContributingFactor.postmortem_id == pm_id))
        outcome = "updated"
    _children(conn, pm_id, record, row, services)
    _merge_actions(conn, pm_id, record.actions, now)
    return outcome, touched


def _delete_keys(conn: Connection, model: type[Postmortem | Deploy],
                 keys: Sequence[str]) -> None:
    """Remove the rows a bulk batch replaces, by their unique key.

    On PostgreSQL a table filled earlier in the same transaction still has the statistics of an
    empty one, and the planner would scan it whole for every batch (quadratic); the unique index
    is always the right plan here, so sequential scans are switched off for these statements.
    """
    postgres = conn.dialect.name == "postgresql"
    if postgres:
        conn.execute(text("SET LOCAL enable_seqscan = off"))
    for i in range(0, len(keys), 5000):
        conn.execute(delete(model).where(model.key.in_(keys[i:i + 5000])))
    if postgres:
        conn.execute(text("SET LOCAL enable_seqscan = on"))


_PM_COLUMNS = ("id", "key", "title", "severity", "status", "started_at", "started_epoch",
               "quarter", "detected_at", "mitigated_at", "recovered_at", "resolved_at",
               "ttd_seconds", "ttm_seconds", "ttr_seconds", "detection_method",
               "mitigation_type", "trigger", "summary", "body", "url", "source_format",
               "source_path", "content_hash", "extra", "document")
_ACTION_COLUMNS = ("id", "postmortem_id", "position", "title", "owner", "category", "tracker_key",
                   "status", "tracker_status", "due", "created_at", "closed_at", "close_seconds")


def bulk_insert_postmortems(conn: Connection, records: Sequence[PostmortemRecord]) -> int:
    """The bulk path: replace these keys wholesale, loading rows with COPY / executemany.

    For many validated documents at once (generator, benchmark, a move from another tool);
    history rows record each item's current status only.
    """
    if not records:
        return 0
    _delete_keys(conn, Postmortem, [r.key for r in records])
    services = ensure_services(conn, (s for r in records for s in r.services))
    ids = reserve_ids(conn, "postmortems", len(records))
    pm_rows: list[tuple[Any, ...]] = []
    links: list[tuple[Any, ...]] = []
    factors: list[tuple[Any, ...]] = []
    actions: list[dict[str, Any]] = []
    for pm_id, record in zip(ids, records, strict=True):
        row = _pm_row(record)
        row["id"] = pm_id
        pm_rows.append(tuple(row[c] for c in _PM_COLUMNS))
        more_links, more_factors = _child_rows(pm_id, record, row, services)
        links.extend(more_links)
        factors.extend(more_factors)
        actions.extend(_action_row(pm_id, i, a) for i, a in enumerate(record.actions))
    copy_rows(conn, "postmortems", _PM_COLUMNS, pm_rows)
    copy_rows(conn, "postmortem_services", _LINK_COLUMNS, links)
    copy_rows(conn, "contributing_factors", _FACTOR_COLUMNS, factors)
    action_ids = reserve_ids(conn, "action_items", len(actions))
    for aid, action in zip(action_ids, actions, strict=True):
        action["id"] = aid
    copy_rows(conn, "action_items", _ACTION_COLUMNS,
              [tuple(a[c] for c in _ACTION_COLUMNS) for a in actions])
    copy_rows(conn, "action_item_status",
              ("action_item_id", "at", "status", "tracker_status", "source"),
              [(a["id"], a["closed_at"] or a["created_at"], a["status"], a["tracker_status"],
                "ingest") for a in actions if (a["closed_at"] or a["created_at"]) is not None])
    return len(records)


def _deploy_row(record: DeployRecord, service_id: int) -> dict[str, Any]:
    at = record.at.astimezone(UTC)
    return {"key": record.key, "service_id": service_id, "at": at, "at_epoch": int(at.timestamp()),
            "weekday": at.weekday(), "hour": at.hour, "kind": record.kind,
            "environment": record.environment, "change_size": record.change_size,
            "canary": record.canary, "rollback": record.rollback, "actor": record.actor,
            "sha": record.sha, "url": record.url, "attrs": record.attrs,
            "cube": encode(at.weekday(), at.hour, record.change_size, record.kind, record.canary,
                           record.rollback)}


def upsert_deploys(conn: Connection, records: Sequence[DeployRecord]) -> set[int]:
    """Insert or update deploys by key (idempotent); returns the service ids touched."""
    services = ensure_services(conn, (r.service for r in records))
    rows = [_deploy_row(r, services[r.service]) for r in records]
    if not rows:
        return set()
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(Deploy)
    updatable = [c for c in rows[0] if c != "key"]
    stmt = stmt.on_conflict_do_update(index_elements=["key"],
                                      set_={c: stmt.excluded[c] for c in updatable})
    conn.execute(stmt, rows)
    return set(services.values())


_DEPLOY_COLUMNS = ("key", "service_id", "at", "at_epoch", "weekday", "hour", "kind",
                   "environment", "change_size", "canary", "rollback", "actor", "sha", "url",
                   "attrs", "cube", "next_incident_epoch")


def _incident_starts(conn: Connection, service_ids: set[int]) -> dict[int, list[int]]:
    """Sorted incident start epochs per service."""
    out: dict[int, list[int]] = {}
    ids = sorted(service_ids)
    for i in range(0, len(ids), _CHUNK):
        rows = conn.execute(select(PostmortemService.service_id, PostmortemService.started_epoch)
                            .where(PostmortemService.service_id.in_(ids[i:i + _CHUNK]),
                                   PostmortemService.started_epoch.is_not(None)))
        for service, start in rows:
            if start is not None:
                out.setdefault(service, []).append(int(start))
    for starts in out.values():
        starts.sort()
    return out


def _next_start(starts: list[int] | None, at: int) -> int | None:
    if not starts:
        return None
    index = bisect_left(starts, at)
    return starts[index] if index < len(starts) else None


def bulk_insert_deploys(conn: Connection, records: Sequence[DeployRecord]) -> set[int]:
    """The bulk path for deploy logs: replace these keys, load with COPY / executemany.

    Call :func:`refresh_deploy_outcomes` once after the last batch.
    """
    if not records:
        return set()
    _delete_keys(conn, Deploy, [r.key for r in records])
    services = ensure_services(conn, (r.service for r in records))
    starts = _incident_starts(conn, set(services.values()))
    rows = []
    for record in records:
        row = _deploy_row(record, services[record.service])
        row["next_incident_epoch"] = _next_start(starts.get(row["service_id"]), row["at_epoch"])
        rows.append(tuple(row[c] for c in _DEPLOY_COLUMNS))
    copy_rows(conn, "deploys", _DEPLOY_COLUMNS, rows)
    return set(services.values())


def refresh_deploy_outcomes(conn: Connection, service_ids: Iterable[int] | None = None) -> None:
    """Store, per deploy, when the next incident of its service started (the outcome it is
    judged by); limited to the services given, all when None."""
    nxt = (select(func.min(PostmortemService.started_epoch))
           .where(PostmortemService.service_id == Deploy.service_id,
                  PostmortemService.started_epoch >= Deploy.at_epoch)
           .scalar_subquery())
    # only rows whose outcome changes are written: a re-run reads, it does not rewrite 1M rows
    stmt = (update(Deploy).values(next_incident_epoch=nxt)
            .where(Deploy.next_incident_epoch.is_distinct_from(nxt)))
    if service_ids is None:
        conn.execute(stmt)
        return
    ids = sorted(service_ids)
    for i in range(0, len(ids), _CHUNK):
        conn.execute(stmt.where(Deploy.service_id.in_(ids[i:i + _CHUNK])))


def list_postmortems(conn: Connection, *, service: str | None = None, factor: str | None = None,
                     since: datetime | None = None, until: datetime | None = None,
                     limit: int = 200) -> list[dict[str, Any]]:
    """Postmortems matching every filter given, newest first, with services and factors."""
    stmt = select(Postmortem.id, Postmortem.key, Postmortem.title, Postmortem.started_at,
                  Postmortem.ttd_seconds, Postmortem.ttr_seconds, Postmortem.severity,
                  Postmortem.url)
    if service:
        stmt = stmt.where(Postmortem.id.in_(
            select(PostmortemService.postmortem_id).join(Service)
            .where(Service.name == service)))
    if factor:
        stmt = stmt.where(Postmortem.id.in_(
            select(ContributingFactor.postmortem_id)
            .where(ContributingFactor.category == factor)))
    if since:
        stmt = stmt.where(Postmortem.started_epoch >= int(since.timestamp()))
    if until:
        stmt = stmt.where(Postmortem.started_epoch < int(until.timestamp()))
    rows = conn.execute(stmt.order_by(Postmortem.started_epoch.desc(), Postmortem.key)
                        .limit(limit)).all()
    ids = [r.id for r in rows]
    services: dict[int, list[str]] = {i: [] for i in ids}
    factors: dict[int, list[str]] = {i: [] for i in ids}
    if ids:
        for pm_id, name in conn.execute(
                select(PostmortemService.postmortem_id, Service.name).join(Service)
                .where(PostmortemService.postmortem_id.in_(ids)).order_by(Service.name)):
            services[pm_id].append(name)
        for pm_id, cat in conn.execute(
                select(ContributingFactor.postmortem_id, ContributingFactor.category)
                .where(ContributingFactor.postmortem_id.in_(ids))
                .order_by(ContributingFactor.id)):
            factors[pm_id].append(cat)
    return [{"key": r.key, "title": r.title, "started_at": as_utc(r.started_at),
             "severity": r.severity, "ttd_seconds": r.ttd_seconds, "ttr_seconds": r.ttr_seconds,
             "services": services[r.id], "factors": factors[r.id], "url": r.url}
            for r in rows]
