"""Open data: exports of published case studies (JSON Lines, CSV), Atom feeds, the embeddable widget."""
