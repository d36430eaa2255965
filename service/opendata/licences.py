"""The licence of each case's content, as an export or a feed states it: beta.gouv.fr pages keep
CC BY-NC-SA 4.0, cases written on Retex take the licence their author chose (Licence Ouverte 2.0 by
default)."""

from __future__ import annotations

from service.casestudies.schemas import SOURCE_LICENCE_LABELS

LICENCE_URLS: dict[str, str] = {
    "etalab-2.0": "https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
    "cc-by-4.0": "https://creativecommons.org/licenses/by/4.0/",
    "cc-by-sa-4.0": "https://creativecommons.org/licenses/by-sa/4.0/",
    "cc-by-nc-sa-4.0": "https://creativecommons.org/licenses/by-nc-sa/4.0/",
    "mit": "https://opensource.org/license/mit",
}


def licence_name(code: str) -> str:
    return SOURCE_LICENCE_LABELS.get(code, code)


def licence_url(code: str) -> str | None:
    return LICENCE_URLS.get(code)
