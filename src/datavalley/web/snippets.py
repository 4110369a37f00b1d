"""The "use this data" snippets of a table: the same data through curl, SQL, pandas and ckanapi.

Code, not prose: they are built here, not in templates, so that the templates hold only translated text.
Endpoints that other issues are still building (SQL, Delta Sharing, CKAN) appear as they will be called.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from starlette.applications import Starlette
from starlette.routing import Match


@dataclass(frozen=True)
class Snippet:
    key: str  #: which one: curl, sql, pandas, ckanapi (its heading is translated by the template)
    language: str  #: for the code block's class
    code: str
    available: bool  #: False while the endpoint it calls is not built yet


#: A request each snippet makes; a snippet whose request no route of the app answers is marked "coming".
NEEDS = {
    "curl": ("GET", "/api/v1/datasets/o/d/tables/t/rows"),
    "sql": ("POST", "/api/v1/query"),
    "pandas": ("GET", "/delta-sharing/shares"),
    "ckanapi": ("GET", "/api/3/action/package_search"),
}


def available_snippets(app: Starlette) -> frozenset[str]:
    """Which snippets work on this server: those whose request one of its routes fully matches."""

    def answered(method: str, path: str) -> bool:
        scope = {"type": "http", "method": method, "path": path, "root_path": "", "app": app}
        return any(route.matches(scope)[0] is Match.FULL for route in app.router.routes)

    return frozenset(key for key, (method, path) in NEEDS.items() if answered(method, path))


def table_snippets(
    base_url: str, org: str, dataset: str, table: str, *, available: frozenset[str]
) -> list[Snippet]:
    base = base_url.rstrip("/")
    rows = f"{base}/api/v1/datasets/{org}/{dataset}/tables/{table}/rows"
    curl = "\n".join(
        [
            f"curl -s {shlex.quote(rows + '?limit=10')}",
            f"curl -s -o {table}.csv {shlex.quote(rows + '?format=csv')}",
        ]
    )
    sql_text = f"SELECT * FROM {org}.{dataset}.{table} LIMIT 100"
    sql = "\n".join(
        [
            f'-- datavalley query "{sql_text}"',
            f"curl -s -X POST {shlex.quote(base + '/api/v1/query')} \\",
            "     -H 'content-type: application/json' \\",
            f'     -d \'{{"sql": "{sql_text}"}}\'',
        ]
    )
    pandas = "\n".join(
        [
            "import delta_sharing",
            "",
            'profile = "datavalley.share"  # the profile file DataValley gives a recipient',
            f'df = delta_sharing.load_as_pandas(f"{{profile}}#{org}.{dataset}.{table}")',
        ]
    )
    ckan = "\n".join(
        [
            "from ckanapi import RemoteCKAN",
            "",
            f"portal = RemoteCKAN({base!r})",
            f'found = portal.action.package_search(q={dataset!r}, fq="organization:{org}")',
        ]
    )
    return [
        Snippet("curl", "shell", curl, "curl" in available),
        Snippet("sql", "sql", sql, "sql" in available),
        Snippet("pandas", "python", pandas, "pandas" in available),
        Snippet("ckanapi", "python", ckan, "ckanapi" in available),
    ]
