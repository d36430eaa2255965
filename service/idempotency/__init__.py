"""Idempotency keys of the API's POST operations: the stored outcome of a keyed request, replayed to its
repeats (service/api/idempotency.py is the HTTP side)."""
