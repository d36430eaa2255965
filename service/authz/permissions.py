"""Every permission of Retex is decided here, and only here.

Routes (API and web) call `authorize(principal, action, ...)`, which raises a 401 (not logged in) or a
403 (logged in, not allowed) with a French message; templates call `can(...)` to show or hide a button.

Roles: anonymous (read, search) · member (write drafts, submit, edit their organisation's cases and
their own, discuss, edit their own posts, report) · moderator (review queue, publish/reject, reports,
hide posts, read private threads) · admin (everything: users, roles, themes, API keys) · partner (API
key: read and search, rate-limited; any key manages its own webhooks).
A member needs a verified email address before writing anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from service.accounts.models import Role
from service.api.errors import DomainError
from service.authz.principal import Kind, Principal, Scope
from service.casestudies.models import CaseStudy, PublicationState
from service.discussions.models import Post, Thread


class Action(StrEnum):
    read = "read"  # published content, reference data
    search = "search"
    read_case = "read_case"  # a given case, whatever its state (needs `case`)
    create_case = "create_case"
    edit_case = "edit_case"  # (needs `case`)
    submit_case = "submit_case"  # draft/rejected -> submitted, withdraw, archive (needs `case`)
    delete_case = "delete_case"
    review_cases = "review_cases"  # review queue, publish, reject, restore
    report = "report"
    handle_reports = "handle_reports"
    hide_posts = "hide_posts"
    discuss = "discuss"
    manage_own_account = "manage_own_account"
    request_membership = "request_membership"
    decide_membership = "decide_membership"  # (needs `organisation_id`)
    manage_users = "manage_users"
    manage_themes = "manage_themes"
    manage_api_keys = "manage_api_keys"
    read_thread = "read_thread"  # (needs `thread`)
    edit_post = "edit_post"  # one's own post: edit or delete (needs `post`)
    delete_thread = "delete_thread"  # its author while nobody replied, moderators (needs `thread`)
    attend_event = "attend_event"  # say "je participe" (or withdraw)
    manage_event = "manage_event"  # publish or edit an event of an organisation (needs `organisation_id`)
    manage_collection = (
        "manage_collection"  # curate a selection (`organisation_id`: its organisation, or None)
    )
    manage_webhooks = "manage_webhooks"  # an API key's own webhook endpoints (partner or personal key)


# The API-key scope an action needs (browser sessions and the operator have every scope).
_SCOPE = {
    Action.read: Scope.read,
    Action.read_case: Scope.read,
    Action.read_thread: Scope.read,
    Action.search: Scope.search,
    Action.manage_webhooks: Scope.read,  # a partner key (read, search) registers its webhooks
}
_MODERATORS = (Role.moderator, Role.admin)
# What only a person does (the operator token is nobody: it cannot post, report or have an account).
_PERSONAL = frozenset(
    {
        Action.manage_own_account,
        Action.discuss,
        Action.report,
        Action.request_membership,
        Action.edit_post,
        Action.delete_thread,
        Action.attend_event,
    }
)


class NotAuthenticated(DomainError):
    def __init__(self, message: str = "Connectez-vous pour faire cela.") -> None:
        super().__init__(message, status_code=401)


class Forbidden(DomainError):
    def __init__(self, message: str) -> None:
        super().__init__(message, status_code=403)


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str = ""
    needs_login: bool = False


ALLOW = Decision(True)


def _editor(principal: Principal, case: CaseStudy) -> bool:
    if principal.has_role(Role.admin):
        return True
    if not principal.is_user:
        return False
    return case.author_id == principal.user_id or (
        case.organisation_id is not None and case.organisation_id in principal.organisation_ids
    )


def _reads_thread(principal: Principal, thread: Thread) -> Decision:
    if principal.has_role(*_MODERATORS):
        return ALLOW
    if thread.is_hidden:
        return Decision(False, "Cette discussion a été masquée par la modération.")
    if thread.private_organisation_id is None:
        return ALLOW
    if principal.is_user and (
        thread.author_id == principal.user_id or thread.private_organisation_id in principal.organisation_ids
    ):
        return ALLOW
    return Decision(False, "Cette conversation est privée.", needs_login=not principal.is_authenticated)


def decide(
    principal: Principal,
    action: Action,
    *,
    case: CaseStudy | None = None,
    organisation_id: int | None = None,
    thread: Thread | None = None,
    post: Post | None = None,
) -> Decision:
    scope = _SCOPE.get(action, Scope.write)
    if scope not in principal.scopes:
        if not principal.is_authenticated:
            return Decision(False, "Connectez-vous pour faire cela.", needs_login=True)
        if principal.kind is Kind.partner and scope is Scope.write:  # never has it: say why
            return Decision(False, "Une clé partenaire ne permet que la lecture et la recherche.")
        return Decision(False, f"Cette clé d'API n'a pas le droit « {scope.value} ».")
    if action in (Action.read, Action.search):
        return ALLOW
    if action is Action.read_case:
        assert case is not None
        if case.publication_state is PublicationState.published:
            return ALLOW
        if principal.has_role(*_MODERATORS) or _editor(principal, case):
            return ALLOW
        return Decision(
            False, "Cette expérience n'est pas publiée.", needs_login=not principal.is_authenticated
        )
    if action is Action.read_thread:
        assert thread is not None
        return _reads_thread(principal, thread)
    if action is Action.manage_webhooks:
        # Endpoints belong to the key that registered them: only a key has some.
        if principal.api_key_id is not None:
            return ALLOW
        return Decision(
            False,
            "Les webhooks appartiennent à une clé d'API : envoyez-la dans « Authorization: Bearer rtx_… ».",
            needs_login=not principal.is_authenticated,
        )
    # Everything below writes: a logged-in person (or the operator), never a partner key.
    if principal.kind is Kind.operator:
        if action in _PERSONAL:
            return Decision(False, "Le jeton d'opérateur n'est pas un compte : utilisez une clé personnelle.")
        return ALLOW
    if not principal.is_user:
        if principal.kind is Kind.partner:
            return Decision(False, "Une clé partenaire ne permet que la lecture et la recherche.")
        return Decision(False, "Connectez-vous pour faire cela.", needs_login=True)
    if action is Action.manage_own_account:
        return ALLOW
    if not principal.email_verified and not principal.has_role(*_MODERATORS):
        return Decision(False, "Confirmez d'abord votre adresse e-mail (lien reçu à l'inscription).")
    if action in (
        Action.create_case,
        Action.report,
        Action.discuss,
        Action.request_membership,
        Action.attend_event,
    ):
        return ALLOW
    if action is Action.edit_post:
        assert post is not None
        if post.author_id == principal.user_id:
            return ALLOW
        return Decision(False, "Vous ne pouvez modifier que vos propres messages.")
    if action is Action.delete_thread:
        assert thread is not None
        if principal.has_role(*_MODERATORS):
            return ALLOW
        if thread.author_id != principal.user_id:
            return Decision(False, "Seuls son auteur et les modérateurs suppriment une discussion.")
        if thread.post_count > 1:  # the first post is the question: more means someone answered
            return Decision(
                False, "Quelqu'un a déjà répondu : seuls les modérateurs peuvent supprimer cette discussion."
            )
        return ALLOW
    if action in (Action.edit_case, Action.submit_case):
        assert case is not None
        if _editor(principal, case):
            return ALLOW
        return Decision(False, "Seuls les membres de l'organisation qui porte cette expérience la modifient.")
    if action in (Action.review_cases, Action.handle_reports, Action.hide_posts):
        if principal.has_role(*_MODERATORS):
            return ALLOW
        return Decision(False, "Réservé aux modérateurs.")
    if action in (Action.manage_event, Action.manage_collection):
        # The organiser's (curator's) admins and the moderators publish and edit events and collections.
        if principal.has_role(*_MODERATORS) or (
            organisation_id is not None and organisation_id in principal.admin_organisation_ids
        ):
            return ALLOW
        return Decision(False, "Réservé aux administrateurs de l'organisation et aux modérateurs.")
    if action is Action.decide_membership:
        if principal.has_role(Role.admin) or organisation_id in principal.admin_organisation_ids:
            return ALLOW
        return Decision(False, "Réservé aux administrateurs de cette organisation.")
    if action in (Action.delete_case, Action.manage_users, Action.manage_themes, Action.manage_api_keys):
        if principal.has_role(Role.admin):
            return ALLOW
        return Decision(False, "Réservé aux administrateurs de Retex.")
    raise AssertionError(f"no rule for {action}")  # a new Action must get its rule above


def can(
    principal: Principal,
    action: Action,
    *,
    case: CaseStudy | None = None,
    organisation_id: int | None = None,
    thread: Thread | None = None,
    post: Post | None = None,
) -> bool:
    return decide(
        principal, action, case=case, organisation_id=organisation_id, thread=thread, post=post
    ).allowed


def authorize(
    principal: Principal,
    action: Action,
    *,
    case: CaseStudy | None = None,
    organisation_id: int | None = None,
    thread: Thread | None = None,
    post: Post | None = None,
) -> None:
    decision = decide(principal, action, case=case, organisation_id=organisation_id, thread=thread, post=post)
    if decision.allowed:
        return
    if decision.needs_login:
        raise NotAuthenticated(decision.reason)
    raise Forbidden(decision.reason)
