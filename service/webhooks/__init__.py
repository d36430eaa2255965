"""Partners' webhooks: endpoints a key registers, deliveries written in the transaction of the change that
causes them (hooks.py), sent signed by a worker that retries with backoff (worker.py), visible in a log."""
