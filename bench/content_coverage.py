"""What the open-data export says about Retex's content (issue 14's "must show"): experiences tied to a
sub-national territory and how many distinct territories, themes coverage, sources with their licences,
near-empty pages ("fiche courte"). Reads the export rows (service/opendata/rows.py) of the database in
RETEX_DATA_DIR / DATABASE_URL. Usage: python -m bench.content_coverage"""

from __future__ import annotations

from collections import Counter

from sqlalchemy.orm import Session

from service.db.engine import make_engine
from service.opendata.rows import published_rows
from service.search.service import SearchFilters
from service.settings import Settings


def main() -> None:
    settings = Settings()
    engine = make_engine(settings.resolved_database_url)
    with Session(engine) as session:
        rows = list(published_rows(session, filters=SearchFilters(values={}), base_url="http://retex"))
    tied = [r for r in rows if r["territories"]]
    territories = {t["code"] for r in tied for t in r["territories"]}
    by_origin = Counter(t.get("origin", "?") for r in rows for t in r["territories"])
    themed = sum(1 for r in rows if r["themes"])
    sources = Counter((r.get("source") or "retex", r["licence_name"]) for r in rows)
    short = sum(1 for r in rows if r.get("short"))
    national = sum(1 for r in rows if r.get("scope") == "national")
    print(f"experiences in the export        {len(rows)}")
    print(f"tied to a sub-national territory {len(tied)} across {len(territories)} distinct territories")
    print(f"  territory links by origin      {dict(by_origin)}")
    print(f"  national in scope (untied)     {national}")
    print(f"with a theme                     {themed} ({themed / len(rows):.1%})")
    print(f"fiches courtes                   {short}")
    print("sources and licences:")
    for (source, licence), n in sorted(sources.items(), key=lambda s: -s[1]):
        print(f"  {n:5}  {source} — {licence}")


if __name__ == "__main__":
    main()
