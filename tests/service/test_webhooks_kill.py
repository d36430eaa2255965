"""SIGKILL the webhook worker (`retex webhooks deliver`, a process of its own) while the receiver is
processing a delivery: after a restart, the receiver gets the same Retex-Webhook-Id again, dedupes it, and
in the end every event was processed exactly once and every delivery is `delivered`."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import select

from service.db.engine import make_engine, make_session_factory
from service.db.migrate import upgrade
from service.webhooks.models import DeliveryState, WebhookDelivery
from tests.support.webhook_receiver import receiver
from tests.support.webhooks import new_case, subscribed_member

N_CASES = 6


def _deliver(env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "service.cli", "webhooks", "deliver", "--poll", "0.05"],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _states(factory: object) -> list[tuple[str, DeliveryState, int]]:
    with factory() as db:  # type: ignore[operator]
        rows = db.execute(
            select(WebhookDelivery.delivery_id, WebhookDelivery.state, WebhookDelivery.attempts).order_by(
                WebhookDelivery.id
            )
        ).all()
        return [tuple(r) for r in rows]


def test_worker_killed_mid_delivery_each_event_processed_exactly_once(
    scratch_url: str, tmp_path: Path
) -> None:
    upgrade(scratch_url)
    engine = make_engine(scratch_url)
    factory = make_session_factory(engine)
    env = {
        "RETEX_DATABASE_URL": scratch_url,
        "RETEX_DATA_DIR": str(tmp_path / "data"),
        "RETEX_WEBHOOK_ALLOW_PRIVATE": "true",
        "RETEX_WEBHOOK_LEASE_SECONDS": "1",
        "RETEX_WEBHOOK_RETRY_BASE_SECONDS": "0.05",
        "RETEX_WEBHOOK_BATCH_SIZE": "2",
    }
    with receiver(hold_first=True) as rec:
        with factory() as db:
            subscribed_member(db, rec.url, email="partenaire@webhooks.test.fr")
            db.commit()
            for _ in range(N_CASES):
                new_case(db)
            db.commit()
        assert len(_states(factory)) == N_CASES

        first = _deliver(env)
        try:
            assert rec.arrived.wait(60), first.communicate(timeout=5)[0] if first.poll() is not None else ""
            assert first.poll() is None
            first.send_signal(signal.SIGKILL)  # the receiver is still processing the first delivery
            first.wait(timeout=30)
        finally:
            if first.poll() is None:
                first.kill()
        rec.release()  # it finishes processing; its answer goes nowhere
        killed = rec.requests[0].delivery_id
        assert len(rec.requests) == 1
        assert dict((d, (s, a)) for d, s, a in _states(factory))[killed] == (DeliveryState.pending, 1)

        second = _deliver(env)
        try:
            deadline = time.monotonic() + 60
            while {s for _, s, _ in _states(factory)} != {DeliveryState.delivered}:
                assert time.monotonic() < deadline, _states(factory)
                assert second.poll() is None, second.communicate()[0]
                time.sleep(0.1)
        finally:
            second.send_signal(signal.SIGTERM)
            output = second.communicate(timeout=30)[0]
        assert second.returncode == 0, output

    # The killed delivery came again with the same id (after its lease) and was recognised.
    assert [r.delivery_id for r in rec.duplicates] == [killed]
    processed = [r.delivery_id for r in rec.processed]
    assert len(processed) == len(set(processed)) == N_CASES
    assert sorted(r.event["data"]["id"] for r in rec.processed) == sorted(
        {r.event["data"]["id"] for r in rec.requests}
    )
    attempts = {d: a for d, _, a in _states(factory)}
    assert attempts[killed] == 2 and set(attempts.values()) <= {1, 2}
    engine.dispose()
