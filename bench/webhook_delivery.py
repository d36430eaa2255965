"""Webhook deliveries to a receiver on 127.0.0.1: throughput of the real worker (claim with a lease, sign,
POST with httpx, record), the cost of the flush hook in the writer's transaction, and the retry delays a
failing receiver sees (test-scaled base; the production schedule printed beside it).

    python bench/webhook_delivery.py [--deliveries 1000] [--endpoints 4] [--retry-base 0.1]
                                     [--database-url URL]

Default database: a fresh SQLite file in a temporary folder."""

from __future__ import annotations

import argparse
import contextlib
import itertools
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from service.casestudies.models import CaseStudy, ProjectStatus, PublicationState
from service.db.engine import make_engine, make_session_factory
from service.db.migrate import upgrade
from service.settings import Settings
from service.webhooks.models import DeliveryState, WebhookDelivery, WebhookEndpoint
from service.webhooks.worker import WebhookWorker, retry_delay
from tests.support.webhook_receiver import receiver
from tests.support.webhooks import subscribed_member


def write_cases(factory: sessionmaker[Session], n: int) -> float:
    """Seconds to write and commit n published cases in one transaction (the hook runs in it)."""
    started = time.perf_counter()
    with factory() as db:
        for _ in range(n):
            tag = uuid.uuid4().hex[:10]
            db.add(
                CaseStudy(
                    slug=f"bench-{tag}",
                    title=f"Expérience {tag}",
                    summary="Un service numérique pour les habitants.",
                    status=ProjectStatus.deployed,
                    publication_state=PublicationState.published,
                )
            )
        db.commit()
    return time.perf_counter() - started


def endpoint(factory: sessionmaker[Session], url: str) -> int:
    with factory() as db:
        hook_id = subscribed_member(db, url, email=f"bench-{uuid.uuid4().hex[:6]}@webhooks.fr")
        db.commit()
        return hook_id


def throughput(factory: sessionmaker[Session], settings: Settings, n: int, endpoints: int) -> None:
    """n deliveries in all, spread over `endpoints` receivers (each subscribed to every event)."""
    cases = n // endpoints
    without = write_cases(factory, cases)  # no endpoint yet: the hook finds no subscriber
    with contextlib.ExitStack() as stack:
        receivers = [stack.enter_context(receiver()) for _ in range(endpoints)]
        hook_ids = [endpoint(factory, rec.url) for rec in receivers]
        with_hook = write_cases(factory, cases)
        mine = WebhookDelivery.endpoint_id.in_(hook_ids)
        with factory() as db:
            queued = db.scalar(select(func.count(WebhookDelivery.id)).where(mine))
        worker = WebhookWorker(factory, settings)
        started = time.perf_counter()
        sent = worker.run_until_idle()
        elapsed = time.perf_counter() - started
        worker.stop()
        with factory() as db:
            delivered = db.scalar(
                select(func.count(WebhookDelivery.id)).where(
                    mine, WebhookDelivery.state == DeliveryState.delivered
                )
            )
            durations = list(db.scalars(select(WebhookDelivery.last_duration_ms).where(mine)))
        unique = len({r.delivery_id for rec in receivers for r in rec.requests})
        with factory() as db:  # the next run must not send to these receivers, closed by then
            db.execute(delete(WebhookEndpoint).where(WebhookEndpoint.id.in_(hook_ids)))
            db.commit()
    print(
        f"writer: {cases} published cases in one transaction: {without:.2f} s without a webhook, "
        f"{with_hook:.2f} s with {endpoints} endpoint(s) ({queued} deliveries written by the flush hook)"
    )
    print(
        f"delivery to {endpoints} endpoint(s): {sent} sent, {delivered} delivered, {unique} distinct "
        f"Retex-Webhook-Id received, in {elapsed:.2f} s: {sent / elapsed:.0f} deliveries/s "
        f"(one worker, batches of {settings.webhook_batch_size}, "
        f"{settings.webhook_concurrency} endpoints at once)"
    )
    valid = sorted(d for d in durations if d is not None)
    print(
        f"  POST round trip: p50 {statistics.median(valid)} ms, p95 {valid[int(0.95 * (len(valid) - 1))]} ms"
    )


def retries(factory: sessionmaker[Session], settings: Settings) -> None:
    attempts = settings.webhook_max_attempts
    with receiver(status=500) as rec:
        hook_id = endpoint(factory, rec.url)
        write_cases(factory, 1)
        worker = WebhookWorker(factory, settings, poll_seconds=0.005)
        deadline = time.monotonic() + 120
        while len(rec.requests) < attempts and time.monotonic() < deadline:
            worker.run_once()
            time.sleep(0.002)
        worker.stop()
        with factory() as db:
            state = db.scalar(select(WebhookDelivery.state).where(WebhookDelivery.endpoint_id == hook_id))
    gaps = [b.at - a.at for a, b in itertools.pairwise(rec.requests)]
    configured = [retry_delay(settings, n).total_seconds() for n in range(1, attempts)]
    print(
        f"retries of a delivery to a receiver answering 500 (base {settings.webhook_retry_base_seconds} s, "
        f"{attempts} tries): final state {state}"
    )
    print("  after try   configured   measured   late by")
    for n, (want, got) in enumerate(zip(configured, gaps, strict=False), start=1):
        print(f"  {n:>9}   {want:>8.3f} s   {got:>6.3f} s   {1000 * (got - want):>5.0f} ms")


def production_schedule() -> None:
    prod = Settings()
    waits = [retry_delay(prod, n).total_seconds() for n in range(1, prod.webhook_max_attempts)]
    shown = ", ".join(f"{w / 60:g} min" if w < 3600 else f"{w / 3600:.2f} h" for w in waits)
    print(
        f"production schedule (base {prod.webhook_retry_base_seconds:g} s, cap "
        f"{prod.webhook_retry_cap_seconds / 3600:g} h, {prod.webhook_max_attempts} tries): {shown}; "
        f"{sum(waits) / 3600:.2f} h from the first try to the last"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--deliveries", type=int, default=1000)
    parser.add_argument("--endpoints", type=int, default=4, help="receivers of the second run")
    parser.add_argument("--retry-base", type=float, default=0.1)
    parser.add_argument("--retry-attempts", type=int, default=6)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{folder}/bench.sqlite3"
        upgrade(url)
        engine = make_engine(url)
        factory = make_session_factory(engine)
        settings = Settings(
            data_dir=Path(folder),
            database_url=url,
            webhook_allow_private=True,
            webhook_retry_base_seconds=args.retry_base,
            webhook_max_attempts=args.retry_attempts,
            webhook_disable_after=1000,
        )
        print(f"database: {engine.dialect.name}")
        throughput(factory, settings, args.deliveries, 1)
        throughput(factory, settings, args.deliveries, args.endpoints)
        retries(factory, settings)
        production_schedule()
        engine.dispose()


if __name__ == "__main__":
    main()
