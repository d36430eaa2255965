"""Collections: reading (public ones listed, unlisted ones by their link), writing (validated, all or
nothing), and the published experiences they hold, in order."""

from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from service.api.errors import InvalidFieldError, NotFoundError
from service.casestudies.models import CaseStudy, PublicationState
from service.casestudies.service import resolve_organisation
from service.collections.models import Collection, CollectionItem, Visibility
from service.collections.schemas import CollectionIn, CollectionOut, CollectionSummary, ItemOut
from service.organisations.schemas import OrganisationRef
from service.textkeys import slugify


def listed_statement() -> Select[Collection]:
    return select(Collection).where(Collection.visibility == Visibility.public)


def get_collection(session: Session, slug: str) -> Collection:
    collection = session.scalar(select(Collection).where(Collection.slug == slug))
    if collection is None:
        raise NotFoundError(f"Aucune sélection « {slug} ».")
    return collection


def published_items(collection: Collection) -> list[CollectionItem]:
    """What a reader sees: only published experiences (one unpublished later drops out, keeping the order)."""
    return [i for i in collection.items if i.case_study.publication_state is PublicationState.published]


def _unique_slug(session: Session, title: str) -> str:
    base = slugify(title, max_length=120)
    slug, n = base, 2
    while session.scalar(select(Collection.id).where(Collection.slug == slug)) is not None:
        slug, n = f"{base}-{n}", n + 1
    return slug


def apply_collection(session: Session, collection: Collection, data: CollectionIn) -> Collection:
    wanted = [i.case_study_id for i in data.items]
    if len(set(wanted)) != len(wanted):
        raise InvalidFieldError("une expérience ne figure qu'une fois dans une sélection", field="items")
    found = {
        c.id: c
        for c in session.scalars(select(CaseStudy).where(CaseStudy.id.in_(wanted)))
        if c.publication_state is PublicationState.published
    }
    missing = [str(i) for i in wanted if i not in found]
    if missing:
        raise InvalidFieldError(
            f"expérience(s) publiée(s) introuvable(s) : {', '.join(missing)}", field="items"
        )
    organisation = resolve_organisation(session, data.organisation_id)
    if collection.id is None:
        collection.slug = _unique_slug(session, data.title)
    collection.title = data.title
    collection.introduction = data.introduction
    collection.visibility = data.visibility
    collection.organisation = organisation
    collection.items.clear()
    session.add(collection)
    session.flush()  # the old items go before the new ones arrive (same experiences, same keys)
    collection.items.extend(
        CollectionItem(position=i, case_study_id=item.case_study_id, comment=item.comment)
        for i, item in enumerate(data.items)
    )
    session.flush()
    return collection


def summary(collection: Collection) -> CollectionSummary:
    return CollectionSummary(
        id=collection.id,
        slug=collection.slug,
        title=collection.title,
        visibility=collection.visibility,
        organisation=OrganisationRef.model_validate(collection.organisation)
        if collection.organisation
        else None,
        items=len(published_items(collection)),
        url=f"/selections/{collection.slug}",
        updated_at=collection.updated_at,
    )


def collection_out(collection: Collection) -> CollectionOut:
    return CollectionOut(
        id=collection.id,
        slug=collection.slug,
        title=collection.title,
        introduction=collection.introduction,
        visibility=collection.visibility,
        organisation=OrganisationRef.model_validate(collection.organisation)
        if collection.organisation
        else None,
        note=collection.note,
        items=[
            ItemOut(
                position=n + 1,
                case_study_id=i.case_study_id,
                slug=i.case_study.slug,
                title=i.case_study.title,
                summary=i.case_study.summary,
                comment=i.comment,
            )
            for n, i in enumerate(published_items(collection))
        ],
        url=f"/selections/{collection.slug}",
        feed_url=f"/api/v1/feeds/collections/{collection.slug}.atom",
        export_url=f"/api/v1/collections/{collection.slug}/export.csv",
        created_at=collection.created_at,
        updated_at=collection.updated_at,
    )


def all_listed(session: Session) -> list[Collection]:
    return list(session.scalars(listed_statement().order_by(Collection.updated_at.desc())).unique())
