"""One JSON error shape for the whole native API, whatever went wrong (after Datasette's test_error_shape)."""

from __future__ import annotations

import logging
import re

from fastapi.testclient import TestClient

from datavalley.api.app import create_app
from datavalley.catalog import service
from datavalley.config import Settings
from tests.api.expect import API, error_of, json_of

UNREACHABLE_STORE = "postgresql+psycopg://postgres@127.0.0.1:1/none"


def test_every_error_has_the_same_shape(client, client_as, monkeypatch, tmp_path, caplog):
    json_of(client.post(f"{API}/organizations", json={"name": "stats"}), 201)
    json_of(client.post(f"{API}/datasets", json={"organization": "stats", "name": "gdp"}), 201)
    codes = {}

    error = error_of(client.get(f"{API}/datasets/stats/nowhere"), 404)
    assert "`stats/nowhere`" in error["message"]
    codes[404] = error["code"]
    error = error_of(client.get(f"{API}/no/such/route"), 404)
    assert f"{API}/no/such/route" in error["message"] and error["code"] == codes[404]
    error = error_of(client.put(f"{API}/health"), 405)
    assert "PUT" in error["message"] and f"{API}/health" in error["message"]
    codes[405] = error["code"]
    error = error_of(client.post(f"{API}/organizations", json={"name": "stats"}), 409)
    assert "`stats`" in error["message"]
    codes[409] = error["code"]
    error = error_of(client.post(f"{API}/organizations", json={"name": "Bad Name"}), 422)
    assert [d["field"] for d in error["details"]] == ["name"] and "Bad Name" in error["message"]
    codes[422] = error["code"]
    error = error_of(client_as(None).post(f"{API}/organizations", json={"name": "x"}), 401)
    assert "platform admin" in error["message"]
    codes[401] = error["code"]
    error = error_of(client_as("olga").delete(f"{API}/organizations/stats"), 403)
    assert "`olga`" in error["message"]
    codes[403] = error["code"]
    for response in [  # malformed JSON, and a rule the catalog service checks: the same shape and code
        client.post(
            f"{API}/organizations", content=b'{"name": ', headers={"content-type": "application/json"}
        ),
        client.post(f"{API}/datasets", json={"organization": "stats", "name": "p", "public": True}),
    ]:
        error = error_of(response, 422)
        assert error["code"] == codes[422] and len(error["details"]) == 1, error

    def boom(*_args, **_kwargs):
        raise RuntimeError("boom")

    with monkeypatch.context() as patch, caplog.at_level(logging.ERROR, logger="datavalley.api"):
        patch.setattr(service, "get_dataset", boom)
        response = client.get(f"{API}/datasets/stats/gdp")
    error = error_of(response, 500)
    incident = re.search(r"incident ([0-9a-f]{6,})", error["message"])
    assert incident, error["message"]
    assert incident.group(1) in caplog.text  # the operator finds the incident in the log, with the details
    for leak in ["boom", "RuntimeError", "Traceback", 'File "', "service.py"]:
        assert leak not in response.text, leak
    codes[500] = error["code"]
    assert json_of(client.get(f"{API}/datasets/stats/gdp"))["name"] == "gdp"  # and the server carries on

    monkeypatch.setenv("DATAVALLEY_DATABASE_URL", UNREACHABLE_STORE)
    app = create_app(Settings(home=tmp_path / "down"))
    down = TestClient(app, raise_server_exceptions=False)  # no lifespan: the store cannot be brought up
    try:
        for path in [f"{API}/health", f"{API}/organizations", f"{API}/datasets/stats/gdp", f"{API}/search"]:
            error = error_of(down.get(path), 503)
            assert "127.0.0.1:1" in error["message"], error["message"]  # says which store
        codes[503] = error["code"]
        token = {"Authorization": "Bearer dv_" + "x" * 43}  # checking a token needs the store
        error_of(down.post(f"{API}/organizations", json={"name": "x"}, headers=token), 503)
    finally:
        app.state.runtime.close()

    assert len(set(codes.values())) == len(codes), codes  # one code per kind of failure
