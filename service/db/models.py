"""Imports every ORM model so that Base.metadata is complete (Alembic, create_all in tests)."""

from service.accounts.models import ApiKey, Membership, OneTimeToken, User, UserSession
from service.casestudies.models import CaseLink, CaseStudy
from service.collections.models import Collection, CollectionItem
from service.contests.models import Contest, ContestCategory, ContestEntry, ContestStage
from service.discussions.models import Follow, Notification, Post, PostRevision, Thread
from service.emails.models import Email
from service.events.models import Event, EventAttendance, EventSession, EventSpeaker
from service.funding.models import FundedProject
from service.idempotency.models import IdempotencyKey
from service.indexjobs.models import IndexJob
from service.moderation.models import CaseRevision, CaseStateChange, Report
from service.organisations.models import Organisation
from service.pooling.models import PoolingOffer
from service.publiccode.models import CodeForge, CodeRepository
from service.ratelimit.models import RateCounter
from service.software.models import Software, SoftwareUsage
from service.sync.models import Removal
from service.territories.models import Territory
from service.themes.models import Theme
from service.webhooks.models import WebhookDelivery, WebhookEndpoint

__all__ = [
    "ApiKey",
    "CaseLink",
    "CaseRevision",
    "CaseStateChange",
    "CaseStudy",
    "CodeForge",
    "CodeRepository",
    "Collection",
    "CollectionItem",
    "Contest",
    "ContestCategory",
    "ContestEntry",
    "ContestStage",
    "Email",
    "Event",
    "EventAttendance",
    "EventSession",
    "EventSpeaker",
    "Follow",
    "FundedProject",
    "IdempotencyKey",
    "IndexJob",
    "Membership",
    "Notification",
    "OneTimeToken",
    "Organisation",
    "PoolingOffer",
    "Post",
    "PostRevision",
    "RateCounter",
    "Removal",
    "Report",
    "Software",
    "SoftwareUsage",
    "Territory",
    "Theme",
    "Thread",
    "User",
    "UserSession",
    "WebhookDelivery",
    "WebhookEndpoint",
]
