"""Operation ids a generated client can use as method names (`searchCases`, `getCaseStudy`…), instead of
FastAPI's `list_case_studies_api_v1_case_studies_get`. By default the endpoint's function name in
camelCase, `read_` becoming `get`; the table renames endpoints whose function name is too short to say
what they act on outside their module. tests/service/test_api_reference_names.py checks that every id is
named and unique."""

from __future__ import annotations

from fastapi.routing import APIRoute

RENAMED = {
    "search": "searchCases",
    "similar": "listSimilarCases",
    "check_duplicates": "checkDuplicateCases",
    "read_profile": "getTerritoryProfile",
    "read_similar": "listSimilarTerritories",
    "read_experiences": "listTerritoryExperiences",
    "read_mutualisation": "getTerritoryMutualisation",
    "read_pooling": "getTerritoryPooling",
    "read_software_users": "listSoftwareUsers",
    "read_publishers": "listSoftwarePublishers",
    "list_my_keys": "listMyApiKeys",
    "create_my_key": "createMyApiKey",
    "revoke_my_key": "revokeMyApiKey",
    "list_partner_keys": "listPartnerApiKeys",
    "create_partner_key": "createPartnerApiKey",
    "revoke_key": "revokePartnerApiKey",
    "request_to_join": "requestToJoinOrganisation",
    "list_members": "listOrganisationMembers",
    "transition": "transitionCaseStudy",
    "case_history": "getCaseHistory",
    "case_revisions": "listCaseRevisions",
    "revision_queue": "listPendingRevisions",
    "review_queue": "listReviewQueue",
    "contact_team": "contactCaseTeam",
    "my_notifications": "listMyNotifications",
    "unread": "countUnreadNotifications",
    "read_all": "markNotificationsRead",
    "notification_settings": "updateNotificationSettings",
    "thread_feed": "getThreadFeed",
    "theme_discussions_feed": "getThemeDiscussionsFeed",
    "export_jsonl": "exportCaseStudiesJsonl",
    "export_csv": "exportCaseStudiesCsv",
    "feed_latest": "getCaseStudiesFeed",
    "feed_theme": "getThemeFeed",
    "feed_territory": "getTerritoryFeed",
    "feed_search": "getSearchFeed",
    "draft_from_project": "draftCaseFromFundedProject",
    "export_funded_jsonl": "exportFundedProjectsJsonl",
    "export_funded_csv": "exportFundedProjectsCsv",
    "list_forges": "listCodeForges",
    "list_repositories": "listCodeRepositories",
    "healthz": "getLiveness",
    "readyz": "getReadiness",
}


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def operation_id(route: APIRoute) -> str:
    if route.name in RENAMED:
        return RENAMED[route.name]
    name = route.name
    if name.startswith("read_"):
        name = "get_" + name.removeprefix("read_")
    return camel(name)
