"""Experiences of publishing source code: each local authority's code forge (seeds/public_code.py, from
etalab/data-codes-sources-fr, 2021, Licence Ouverte 2.0) becomes an experience of that authority, tied to its
territory (« Ville de Paris publie son code sur GitHub : LUTECE Secteur Public »). Every sentence is read from
the forge and its repositories: description, counts, languages, licences, dates, the most starred
repositories; the catalogue software its repositories were linked to are the experience's software."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select
from sqlalchemy.orm import Session

from seeds.anct import existing_cases
from seeds.cases import SeedCase, upsert_case
from seeds.public_code import SOURCE_DATE, SOURCE_URL
from seeds.report import StepReport
from service.casestudies.models import ProjectStatus, PublicationState
from service.publiccode.models import CodeForge, CodeRepository
from service.software.models import Software
from service.textkeys import fold
from service.themes.models import Theme

LICENCE = "etalab-2.0"
ATTRIBUTION = "DINUM / Etalab — data-codes-sources-fr"
THEMES = ("logiciels-libres",)
TOP = 8  # repositories listed in the solution section
# A software the forge publishes, not one repository named « nginx » holding a configuration.
MIN_REPOS = 3
UNNAMED = frozenset({"Other", "NOASSERTION"})  # GitHub's words for a licence it could not name


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n > 1 else ''}"


def forge_values(forge: CodeForge, repos: list[CodeRepository]) -> dict[str, object]:
    org = forge.organisation.name
    own = [r for r in repos if not r.is_fork]
    forks = len(repos) - len(own)
    archived = sum(1 for r in repos if r.is_archived)
    label = forge.name if fold(forge.name) not in fold(org) else ""
    title = f"{org} publie son code sur {forge.platform}" + (f" : {label}" if label else "")
    counts = f"{_plural(len(repos), 'dépôt')} public{'s' if len(repos) > 1 else ''}"
    summary = forge.description or f"{org} publie {counts} sur {forge.platform}."
    context = (
        f"Organisation « {forge.name} » sur {forge.platform} ({forge.url}), recensée par Etalab parmi les "
        f"comptes de code source du secteur public (instantané du {SOURCE_DATE[8:10]}/{SOURCE_DATE[5:7]}/"
        f"{SOURCE_DATE[:4]}) : {counts}"
    )
    details = []
    if forks:
        details.append(
            f"dont {_plural(forks, 'copie')} (fork) "
            + ("d'autres projets" if forks > 1 else "d'un autre projet")
        )
    if archived:
        details.append(f"{_plural(archived, 'dépôt')} archivé{'s' if archived > 1 else ''}")
    context += (" (" + ", ".join(details) + ")" if details else "") + "."
    created = sorted(r.created_on for r in repos if r.created_on)
    updated = sorted(r.updated_on for r in repos if r.updated_on)
    if created and updated:
        context += f" Premier dépôt créé en {created[0][:4]}, dernière mise à jour en {updated[-1][:4]}."
    top = sorted(own, key=lambda r: (-r.stars, r.name))[:TOP]
    lines = []
    for r in top:
        facts = ", ".join(x for x in (r.language, r.licence) if x)
        lines.append(
            f"- [{r.name}]({r.url})"
            + (f" ({facts})" if facts else "")
            + (f" : {r.description}" if r.description else "")
        )
    solution = ("Dépôts les plus suivis :\n\n" + "\n".join(lines)) if lines else ""
    languages = Counter(r.language for r in own if r.language).most_common(5)
    licences = Counter(r.licence for r in own if r.licence and r.licence not in UNNAMED).most_common(5)
    results = []
    if languages:
        results.append("Langages : " + ", ".join(f"{lang} ({n})" for lang, n in languages) + ".")
    if licences:
        results.append("Licences déclarées : " + ", ".join(f"{lic} ({n})" for lic, n in licences) + ".")
    resources = [f"[Forge {forge.name}]({forge.url})"]
    if forge.website:
        resources.append(f"[Site]({forge.website})")
    return {
        "title": title[:120],
        "summary": summary,
        "context": context,
        "solution": solution,
        "results": " ".join(results),
        "resources": "\n\n".join(resources),
        "transferability": "",
        "status": ProjectStatus.deployed,
        "started_on": None,
        "ended_on": None,
        "publication_state": PublicationState.published,
        "licence": LICENCE,
        "attribution": ATTRIBUTION,
        "source_url": SOURCE_URL,
        "note": "Fiche établie à partir du recensement des forges publiques d'Etalab (2021).",
    }


def seed_forge_cases(session: Session) -> StepReport:
    report = StepReport("cases (forges de code)")
    existing = existing_cases(session, ("forges",))
    themes = [t for t in session.scalars(select(Theme).where(Theme.slug.in_(THEMES)))]
    repos_by_forge: dict[int, list[CodeRepository]] = {}
    for repo in session.scalars(select(CodeRepository).order_by(CodeRepository.url)):
        repos_by_forge.setdefault(repo.forge_id, []).append(repo)
    software = {s.id: s for s in session.scalars(select(Software))}
    for forge in session.scalars(select(CodeForge).order_by(CodeForge.login)):
        repos = repos_by_forge.get(forge.id, [])
        linked = Counter(r.software_id for r in repos if r.software_id and not r.is_fork)
        territory = forge.organisation.territory
        upsert_case(
            session,
            existing,
            SeedCase(
                external_key=f"forges:{forge.login}",
                values=forge_values(forge, repos),
                preferred_slug=f"code-source-{forge.login}",
                themes=themes,
                territories=[territory] if territory is not None else [],
                software=[software[i] for i, n in linked.most_common(3) if n >= MIN_REPOS],
                organisation=forge.organisation,
                links=[(f"Forge sur {forge.platform}", forge.url)],
            ),
            report,
        )
    return report
