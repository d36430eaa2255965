"""Pure text tools of the content import: repairs, articles before territory names, the gazetteer
linker's rules, theme and software suggestions (no database)."""

from __future__ import annotations

from collections import Counter

import pytest

from seeds.text import (
    html_to_markdown,
    looks_like_person,
    organisation_defects,
    restore_apostrophes,
    shorten_title,
    title_defects,
)
from service.software.detect import software_in_text
from service.territories.articles import departement_label, of_name, repair_departement_label
from service.territories.linker import Place, aside, link_text, mentions, pilot_sentences
from service.territories.models import TerritoryKind
from service.themes.suggest import suggested_slugs

pytestmark = pytest.mark.nodb

C, D = TerritoryKind.commune, TerritoryKind.departement


def place(id_: int, name: str, kind: TerritoryKind, dep: str, population: int | None = None) -> Place:
    code = f"dep-{dep}" if kind is D else f"{dep}{id_:03d}"
    return Place(id_, code, kind, name, dep, population, "00")


GAZETTEER = {
    "nord": [place(1, "Nord", D, "59"), place(2, "Nord", C, "79", 900)],
    "eu": [place(3, "Eu", C, "76", 6_900)],
    "plan": [place(4, "Plan", C, "38", 300)],
    "draguignan": [place(5, "Draguignan", C, "83", 40_000)],
    "montreuil": [place(6, "Montreuil", C, "93", 110_000), place(7, "Montreuil", C, "62", 2_000)],
    "sainte rose": [place(8, "Sainte-Rose", C, "971", 20_000), place(9, "Sainte-Rose", C, "974", 7_000)],
    "la reunion": [place(10, "La Réunion", D, "974")],
    "saint ouen sur seine": [place(11, "Saint-Ouen-sur-Seine", C, "93", 50_000)],
    "florence": [place(12, "Florence", C, "01", 200)],
}


def names(text: str, **kwargs: object) -> set[str]:
    return {f"{link.name}/{link.kind.value}" for link in link_text(text, GAZETTEER, **kwargs)}  # type: ignore[arg-type]


def test_html_with_entities_becomes_markdown_sections() -> None:
    raw = "<h2>Probl&egrave;me</h2><div>Un&nbsp;texte d&rsquo;exemple</div><ul><li>un</li><li>deux</li></ul>"
    md = html_to_markdown(raw)
    assert md.startswith("## Problème")
    assert "Un texte d'exemple" in md and "- un" in md and "- deux" in md
    assert "&" not in md


def test_lost_apostrophes_are_restored_from_the_corpus_evidence() -> None:
    words = Counter({"linscription": 1, "lune": 3, "inscription": 5})
    elided = Counter({"l'inscription": 4, "l'une": 2})
    fixed = restore_apostrophes("Faciliter linscription au clair de lune", words, elided)
    assert fixed == "Faciliter l'inscription au clair de lune"  # "lune" is a word: left alone


def test_long_titles_are_cut_at_a_clause_never_inside_a_word() -> None:
    long = (
        "Réduire les pics d'affluence en agence lors de la rentrée scolaire, notamment grâce à "
        "l'inscription et le paiement dématérialisé des transports scolaires"
    )
    short = shorten_title(long)
    assert len(short) <= 120 and short.endswith("rentrée scolaire")
    assert not title_defects(short)
    assert "trop long" in title_defects(long)


def test_defect_scan_finds_what_the_old_seed_had() -> None:
    assert "apostrophe perdue" in title_defects(
        "Créer une GMAO adaptée à lusage des services techniques dune ville"
    )
    assert "entité HTML" in title_defects("Probl&egrave;me")
    assert "article du département" in organisation_defects("Département du Oise")
    assert "nom de personne" in organisation_defects("Bruno CHIOCCHIA")
    assert not organisation_defects("Direction interministérielle du numérique")
    assert not looks_like_person("Ville de Pau") and not looks_like_person("DINUM")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Oise", "de l'Oise"),
        ("Nord", "du Nord"),
        ("Somme", "de la Somme"),
        ("Yvelines", "des Yvelines"),
        ("La Réunion", "de La Réunion"),
        ("Le Havre", "du Havre"),
        ("Les Lilas", "des Lilas"),
        ("Épinal", "d'Épinal"),
        ("Pau", "de Pau"),
    ],
)
def test_french_articles_before_territory_names(name: str, expected: str) -> None:
    assert of_name(name) == expected


def test_departement_labels_are_built_and_repaired_by_one_function() -> None:
    assert departement_label("Oise") == "Département de l'Oise"
    assert repair_departement_label("Département du Oise") == "Département de l'Oise"
    assert repair_departement_label("Département du Pas-de-calais") == "Département du Pas-de-Calais"
    assert repair_departement_label("Direction interministérielle du numérique") == (
        "Direction interministérielle du numérique"
    )


def test_linker_reads_place_nouns_and_prepositions() -> None:
    assert names("Le projet est porté par la ville de Draguignan.") == {"Draguignan/commune"}
    assert names("Un service expérimenté à Saint-Ouen-sur-Seine depuis 2021.") == {
        "Saint-Ouen-sur-Seine/commune"
    }


def test_common_words_need_a_place_noun() -> None:
    assert names("Nous avons un Plan de mobilité et une Vue d'ensemble.") == set()
    assert names("Le département du Nord finance le projet.") == {"Nord/departement"}
    assert names("Les habitants d'Eu et du Tréport.") == set()  # "Eu" without a place noun or "à"
    assert names("La commune d'Eu a signé.") == {"Eu/commune"}


def test_homonyms_take_the_departement_of_the_context_or_the_much_bigger_one() -> None:
    assert names("La ville de Sainte-Rose lance un appel.") == set()  # 20,000 vs 7,000: no guess
    assert names("La ville de Sainte-Rose, à La Réunion, lance un appel.") == {
        "Sainte-Rose/commune",
        "La Réunion/departement",
    }
    links = link_text("La ville de Sainte-Rose lance un appel.", GAZETTEER, context_departements={"974"})
    assert [link.code for link in links] == ["974009"]
    assert names("Un atelier à Montreuil avec les agents.") == {"Montreuil/commune"}  # 110,000 vs 2,000


def test_people_and_small_places_without_context_are_not_places() -> None:
    assert names("Témoignage de Florence Dupont, cheffe de projet.") == set()
    assert names("Florence Martin a animé l'atelier.") == set()


def test_mentions_are_runs_of_capitalised_words() -> None:
    keys = {m.key for m in mentions("Les communes de Saint-Ouen-sur-Seine et du Havre.")}
    assert "saint ouen sur seine" in keys


def test_pilot_sentences_and_asides() -> None:
    text = "Un service national. Il a été expérimenté dans le Nord. Rien d'autre."
    assert pilot_sentences(text) == "Il a été expérimenté dans le Nord."
    assert aside("Comme à Vervins, par exemple, un pass permis existe.", "Vervins")
    assert not aside("La commune de Vervins a créé un pass permis.", "Vervins")


def test_theme_suggestions_need_two_stems_or_a_repeated_one() -> None:
    assert suggested_slugs("Réduire le gaspillage alimentaire dans les cantines scolaires") == [
        "agriculture-alimentation"
    ]
    assert suggested_slugs("Un projet.") == []


def test_software_mentions_match_catalogue_names_but_not_common_words() -> None:
    catalogue = ((1, "Qgis"), (2, "Dash"), (3, "Framadate (logiciel)"), (4, "SPIP"))
    text = "Le SIG est fait avec QGIS ; un Dash de suivi ; sondage Framadate ; le SPIP pénitentiaire."
    assert software_in_text(text, catalogue) == [1, 3]
