"""Acceptance with the stock Delta Sharing client (PyPI ``delta-sharing``) against a real server on
loopback: it lists and reads exactly what the query service returns to the same recipient, masked and
filtered copies hold none of the hidden data, time travel and limits work, and revoking ends access."""

from __future__ import annotations

import json

import delta_sharing
import httpx
import pandas as pd
import pyarrow as pa
import pytest
from delta_sharing.protocol import DeltaSharingProfile, Table
from delta_sharing.rest_client import DataSharingRestClient
from requests.exceptions import HTTPError
from sqlalchemy import select

from datavalley.access.policy import Caller
from datavalley.access.sharing_models import AuditEntry
from datavalley.query import service
from tests.access.sharing_world import build_world
from tests.factories import make_token
from tests.interop.server import serving
from tests.query.tables import load_table

pytestmark = pytest.mark.slow
ACME = Caller(recipient="acme")


def query_frame(rt, sql: str, caller: Caller = ACME) -> pd.DataFrame:
    """What the query service returns for ``caller``, as the client's pandas frame would hold it."""
    with rt.session() as session:
        out = service.stream_query(session, rt.settings, caller, sql, sessions=rt.session)
        table = pa.Table.from_batches(list(out), schema=out.schema)
    return table.to_pandas(date_as_object=True)


def same(left: pd.DataFrame, right: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(
        left.reset_index(drop=True), right.reset_index(drop=True), check_dtype=False, check_exact=False
    )


@pytest.fixture
def served(runtime, tmp_path):
    build_world(runtime, tmp_path)
    with runtime.session() as s:
        admin = {"Authorization": f"Bearer {make_token(s, 'li')}"}  # an editor of stats
    with serving(runtime) as url:
        api = httpx.Client(base_url=f"{url}/api/v1", headers=admin, timeout=60)
        assert api.post("/shares", json={"name": "people_share", "organization": "stats"}).status_code == 201
        assert api.post("/shares/people_share/tables", json={"table": "people/people"}).status_code == 200
        made = api.post(
            "/recipients", json={"name": "acme", "organization": "stats", "shares": ["people_share"]}
        )
        assert made.status_code == 201, made.text
        profile = tmp_path / "acme.share"
        profile.write_text(json.dumps(made.json()["profile"]))
        yield runtime, api, str(profile), tmp_path


def grant(api, **rule) -> int:
    body = {"dataset": "stats/people", "recipient": "acme", "purpose": "credit checks", "days": 30}
    made = api.post("/grants", json=body | ({"tables": {"people": rule}} if rule else {}))
    assert made.status_code == 201, made.text
    return made.json()["id"]


def test_masked_filtered_grant_through_the_stock_client(served):
    rt, api, profile, tmp_path = served
    url = f"{profile}#people_share.people.people"
    client = delta_sharing.SharingClient(profile)
    assert client.list_all_tables() == []  # in the share, but no grant yet: not shown
    with pytest.raises(HTTPError) as refused:
        delta_sharing.load_as_pandas(url)
    assert refused.value.response.status_code == 404

    grant(
        api,
        columns=["id", "name", "city", "score", "born"],
        row_filter="score >= 60",
        masks={"city": "hash"},
    )
    tables = client.list_all_tables()
    assert [(t.share, t.schema, t.name) for t in tables] == [("people_share", "people", "people")]
    got = delta_sharing.load_as_pandas(url)
    expected = query_frame(rt, "SELECT * FROM stats.people.people")
    same(got, expected)
    assert list(got.columns) == ["id", "name", "city", "score", "born"]
    assert sorted(got["id"]) == [1, 2, 3, 5]  # score >= 60 only
    text = got.to_csv()
    for hidden in ("张三", "李四", "贵阳", "遵义", "Guiyang", "O'Brien", "1990-01-02", "x1"):
        assert hidden not in text
    assert set(got["name"]) == {"张*", "李*", "王*", "A****"}
    assert set(got["born"].dropna()) == {1990, 1985, 1992}  # year only: the column is now a long
    assert all(len(c) == 64 for c in got["city"].dropna())  # salted hash

    assert delta_sharing.get_table_version(url) == 0
    load_table(
        rt,
        tmp_path,
        "people",
        "id,name,city,score,born,active,code,seen\n7,钱七,贵阳,99,,,,\n",
        mode="append",
    )
    assert delta_sharing.get_table_version(url) == 1
    assert sorted(delta_sharing.load_as_pandas(url)["id"]) == [1, 2, 3, 5, 7]
    same(delta_sharing.load_as_pandas(url, version=0), expected)
    assert len(delta_sharing.load_as_pandas(url, limit=2)) == 2

    with rt.session() as s:
        reads = s.scalars(
            select(AuditEntry).where(AuditEntry.action == "delta_sharing").order_by(AuditEntry.seq)
        ).all()
    assert [(r.actor, r.target, r.rows) for r in reads] == [
        ("recipient:acme", "stats/people/people", rows)
        for rows in (4, 5, 4, 5)  # a limit hint still hands out whole files
    ]
    assert all(r.grant_id is not None and r.purpose == "credit checks" and r.bytes for r in reads)


def test_whole_table_grant_serves_the_version_files_and_revoking_ends_it(served):
    rt, api, profile, _ = served
    url = f"{profile}#people_share.people.people"
    gid = grant(
        api, masks={"name": "none", "born": "none"}
    )  # every column, no mask left: the files as they are
    got = delta_sharing.load_as_pandas(url)
    same(got, query_frame(rt, "SELECT * FROM stats.people.people"))
    assert "张三" in set(got["name"])
    assert not (rt.settings.home / "sharing" / "cache").exists()  # nothing had to be copied

    rest = DataSharingRestClient(DeltaSharingProfile.read_from_file(profile))
    file_url = (
        rest.list_files_in_table(Table(name="people", share="people_share", schema="people")).add_files[0].url
    )
    assert httpx.get(file_url).status_code == 200

    assert api.post(f"/grants/{gid}/revoke", json={"reason": "contract ended"}).status_code == 200
    with pytest.raises(HTTPError) as refused:
        delta_sharing.load_as_pandas(url)
    assert refused.value.response.status_code == 404  # as if it were not in the share
    assert httpx.get(file_url).status_code == 403  # a URL handed out before stops working too

    grant(api)  # whole dataset, default masks again
    assert api.post("/recipients/acme/revoke").status_code == 200
    with pytest.raises(HTTPError) as gone:
        delta_sharing.SharingClient(profile).list_all_tables()
    assert gone.value.response.status_code == 401


def test_tables_the_recipient_may_not_read_are_not_listed_to_the_stock_client(served):
    rt, api, profile, tmp_path = served
    load_table(rt, tmp_path, "towns", "a\n1\n", dataset="stats/towns")
    assert api.patch(
        "/datasets/stats/towns", json={"sharing": "unconditional", "state": "published"}
    ).is_success
    assert api.post("/shares/people_share/tables", json={"table": "towns/towns"}).status_code == 200
    client = delta_sharing.SharingClient(profile)
    people, ghost = f"{profile}#people_share.people.people", f"{profile}#people_share.people.ghost"

    def seen() -> list[str]:
        everything = [f"{t.schema}.{t.name}" for t in client.list_all_tables()]
        share = delta_sharing.Share(name="people_share")
        schemas = client.list_schemas(share)
        by_schema = [f"{t.schema}.{t.name}" for s in schemas for t in client.list_tables(s)]
        assert by_schema == everything and [s.name for s in schemas] == sorted(
            {t[: t.index(".")] for t in everything}
        )
        assert [s.name for s in client.list_shares()] == ["people_share"]
        return everything

    def refused(call, url: str) -> tuple[int, str]:
        with pytest.raises(HTTPError) as caught:
            call(url)
        return caught.value.response.status_code, caught.value.response.text

    def gone() -> None:
        assert seen() == ["towns.towns"]
        for call in (
            delta_sharing.load_as_pandas,
            delta_sharing.get_table_version,
            delta_sharing.get_table_metadata,
        ):
            answer, missing = refused(call, people), refused(call, ghost)
            assert answer[0] == missing[0] == 404
            assert answer[1] == missing[1].replace("people.ghost", "people.people")

    gone()  # conditional, no grant yet
    gid = grant(api)
    assert seen() == ["people.people", "towns.towns"]
    assert api.patch("/datasets/stats/people", json={"sharing": "none"}).is_success
    gone()  # switched to none after it was shared
    assert api.patch("/datasets/stats/people", json={"sharing": "conditional"}).is_success
    assert seen() == ["people.people", "towns.towns"]
    assert len(delta_sharing.load_as_pandas(people)) == 6
    assert api.post(f"/grants/{gid}/revoke", json={"reason": "contract ended"}).status_code == 200
    gone()
    grant(api)
    assert delta_sharing.get_table_version(people) == 0
