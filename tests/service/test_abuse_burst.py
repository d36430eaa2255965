"""Issue 15, High 1 under load: a burst of anonymous logins and searches must not freeze the site.

A real `retex serve` (uvicorn, loopback) on the suite's kind of database; 64 concurrent logins (half
with the right password, half for unknown addresses) and 64 concurrent searches, while a probe reads
/api/v1/themes one request after the other, from a process of its own. Every probe answers within 1 s
and nothing answers 5xx: expensive work is refused quickly (429 + Retry-After) instead of queueing. The
per-IP login limit is raised so that the Argon2 bound, not the throttle, is what protects the site."""

from __future__ import annotations

import multiprocessing
import os
import statistics
import threading
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy.orm import Session

from service.accounts.models import Role, User
from service.accounts.passwords import hash_password
from service.db.base import utcnow
from service.db.engine import make_engine
from service.db.migrate import upgrade
from tests.processes import AppProcess
from tests.support.probe import probe_until
from tests.support.web import csrf_from

pytestmark = pytest.mark.solo  # it measures time: `make test` runs it alone

TOKEN = "abuse-token"
PASSWORD = "un mot de passe assez long"
BURST = 64
PROBE_LIMIT_SECONDS = 1.0


def _model() -> str:
    path = os.environ.get("RETEX_TEST_MODEL_DIR", "")
    return path if path and Path(path, "config.json").exists() else "hashing"


def _seed(url: str) -> str:
    upgrade(url)
    engine = make_engine(url)
    with Session(engine) as db:
        user = User(
            email="agent@commune.test.fr",
            display_name="Agent de test",
            password_hash=hash_password(PASSWORD),
            role=Role.member,
            email_verified_at=utcnow(),
        )
        db.add(user)
        db.commit()
    engine.dispose()
    return "agent@commune.test.fr"


def test_burst_of_logins_and_searches_keeps_reads_fast(scratch_url: str, tmp_path: Path) -> None:
    email = _seed(scratch_url)
    env = {
        "RETEX_DATABASE_URL": scratch_url,
        "RETEX_DATA_DIR": str(tmp_path / "data"),
        "RETEX_MODEL": _model(),
        "RETEX_ADMIN_TOKEN": TOKEN,
        "RETEX_LOGIN_MAX_FAILURES_PER_IP": "100000",
        "RETEX_LOGIN_MAX_FAILURES_PER_ACCOUNT": "100000",
        "RETEX_EMAIL_SENDER": "false",
    }
    app = AppProcess(env, tmp_path / "app.log").start()
    try:
        app.wait_healthy()
        base = app.base_url
        admin = {"Authorization": f"Bearer {TOKEN}"}
        with httpx.Client(base_url=base, timeout=30) as http:
            for i in range(12):
                created = http.post(
                    "/api/v1/case-studies",
                    headers=admin,
                    json={
                        "title": f"Mutualisation des achats de logiciels {i}",
                        "summary": "Des communes achètent ensemble leurs logiciels métier.",
                        "status": "deployed",
                        "publication_state": "published",
                    },
                )
                assert created.status_code == 201, created.text
        app.wait_converged(timeout=120)

        # Each login client has its cookie and CSRF token before the burst starts.
        logins: list[tuple[httpx.Client, str]] = []
        for _ in range(BURST):
            # No kept-alive connection: the server closes idle ones before the burst starts.
            client = httpx.Client(base_url=base, timeout=30, limits=httpx.Limits(max_keepalive_connections=0))
            logins.append((client, csrf_from(client.get("/connexion").text)))

        statuses: dict[str, list[int]] = {"login": [], "search": [], "probe": []}
        server_errors: list[str] = []
        probe_seconds: list[float] = []
        lock = threading.Lock()
        start = threading.Barrier(2 * BURST + 1)

        def record(kind: str, response: httpx.Response) -> None:
            with lock:
                statuses[kind].append(response.status_code)
                if response.status_code >= 500:
                    server_errors.append(f"{kind} {response.status_code} {response.text[:200]}")
                if response.status_code in (429, 503):
                    assert response.headers.get("Retry-After"), f"{kind} {response.status_code}"

        def login(i: int) -> None:
            client, token = logins[i]
            form = {
                "email": email if i % 2 == 0 else f"inconnu-{i}@commune.test.fr",
                "password": PASSWORD,
                "suivant": "/",
                "csrf_token": token,
            }
            start.wait()
            record("login", client.post("/connexion", data=form, follow_redirects=False))

        def search(i: int) -> None:
            with httpx.Client(base_url=base, timeout=30) as client:
                start.wait()
                record("search", client.get("/api/v1/search", params={"q": f"achat groupé logiciel {i}"}))

        workers = [threading.Thread(target=login, args=(i,)) for i in range(BURST)]
        workers += [threading.Thread(target=search, args=(i,)) for i in range(BURST)]
        # The probe runs in a process of its own: in this one it would wait for the Python lock behind the
        # 128 client threads of the burst, and measure them instead of the server.
        spawn = multiprocessing.get_context("spawn")
        probe_ready, probe_stop = spawn.Event(), spawn.Event()
        probe_answers, probe_end = spawn.Pipe(duplex=False)
        prober = spawn.Process(
            target=probe_until, args=(base, "/api/v1/themes", probe_ready, probe_stop, probe_end)
        )
        prober.start()
        assert probe_ready.wait(60), "the probe process never got an answer"
        for t in workers:
            t.start()
        start.wait()
        began = time.perf_counter()
        for t in workers:
            t.join()
        burst_seconds = time.perf_counter() - began
        time.sleep(0.2)
        probe_stop.set()
        probes: list[tuple[float, float, int, str]] = probe_answers.recv()
        prober.join(timeout=30)
        for began, seconds, status, text in probes:
            probe_seconds.append(seconds)
            statuses["probe"].append(status)
            if status >= 500:
                server_errors.append(f"probe {status} {text}")
            if os.environ.get("ABUSE_TRACE"):
                print(f"probe at {began:.2f}: {seconds * 1000:.0f} ms")
        for client, _ in logins:
            client.close()

        ordered = sorted(probe_seconds)
        p95 = ordered[int(0.95 * (len(ordered) - 1))]
        print(
            f"\nabuse burst ({_model().rsplit('/', 1)[-1]}, {scratch_url.split(':', 1)[0]}): "
            f"burst {burst_seconds:.2f} s; probes n={len(ordered)} max {ordered[-1] * 1000:.0f} ms "
            f"p95 {p95 * 1000:.0f} ms median {statistics.median(ordered) * 1000:.0f} ms; "
            f"logins {sorted(set(statuses['login']))} ({statuses['login'].count(303)} × 303), "
            f"searches {sorted(set(statuses['search']))} ({statuses['search'].count(200)} × 200); "
            f"load {os.getloadavg()[0]:.1f}"
        )
        assert not server_errors, server_errors[:5]
        assert set(statuses["login"]) <= {303, 401, 429}, statuses["login"]
        assert set(statuses["search"]) <= {200, 429}, statuses["search"]
        assert statuses["login"].count(303) >= 1, "somebody with the right password got in"
        assert statuses["search"].count(200) >= 1
        assert ordered[-1] < PROBE_LIMIT_SECONDS, f"slowest probe {ordered[-1]:.2f} s"
    finally:
        app.stop()
