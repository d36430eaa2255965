"""How lists of cases are loaded. A list shows cards (title, summary, status, places, themes): the
software and links that the model loads by default for a case page are left to load on access, two
statements fewer per list (a territory page shows three lists)."""

from __future__ import annotations

from sqlalchemy.orm import lazyload

from service.casestudies.models import CaseStudy

AS_CARDS = (lazyload(CaseStudy.software), lazyload(CaseStudy.links))
