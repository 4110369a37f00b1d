"""Keeps the full-text index in step with the datasets table, per database dialect.

SQLite: an FTS5 table ``dataset_search`` whose rowid is the dataset id, written here.
PostgreSQL: a GIN index on ``to_tsvector('english', search_text)``, kept by the database itself.
"""

from __future__ import annotations

from sqlalchemy import Float, Integer, Subquery, func, literal_column, select, text
from sqlalchemy.orm import Session

from datavalley.catalog.models import Dataset
from datavalley.catalog.text import index_text, query_terms


def search_text_of(dataset: Dataset) -> str:
    return index_text(dataset.title, dataset.description, " ".join(dataset.tags), dataset.name)


def reindex_dataset(session: Session, dataset: Dataset) -> None:
    """Recompute the dataset's search text (and the SQLite FTS row) after a change."""
    dataset.search_text = search_text_of(dataset)
    if session.get_bind().dialect.name == "sqlite":
        session.flush()
        session.execute(text("DELETE FROM dataset_search WHERE rowid = :id"), {"id": dataset.id})
        session.execute(
            text("INSERT INTO dataset_search (rowid, search_text) VALUES (:id, :t)"),
            {"id": dataset.id, "t": dataset.search_text},
        )


def unindex_dataset(session: Session, dataset_id: int) -> None:
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("DELETE FROM dataset_search WHERE rowid = :id"), {"id": dataset_id})


def text_matches(session: Session, query: str) -> Subquery | None:
    """A subquery of ``(id, rank)`` for the datasets matching every term of ``query``.

    Rank is "smaller is better". None when the query has no searchable term.
    """
    terms = query_terms(query)
    if not terms:
        return None
    if session.get_bind().dialect.name == "sqlite":
        match = " ".join('"' + t.replace('"', '""') + '"' for t in terms)
        return (
            text(
                "SELECT rowid AS id, bm25(dataset_search) AS rank FROM dataset_search "
                "WHERE dataset_search MATCH :match"
            )
            .bindparams(match=match)
            .columns(id=Integer, rank=Float)
            .subquery("matches")
        )
    vector = func.to_tsvector(literal_column("'english'::regconfig"), Dataset.search_text)
    tsquery = func.plainto_tsquery(literal_column("'english'::regconfig"), " ".join(terms))
    rank = (-func.ts_rank(vector, tsquery)).label("rank")
    return select(Dataset.id.label("id"), rank).where(vector.op("@@")(tsquery)).subquery("matches")
