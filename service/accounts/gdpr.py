"""A person's rights over their data (GDPR articles 15, 17 and 20): download everything Retex holds
about them as JSON, and delete their account.

What deletion does (documented in the README): the account, its sessions, pending links, personal API
keys, memberships and the emails addressed to it are deleted. What the person wrote for others stays,
because others rely on it, but without their name: their discussion posts show « membre supprimé »,
the case studies they wrote stay with their organisation, the moderation history keeps the decision
without the name."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from service.accounts.models import ApiKey, Membership, User, UserSession
from service.casestudies.models import CaseStudy
from service.discussions.models import Post
from service.emails.models import Email
from service.moderation.models import CaseRevision, CaseStateChange, Report


def _iso(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def export_user_data(db: Session, user: User) -> dict[str, Any]:
    memberships = db.scalars(select(Membership).where(Membership.user_id == user.id)).all()
    cases = db.scalars(select(CaseStudy).where(CaseStudy.author_id == user.id)).all()
    posts = db.scalars(select(Post).where(Post.author_id == user.id)).all()
    reports = db.scalars(select(Report).where(Report.reporter_id == user.id)).all()
    decisions = db.scalars(select(CaseStateChange).where(CaseStateChange.actor_id == user.id)).all()
    edits = db.scalars(select(CaseRevision).where(CaseRevision.author_id == user.id)).all()
    keys = db.scalars(select(ApiKey).where(ApiKey.user_id == user.id)).all()
    sessions = db.scalars(select(UserSession).where(UserSession.user_id == user.id)).all()
    emails = db.scalars(select(Email).where(Email.to_address == user.email)).all()
    return {
        "account": {
            "id": user.id,
            "email": user.email,
            "display_name": user.display_name,
            "role": user.role.value,
            "is_active": user.is_active,
            "email_verified_at": _iso(user.email_verified_at),
            "created_at": _iso(user.created_at),
            "last_login_at": _iso(user.last_login_at),
            "oidc_issuer": user.oidc_issuer,
            "oidc_subject": user.oidc_subject,
        },
        "memberships": [
            {
                "organisation": m.organisation.name,
                "organisation_id": m.organisation_id,
                "status": m.status.value,
                "is_org_admin": m.is_org_admin,
                "since": _iso(m.created_at),
            }
            for m in memberships
        ],
        "case_studies_written": [
            {
                "id": c.id,
                "slug": c.slug,
                "title": c.title,
                "publication_state": c.publication_state.value,
                "created_at": _iso(c.created_at),
            }
            for c in cases
        ],
        "posts": [
            {
                "id": p.id,
                "thread_id": p.thread_id,
                "body": p.body,
                "created_at": _iso(p.created_at),
                "deleted_at": _iso(p.deleted_at),
            }
            for p in posts
        ],
        "reports_made": [
            {
                "target_type": r.target_type.value,
                "target_id": r.target_id,
                "reason": r.reason,
                "status": r.status.value,
                "created_at": _iso(r.created_at),
            }
            for r in reports
        ],
        "moderation_decisions": [
            {
                "case_study_id": d.case_study_id,
                "from": d.from_state.value if d.from_state else None,
                "to": d.to_state.value,
                "event": d.event.value,
                "reason": d.reason,
                "at": _iso(d.created_at),
            }
            for d in decisions
        ],
        "case_edits": [
            {
                "case_study_id": r.case_study_id,
                "status": r.status.value,
                "changes": r.changes,
                "created_at": _iso(r.created_at),
                "decided_at": _iso(r.decided_at),
                "reason": r.reason,
            }
            for r in edits
        ],
        "api_keys": [
            {
                "name": k.name,
                "prefix": k.prefix,
                "scopes": k.scopes,
                "created_at": _iso(k.created_at),
                "revoked_at": _iso(k.revoked_at),
                "last_used_at": _iso(k.last_used_at),
            }
            for k in keys
        ],
        "sessions": [
            {"created_at": _iso(s.created_at), "last_seen_at": _iso(s.last_seen_at)} for s in sessions
        ],
        "emails_sent_to_you": [
            {
                "subject": e.subject,
                "kind": e.kind,
                "created_at": _iso(e.created_at),
                "sent_at": _iso(e.sent_at),
            }
            for e in emails
        ],
    }


def delete_account(db: Session, user: User) -> None:
    db.execute(delete(Email).where(Email.to_address == user.email))
    # Foreign keys do the rest: CASCADE for sessions, links, keys and memberships; SET NULL for
    # posts (shown as « membre supprimé »), cases' author, reports and moderation history.
    db.delete(user)
    db.flush()
