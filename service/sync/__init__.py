"""Synchronisation for partners' mirrors: `updated_since` on the lists, and the removals feed."""
