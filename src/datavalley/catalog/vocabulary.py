"""Closed sets of the catalog, shared by the models, the API, the CLI and (later) the DCAT export."""

from __future__ import annotations

import re
from typing import Literal, get_args

OrganizationKind = Literal["department", "prefecture", "enterprise", "other"]
SharingClass = Literal["unconditional", "conditional", "none"]
DatasetState = Literal["draft", "published", "deprecated"]
UpdateFrequency = Literal[
    "continuous",
    "hourly",
    "daily",
    "weekly",
    "monthly",
    "quarterly",
    "biannual",
    "annual",
    "irregular",
    "never",
    "unknown",
]

ORGANIZATION_KINDS: tuple[str, ...] = get_args(OrganizationKind)
SHARING_CLASSES: tuple[str, ...] = get_args(SharingClass)
DATASET_STATES: tuple[str, ...] = get_args(DatasetState)
UPDATE_FREQUENCIES: tuple[str, ...] = get_args(UpdateFrequency)

#: The EU data themes (the vocabulary DCAT-AP requires for dcat:theme), keyed by our lower-case code.
THEMES: dict[str, str] = {
    "agri": "Agriculture, fisheries, forestry and food",
    "econ": "Economy and finance",
    "educ": "Education, culture and sport",
    "ener": "Energy",
    "envi": "Environment",
    "gove": "Government and public sector",
    "heal": "Health",
    "intr": "International issues",
    "just": "Justice, legal system and public safety",
    "regi": "Regions and cities",
    "soci": "Population and society",
    "tech": "Science and technology",
    "tran": "Transport",
}

#: Lifecycle moves a dataset may make; a published dataset never returns to draft.
STATE_TRANSITIONS: dict[str, frozenset[str]] = {
    "draft": frozenset({"draft", "published"}),
    "published": frozenset({"published", "deprecated"}),
    "deprecated": frozenset({"deprecated", "published"}),
}

SLUG_PATTERN = r"^[a-z][a-z0-9_]*$"
SLUG_MAX = 63
_SLUG_RE = re.compile(SLUG_PATTERN)


def slug_problem(value: str) -> str | None:
    """Why ``value`` is not a valid name, or None if it is.

    >>> slug_problem("health_commission") is None
    True
    >>> slug_problem("Health")
    'must match [a-z][a-z0-9_]*: lower-case letters, digits and _, starting with a letter'
    """
    if len(value) > SLUG_MAX:
        return f"must be at most {SLUG_MAX} characters (got {len(value)})"
    if not _SLUG_RE.fullmatch(value):  # match() would let a trailing newline through `$`
        return "must match [a-z][a-z0-9_]*: lower-case letters, digits and _, starting with a letter"
    return None


#: Sensitivity tags for columns; each brings a default mask once sharing rules apply.
COLUMN_TAGS: dict[str, str] = {
    "id_number": "resident identity card or other personal ID number",
    "phone": "telephone number",
    "name": "a person's name",
    "address": "a street address",
    "email": "an e-mail address",
    "birth_date": "date of birth",
    "bank_account": "bank account or card number",
    "plate_number": "vehicle licence plate",
    "location": "precise geographic position of a person",
    "free_text": "free text that may contain personal data",
}
