"""Health, vocabulary and the API's own documentation."""

from __future__ import annotations

from datavalley import __version__
from tests.api.expect import API, json_of


def test_health_and_vocabulary(client, backend):
    health = json_of(client.get(f"{API}/health"))
    assert health["status"] == "ok" and health["version"] == __version__
    assert health["store"] == backend
    assert health["schema_revision"]  # the schema was brought up when the app started

    vocabulary = json_of(client.get(f"{API}/vocabulary"))
    assert vocabulary["sharing_classes"] == ["unconditional", "conditional", "none"]
    assert vocabulary["dataset_states"] == ["draft", "published", "deprecated"]
    assert vocabulary["organization_kinds"] == ["department", "prefecture", "enterprise", "other"]
    assert {"daily", "annual", "unknown"} <= set(vocabulary["update_frequencies"])
    assert vocabulary["themes"]["soci"] == "Population and society" and len(vocabulary["themes"]) == 13

    # what the vocabulary offers is what the API accepts
    org = json_of(client.post(f"{API}/organizations", json={"name": "o"}), 201)
    for kind in vocabulary["organization_kinds"]:
        assert json_of(client.patch(f"{API}/organizations/o", json={"kind": kind}))["kind"] == kind
    dataset = {
        "organization": org["name"],
        "name": "everything",
        "themes": list(vocabulary["themes"]),
        "update_frequency": vocabulary["update_frequencies"][0],
        "sharing": vocabulary["sharing_classes"][0],
        "state": vocabulary["dataset_states"][1],
    }
    created = json_of(client.post(f"{API}/datasets", json=dataset), 201)
    assert created["themes"] == sorted(vocabulary["themes"])
    for frequency in vocabulary["update_frequencies"]:
        changed = client.patch(f"{API}/datasets/o/everything", json={"update_frequency": frequency})
        assert json_of(changed)["update_frequency"] == frequency


def test_docs_and_openapi(client):
    root = client.get("/", follow_redirects=False)  # the portal's home page (tests/web/ test it)
    assert root.status_code == 200 and "text/html" in root.headers["content-type"]
    docs = client.get("/docs")
    assert docs.status_code == 200 and "text/html" in docs.headers["content-type"]
    assert "swagger" in docs.text.lower() and "/openapi.json" in docs.text

    spec = json_of(client.get("/openapi.json"))
    assert spec["info"]["title"] == "DataValley" and spec["info"]["version"] == __version__
    methods = {path: set(ops) for path, ops in spec["paths"].items()}
    expected = {
        f"{API}/health": {"get"},
        f"{API}/vocabulary": {"get"},
        f"{API}/organizations": {"get", "post"},
        f"{API}/organizations/{{name}}": {"get", "patch", "delete"},
        f"{API}/datasets": {"get", "post"},
        f"{API}/datasets/{{org}}/{{name}}": {"get", "patch", "delete"},
        f"{API}/search": {"get"},
    }
    for path, wanted in expected.items():
        assert wanted <= methods.get(path, set()), f"{path}: documents {methods.get(path)}, wants {wanted}"
    search = spec["paths"][f"{API}/search"]["get"]
    documented = {p["name"] for p in search["parameters"]}
    assert {"q", "organization", "tag", "theme", "sharing", "public", "state", "sort", "limit", "offset"} <= (
        documented
    )
    every_summary = [op.get("summary") for ops in spec["paths"].values() for op in ops.values()]
    assert all(every_summary), "every operation has a summary in /docs"
