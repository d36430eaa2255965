"""Imports every ORM model so that Base.metadata is complete (Alembic, create_all in tests)."""

import service.discussions.search_sync  # noqa: F401  (arms the discussions' index outbox hook)
from service.accounts.models import ApiKey, Membership, OneTimeToken, User, UserSession
from service.casestudies.models import CaseLink, CaseStudy
from service.discussions.models import Follow, Notification, Post, PostRevision, Thread, ThreadIndexJob
from service.emails.models import Email
from service.funding.models import FundedProject
from service.moderation.models import CaseRevision, CaseStateChange, Report
from service.organisations.models import Organisation
from service.pooling.models import PoolingOffer
from service.publiccode.models import CodeForge, CodeRepository
from service.ratelimit.models import RateCounter
from service.search.outbox import IndexJob
from service.software.models import Software, SoftwareUsage
from service.territories.models import Territory
from service.themes.models import Theme

__all__ = [
    "ApiKey",
    "CaseLink",
    "CaseRevision",
    "CaseStateChange",
    "CaseStudy",
    "CodeForge",
    "CodeRepository",
    "Email",
    "Follow",
    "FundedProject",
    "IndexJob",
    "Membership",
    "Notification",
    "OneTimeToken",
    "Organisation",
    "PoolingOffer",
    "Post",
    "PostRevision",
    "RateCounter",
    "Report",
    "Software",
    "SoftwareUsage",
    "Territory",
    "Theme",
    "Thread",
    "ThreadIndexJob",
    "User",
    "UserSession",
]
