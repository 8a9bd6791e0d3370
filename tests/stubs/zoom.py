"""Zoom stub: server-to-server OAuth token, ``/v2/users/{user}/recordings``, transcript download.

The download URL redirects to a signed URL (as Zoom's does); a bad client secret gets Zoom's
``{"reason": ..., "error": "invalid_client"}``, a bad bearer ``{"code": 124, ...}``.
"""

from __future__ import annotations

import base64
from datetime import date, timedelta
from typing import Any

from .runner import Request, Response, StubApp, json_response
from .world import MEETINGS, TRANSCRIPT, iso

SCOPE = ("cloud_recording:read:list_user_recordings:admin "
         "cloud_recording:read:list_recording_files:admin")


class ZoomStub(StubApp):
    name = "zoom"

    def __init__(self, account_id: str = "acct-stub", client_id: str = "zoom-client-0001",
                 client_secret: str = "zoom-secret-0001") -> None:
        super().__init__()
        self.account_id = account_id
        self.client_id = client_id
        self.client_secret = client_secret
        self.access_token = "zoom-access-token-0001"

    def exempt(self, request: Request) -> bool:
        return request.path == "/oauth/token" and not self.faults.auth_fail

    def authorized(self, request: Request) -> bool:
        return request.header("Authorization") == f"Bearer {self.access_token}"

    def unauthorized(self, request: Request) -> Response:
        if request.path == "/oauth/token":
            return json_response({"reason": "Invalid client_id or client_secret",
                                  "error": "invalid_client"}, 400)
        return json_response({"code": 124, "message": "Invalid access token."}, 401)

    def rate_limited(self, request: Request) -> Response:
        return json_response({"code": 429, "message": "You have reached the maximum per-second "
                              "rate limit for this API. Try again later."}, 429,
                             {"Retry-After": f"{int(self.faults.retry_after)}",
                              "X-RateLimit-Category": "Medium", "X-RateLimit-Type": "QPS"})

    def _token(self, request: Request) -> Response:
        pair = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        if request.header("Authorization") != f"Basic {pair}" or \
                request.q("grant_type") != "account_credentials" or \
                request.q("account_id") != self.account_id:
            return self.unauthorized(request)
        return json_response({"access_token": self.access_token, "token_type": "bearer",
                              "expires_in": 3599, "scope": SCOPE,
                              "api_url": "https://api.zoom.us"})

    def _meeting(self, m: dict[str, Any]) -> dict[str, Any]:
        end = m["start_time"] + timedelta(minutes=m["duration"])
        files = [{"id": f"f-{m['id']}-mp4", "meeting_id": m["uuid"],
                  "recording_start": iso(m["start_time"]), "recording_end": iso(end),
                  "file_type": "MP4", "file_extension": "MP4", "file_size": 7220000,
                  "play_url": f"https://acme.zoom.us/rec/play/{m['id']}",
                  "download_url": f"{self.base_url}/rec/download/{m['id']}-mp4",
                  "status": "completed", "recording_type": "shared_screen_with_speaker_view"}]
        if m["transcript"]:
            files.append({"id": f"f-{m['id']}-vtt", "meeting_id": m["uuid"],
                          "recording_start": iso(m["start_time"]), "recording_end": iso(end),
                          "file_type": "TRANSCRIPT", "file_extension": "VTT", "file_size": 812,
                          "download_url": f"{self.base_url}/rec/download/{m['id']}-vtt",
                          "status": "completed", "recording_type": "audio_transcript"})
        return {"uuid": m["uuid"], "id": m["id"], "account_id": self.account_id,
                "host_id": "host-carol", "topic": m["topic"], "type": 2,
                "start_time": iso(m["start_time"]), "timezone": "UTC",
                "duration": m["duration"], "total_size": 7221000,
                "recording_count": len(files),
                "share_url": f"https://acme.zoom.us/rec/share/{m['id']}",
                "recording_files": files}

    def route(self, request: Request) -> Response:
        if request.path == "/oauth/token":
            return self._token(request)
        if request.path.startswith("/v2/users/") and request.path.endswith("/recordings"):
            start = date.fromisoformat(request.q("from") or "2000-01-01")
            end = date.fromisoformat(request.q("to") or "2100-01-01")
            meetings = [self._meeting(m) for m in MEETINGS
                        if start <= m["start_time"].date() <= end]
            size = self.page_size(int(request.q("page_size", "30") or 30))
            offset = int(request.q("next_page_token") or 0)
            chunk = meetings[offset:offset + size]
            following = str(offset + size) if offset + size < len(meetings) else ""
            return json_response({"from": start.isoformat(), "to": end.isoformat(),
                                  "page_count": -(-len(meetings) // size), "page_size": size,
                                  "total_records": len(meetings), "next_page_token": following,
                                  "meetings": chunk})
        if request.path.startswith("/rec/download/"):
            name = request.path.rsplit("/", 1)[-1]
            return Response(302, b"", {"Location": f"{self.base_url}/rec/signed/{name}"
                                                   "?X-Amz-Signature=deadbeef&Expires=1"})
        if request.path.startswith("/rec/signed/"):
            if request.path.endswith("-vtt"):
                return Response(200, TRANSCRIPT.encode(), {"Content-Type": "text/vtt"})
            return Response(200, b"\x00\x00\x00\x18ftypmp42", {"Content-Type": "video/mp4"})
        return json_response({"code": 404, "message": "Not found"}, 404)
