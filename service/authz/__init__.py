"""Authorization policy, in one place: who is making a request (principal.py), what they may do
(permissions.py), and which case studies they may read (cases.py). Below every domain: it reads their
models, never their services."""
