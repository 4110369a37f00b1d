"""Reading the portal's request, decision and grant forms into the access services' inputs.

The forms name tables and columns with checkboxes (``table`` = table names, ``col.<table>`` = column
names), a row filter per table (``filter.<table>``) and masks per table (``masks.<table>``, one
``column=mask`` a line). Everything is checked again by the services; this module only turns fields
into their models and says plainly what is wrong with a field it cannot read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pydantic import ValidationError

from datavalley.access.grants import TableRule
from datavalley.errors import InvalidInput
from datavalley.web.session import Form


def problems_of(exc: ValidationError | InvalidInput) -> list[str]:
    """One line per problem of a model's validation or a service's input error, naming the field."""
    if isinstance(exc, InvalidInput):
        return [f"{d.field}: {d.message}" for d in exc.details] or [exc.message]
    lines = []
    for err in exc.errors(include_url=False):
        where = ".".join(str(p) for p in err["loc"])
        message = str(err["msg"]).removeprefix("Value error, ")
        lines.append(f"{where}: {message}" if where else message)
    return lines


def days_field(form: Form, name: str = "days") -> int | None:
    """A whole number of days, or None when the field is empty."""
    text = form.get(name).strip()
    if not text:
        return None
    if not text.isdigit() or len(text) > 6:
        raise InvalidInput.for_field(name, f"`{text[:20]}` is not a whole number of days")
    return int(text)


def wanted_tables(form: Form, columns: Mapping[str, Sequence[str]]) -> dict[str, list[str] | None] | None:
    """The tables and columns a request asks for: ``None`` for every table whole.

    ``columns`` is each table's full column list; a table whose every column is ticked is asked for whole
    (``None``: columns added later included).
    """
    chosen = list(dict.fromkeys(form.getlist("table")))
    if not chosen:
        raise InvalidInput.for_field("tables", "tick at least one table")
    wanted: dict[str, list[str] | None] = {}
    for table in chosen:
        ticked = list(dict.fromkeys(form.getlist(f"col.{table}")))
        everything = table in columns and set(ticked) >= set(columns[table])
        wanted[table] = None if everything else ticked
    if set(wanted) >= set(columns) and all(v is None for v in wanted.values()):
        return None
    return wanted


def _masks(form: Form, table: str) -> dict[str, str]:
    masks: dict[str, str] = {}
    for number, line in enumerate(form.get(f"masks.{table}").splitlines(), start=1):
        if not line.strip():
            continue
        column, sep, mask = line.partition("=")
        if not sep or not column.strip() or not mask.strip():
            raise InvalidInput.for_field(
                f"masks.{table}", f"line {number}: write `column=mask` (null, hash, year, redact:F:L, none)"
            )
        masks[column.strip()] = mask.strip()
    return masks


def table_rules(
    form: Form, offered: Mapping[str, Sequence[str] | None], columns: Mapping[str, Sequence[str]]
) -> tuple[dict[str, TableRule] | None, bool]:
    """The terms of a grant per table, from the form; and whether they narrow what was ``offered``.

    ``offered`` maps each table the form showed to the columns it offered (``None``: all of them).
    A table not ticked is left out; columns all ticked mean "as offered".
    """
    rules: dict[str, TableRule] = {}
    narrowed = False
    for table in dict.fromkeys(form.getlist("table")):
        if table not in offered:
            raise InvalidInput.for_field("tables", f"table `{table}` was not offered here")
        given = offered[table]
        offered_columns = list(given) if given is not None else list(columns.get(table, []))
        ticked = [c for c in dict.fromkeys(form.getlist(f"col.{table}"))]
        all_ticked = set(ticked) >= set(offered_columns)
        row_filter = form.get(f"filter.{table}").strip() or None
        masks = _masks(form, table)
        rule_columns = (list(given) if given is not None else None) if all_ticked else ticked
        narrowed = narrowed or not all_ticked or row_filter is not None or bool(masks)
        rules[table] = TableRule(columns=rule_columns, row_filter=row_filter, masks=masks)
    if not rules:
        raise InvalidInput.for_field("tables", "tick at least one table")
    narrowed = narrowed or set(rules) != set(offered)
    return rules, narrowed


__all__ = ["days_field", "problems_of", "table_rules", "wanted_tables"]
