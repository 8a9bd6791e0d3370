"""Zoom: server-to-server OAuth, the cloud recordings that overlap the window, their transcripts.

The access token is fetched with ``grant_type=account_credentials`` and is never recorded. The
transcript (``file_type: TRANSCRIPT``, a WebVTT file) is downloaded with the same bearer token;
its offsets are relative to the recording start, which the recorded list page carries.
"""

from __future__ import annotations

import base64
from datetime import datetime, timedelta
from typing import Any

from afteraction.errors import AuthError, SourceError
from afteraction.model.time import parse_utc
from afteraction.settings import ZoomConfig
from afteraction.sources.live.base import CollectQuery, Connector, Health
from afteraction.sources.live.http import SourceHttp
from afteraction.sources.live.paginate import walk

__all__ = ["NEEDED_SCOPES", "ZoomConnector"]

NEEDED_SCOPES = ("cloud_recording:read:list_user_recordings:admin",
                 "cloud_recording:read:list_recording_files:admin")


class ZoomConnector(Connector):
    name = "zoom"
    config: ZoomConfig
    _token: str | None = None
    _scopes: tuple[str, ...] = ()

    def _basic(self) -> str:
        client_id = self.require_token(self.config.client_id, self.config.client_id_env,
                                       "client_id")
        secret = self.require_token(self.config.client_secret, self.config.client_secret_env,
                                    "client_secret")
        return base64.b64encode(f"{client_id}:{secret}".encode()).decode()

    def auth_headers(self) -> dict[str, str]:
        self._basic()  # fail early, before any request, when the secrets are not set
        if not self.config.account_id:
            raise AuthError("sources.zoom.account_id is not configured", source=self.name)
        return {}

    async def _login(self, http: SourceHttp) -> None:
        if self._token is None:
            try:
                answer = await http.request(
                    "POST", f"{self.config.oauth_url}/oauth/token",
                    params={"grant_type": "account_credentials",
                            "account_id": self.config.account_id},
                    headers={"Authorization": f"Basic {self._basic()}"}, record=False)
            except AuthError:
                raise
            except SourceError as exc:
                if exc.message.startswith("HTTP 4"):
                    raise AuthError(f"OAuth token refused: {exc.message}", source=self.name,
                                    where=exc.where) from exc
                raise
            data = answer.json()
            if not data.get("access_token"):
                raise AuthError("the OAuth answer has no access_token", source=self.name)
            self._token = str(data["access_token"])
            self._scopes = tuple(str(data.get("scope", "")).split())
        http.authorize({"Authorization": f"Bearer {self._token}"})

    async def _collect(self, http: SourceHttp, query: CollectQuery) -> None:
        await self._login(http)
        start, end = query.window.start, query.window.end
        params: dict[str, Any] = {"from": (start - timedelta(days=1)).date().isoformat(),
                                  "to": (end + timedelta(days=1)).date().isoformat(),
                                  "page_size": 300}
        self.queries.append({"user": self.config.user, "from": params["from"],
                             "to": params["to"]})
        downloads: list[tuple[dict[str, Any], dict[str, Any]]] = []
        url = f"{self.config.base_url}/users/{self.config.user}/recordings"
        async for page in walk(http, url, params, "zoom_token", meta={"kind": "recordings"}):
            for meeting in page.json().get("meetings") or []:
                if not self._overlaps(meeting, start, end):
                    continue
                self.count(1)
                for file in meeting.get("recording_files") or []:
                    if file.get("file_type") == "TRANSCRIPT" and file.get("download_url"):
                        downloads.append((meeting, file))
        for meeting, file in downloads:
            await http.get(str(file["download_url"]), follow_redirects=True,
                           meta={"kind": "transcript", "meeting_uuid": meeting.get("uuid"),
                                 "meeting_id": meeting.get("id"), "topic": meeting.get("topic"),
                                 "recording_start": file.get("recording_start"),
                                 "recording_file_id": file.get("id"), "share_url": meeting.get("share_url")})
            self.count(1)
        if not downloads:
            self.notes.append("no recording with a transcript in the window")

    def _overlaps(self, meeting: dict[str, Any], start: datetime, end: datetime) -> bool:
        topic = self.config.topic_contains
        if topic and topic.lower() not in str(meeting.get("topic", "")).lower():
            return False
        try:
            began = parse_utc(str(meeting["start_time"]))
        except (KeyError, ValueError, SourceError):
            return False
        ended = began + timedelta(minutes=int(meeting.get("duration") or 0))
        return began <= end and ended >= start

    async def _check(self, http: SourceHttp) -> Health:
        await self._login(http)
        today = self.now().date()
        answer = await http.get(f"{self.config.base_url}/users/{self.config.user}/recordings",
                                {"from": (today - timedelta(days=1)).isoformat(),
                                 "to": today.isoformat(), "page_size": 300},
                                record=False)
        data = answer.json()
        missing = tuple(s for s in NEEDED_SCOPES
                        if self._scopes and s not in self._scopes
                        and s.replace(":admin", "") not in self._scopes
                        and "recording:read:admin" not in self._scopes)
        return Health(self.name, reachable=True, authenticated=True, missing_permissions=missing,
                      sample_count=int(data.get("total_records", len(data.get("meetings") or []))),
                      sample_what="recordings in the last day")

