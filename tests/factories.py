"""Small builders for catalog objects in tests."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from datavalley.catalog import service
from datavalley.catalog.schemas import DatasetCreate, DatasetPublic, OrganizationCreate, OrganizationPublic


def make_org(session: Session, name: str = "stats", **fields: Any) -> OrganizationPublic:
    return service.create_organization(session, OrganizationCreate(name=name, **fields))


def make_dataset(session: Session, ref: str, **fields: Any) -> DatasetPublic:
    org, name = ref.split("/")
    return service.create_dataset(session, org, DatasetCreate(name=name, **fields))
