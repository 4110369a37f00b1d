"""``/api/v1/health`` and ``/api/v1/vocabulary``: is the server up, and the closed sets it uses."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from datavalley import __version__
from datavalley.api.deps import RuntimeDep
from datavalley.catalog.vocabulary import (
    DATASET_STATES,
    ORGANIZATION_KINDS,
    SHARING_CLASSES,
    THEMES,
    UPDATE_FREQUENCIES,
)
from datavalley.db.migrate import current_revision

router = APIRouter(tags=["meta"])


class Health(BaseModel):
    status: str
    version: str
    store: str
    schema_revision: str | None


class Vocabulary(BaseModel):
    themes: dict[str, str]
    sharing_classes: list[str]
    dataset_states: list[str]
    organization_kinds: list[str]
    update_frequencies: list[str]


@router.get("/health", response_model=Health, summary="Is the server up and its store reachable")
def health(rt: RuntimeDep) -> Health:
    return Health(
        status="ok",
        version=__version__,
        store=rt.db.dialect,
        schema_revision=current_revision(rt.db),
    )


@router.get("/vocabulary", response_model=Vocabulary, summary="The closed sets of values the catalog uses")
def vocabulary() -> Vocabulary:
    return Vocabulary(
        themes=THEMES,
        sharing_classes=list(SHARING_CLASSES),
        dataset_states=list(DATASET_STATES),
        organization_kinds=list(ORGANIZATION_KINDS),
        update_frequencies=list(UPDATE_FREQUENCIES),
    )
