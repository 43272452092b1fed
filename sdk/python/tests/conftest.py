"""The FlagMeter these tests run against: started by tests/sdk/python.test.ts (jest) with the
embedded PostgreSQL, handed over as FLAGMETER_URL, FLAGMETER_KEY (ingest + evaluate) and
FLAGMETER_ADMIN_KEY. Each test makes its own tenants through the admin API and reads usage back."""

from __future__ import annotations

import os
import uuid
from typing import Any

import httpx
import pytest


class Server:
    def __init__(self) -> None:
        missing = [n for n in ("FLAGMETER_URL", "FLAGMETER_KEY", "FLAGMETER_ADMIN_KEY") if not os.environ.get(n)]
        if missing:
            raise RuntimeError(f"{', '.join(missing)} not set: run these tests through tests/sdk/python.test.ts (npm test)")
        self.url = os.environ["FLAGMETER_URL"]
        self.key = os.environ["FLAGMETER_KEY"]
        self.control = os.environ.get("FLAGMETER_CONTROL_URL")
        self.admin = httpx.Client(base_url=self.url, headers={"authorization": f"Bearer {os.environ['FLAGMETER_ADMIN_KEY']}"}, timeout=10)

    def tenant(self, quota: int = 1_000_000, hard: bool = False, **fields: Any) -> str:
        slug = f"py-{uuid.uuid4().hex[:10]}"
        r = self.admin.post("/api/tenants", json={"slug": slug, "name": slug, "monthlyQuota": quota, **fields})
        assert r.status_code == 201, r.text
        if hard:
            assert self.admin.patch(f"/api/tenants/{slug}", json={"quotaHard": True}).status_code == 200
        return slug

    def usage(self, slug: str) -> tuple[int, int]:
        """(tokens counted, events counted) this period."""
        body = self.admin.get(f"/api/usage/{slug}").json()
        return body["totalTokens"], body["eventCount"]

    def stop(self) -> None:
        """Stops the real server (tests/sdk/python.test.ts's control endpoint); start() brings it back on the same port."""
        assert self.control, "FLAGMETER_CONTROL_URL not set: run through tests/sdk/python.test.ts"
        assert httpx.post(f"{self.control}/stop", timeout=30).status_code == 200

    def start(self) -> None:
        assert httpx.post(f"{self.control}/start", timeout=60).status_code == 200

    def reserved(self, slug: str) -> int:
        return self.admin.post("/api/check", json={"tenant": slug}).json()["reserved"]


@pytest.fixture(scope="session")
def server() -> Server:
    return Server()


class FlakyTransport(httpx.BaseTransport):
    """Around the real transport: `down` refuses every request (an outage, nothing reaches the
    server); `lose` forwards the next n requests and then drops their answers (the server committed)."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.down = False
        self.lose = 0
        self.requests = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        if self.down:
            raise httpx.ConnectError("connection refused (outage)", request=request)
        response = self.inner.handle_request(request)
        if self.lose > 0:
            self.lose -= 1
            response.read()
            response.close()
            raise httpx.ReadError("answer lost", request=request)
        return response


class AsyncFlakyTransport(httpx.AsyncBaseTransport):
    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.lose = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if self.lose > 0:
            self.lose -= 1
            await response.aread()
            await response.aclose()
            raise httpx.ReadError("answer lost", request=request)
        return response
