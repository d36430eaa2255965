"""The delivery worker: claims due deliveries, sends them signed, records the outcome.

A claim is a lease, committed before the network call: the row stays `pending`, its `attempts` counts
the try and `available_at` moves past the lease. A worker killed mid-delivery leaves it so, and another
(or the same, restarted) claims it again once the lease is over: same Retex-Webhook-Id, so the receiver
dedupes. Only a 2xx makes it `delivered`; a failure waits `backoff()` (the index outbox's formula, with
the webhook settings' base and cap), and is `dead` after `webhook_max_attempts` tries. An endpoint with
`webhook_disable_after` consecutive failures is disabled and its owner told.

Several workers may run on PostgreSQL (`FOR UPDATE SKIP LOCKED`); on SQLite one process claims (the
`webhooks` claim guard, service/indexjobs/claim_guard.py)."""

from __future__ import annotations

import logging
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from service.db.base import utcnow
from service.db.polling import PollingWorker, backoff
from service.settings import Settings
from service.webhooks.delivery import Attempt, Outcome, send
from service.webhooks.disabling import disable_endpoint
from service.webhooks.models import DeliveryState, WebhookDelivery, WebhookEndpoint

log = logging.getLogger(__name__)


def retry_delay(settings: Settings, attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed try (attempts ≥ 1)."""
    return backoff(attempts, base=settings.webhook_retry_base_seconds, cap=settings.webhook_retry_cap_seconds)


class WebhookWorker(PollingWorker):
    thread_name = "retex-webhooks"

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        settings: Settings,
        *,
        poll_seconds: float = 1.0,
        client: httpx.Client | None = None,
    ) -> None:
        super().__init__(poll_seconds=poll_seconds)
        self.session_factory = session_factory
        self.settings = settings
        timeout = settings.webhook_timeout_seconds
        self.client = client or httpx.Client(
            timeout=httpx.Timeout(timeout, connect=min(5.0, timeout)), follow_redirects=False
        )

    def claim(self) -> list[Attempt]:
        """Lease a batch of due deliveries of active endpoints (committed before anything is sent)."""
        now = utcnow()
        with self.session_factory() as session:
            rows = session.execute(
                select(WebhookDelivery, WebhookEndpoint.url, WebhookEndpoint.secret)
                .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
                .where(
                    WebhookDelivery.state == DeliveryState.pending,
                    WebhookDelivery.available_at <= now,
                    WebhookEndpoint.active.is_(True),
                )
                .order_by(WebhookDelivery.id)
                .limit(self.settings.webhook_batch_size)
                .with_for_update(skip_locked=True, of=WebhookDelivery)
            ).all()
            lease_until = now + timedelta(seconds=self.settings.webhook_lease_seconds)
            attempts = []
            for delivery, url, secret in rows:
                delivery.attempts += 1
                delivery.available_at = lease_until
                delivery.last_attempt_at = now
                attempts.append(
                    Attempt(
                        row_id=delivery.id,
                        endpoint_id=delivery.endpoint_id,
                        delivery_id=delivery.delivery_id,
                        event_type=delivery.event_type.value,
                        url=url,
                        secret=secret,
                        payload=delivery.payload,
                    )
                )
            session.commit()
        return attempts

    def record(self, attempt: Attempt, outcome: Outcome) -> bool:
        """Store the outcome of a try; returns whether its endpoint is still active."""
        with self.session_factory() as session:
            delivery = session.get(WebhookDelivery, attempt.row_id)
            if delivery is None or delivery.state is not DeliveryState.pending:
                return delivery is not None  # its endpoint was deleted meanwhile (or marked by hand)
            endpoint = session.scalars(
                select(WebhookEndpoint).where(WebhookEndpoint.id == delivery.endpoint_id).with_for_update()
            ).one()
            delivery.last_status_code = outcome.status_code
            delivery.last_duration_ms = outcome.duration_ms
            delivery.last_error = outcome.error[:1000] if outcome.error else None
            if outcome.ok:
                delivery.state = DeliveryState.delivered
                delivery.delivered_at = utcnow()
                endpoint.consecutive_failures = 0
            else:
                self._failed(session, delivery, endpoint)
            session.commit()
            return endpoint.active

    def release(self, attempt: Attempt) -> None:
        """Give back a claimed delivery that was not tried (its endpoint was disabled in the batch)."""
        with self.session_factory() as session:
            delivery = session.get(WebhookDelivery, attempt.row_id)
            if delivery is not None and delivery.state is DeliveryState.pending:
                delivery.attempts -= 1
                delivery.available_at = utcnow()
                session.commit()

    def _failed(self, session: Session, delivery: WebhookDelivery, endpoint: WebhookEndpoint) -> None:
        settings = self.settings
        if delivery.attempts >= settings.webhook_max_attempts:
            delivery.state = DeliveryState.dead
        else:
            delivery.available_at = utcnow() + retry_delay(settings, delivery.attempts)
        endpoint.consecutive_failures += 1
        if endpoint.active and endpoint.consecutive_failures >= settings.webhook_disable_after:
            disable_endpoint(
                session,
                endpoint,
                reason=f"{endpoint.consecutive_failures} échecs d'envoi consécutifs "
                f"(dernier : {delivery.last_error or delivery.last_status_code})",
                public_url=settings.public_url,
            )
            log.warning("webhook endpoint %d disabled after repeated failures", endpoint.id)

    def run_once(self) -> int:
        """Claim, send and record one batch; returns how many deliveries were tried.

        One thread per endpoint of the batch (at most `webhook_concurrency`): an endpoint's deliveries go
        in order, and a slow endpoint (up to the timeout) does not hold the others back."""
        attempts = self.claim()
        by_endpoint: dict[int, list[Attempt]] = defaultdict(list)
        for attempt in attempts:
            by_endpoint[attempt.endpoint_id].append(attempt)
        groups = list(by_endpoint.values())
        if len(groups) <= 1 or self.settings.webhook_concurrency == 1:
            for group in groups:
                self._deliver_in_order(group)
        else:
            with ThreadPoolExecutor(min(len(groups), self.settings.webhook_concurrency)) as pool:
                list(pool.map(self._deliver_in_order, groups))
        return len(attempts)

    def _deliver_in_order(self, attempts: list[Attempt]) -> None:
        """One endpoint's claimed deliveries; those after its disabling are given back untried."""
        for index, attempt in enumerate(attempts):
            outcome = send(
                self.client,
                attempt,
                public_url=self.settings.public_url,
                allow_private=self.settings.webhook_allow_private,
            )
            if not self.record(attempt, outcome):
                for untried in attempts[index + 1 :]:
                    self.release(untried)
                return

    def stop(self, timeout: float = 30) -> None:
        super().stop(timeout)
        self.client.close()
