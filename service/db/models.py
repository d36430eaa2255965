"""Imports every ORM model so that Base.metadata is complete (Alembic, create_all in tests)."""

from service.accounts.models import Membership, User
from service.casestudies.models import CaseLink, CaseStudy
from service.discussions.models import Post, Thread
from service.organisations.models import Organisation
from service.search.outbox import IndexJob
from service.software.models import Software, SoftwareUsage
from service.territories.models import Territory
from service.themes.models import Theme

__all__ = [
    "CaseLink",
    "CaseStudy",
    "IndexJob",
    "Membership",
    "Organisation",
    "Post",
    "Software",
    "SoftwareUsage",
    "Territory",
    "Theme",
    "Thread",
    "User",
]
