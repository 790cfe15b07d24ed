"""The review app and human versions: CSRF, token, versions in the catalog, exports, no lost correction."""
import re
import shutil

import pandas as pd
import pytest
from conftest import SAMPLES

from pipeline.cli import main
from pipeline.errors import ExitCode
from pipeline.store import Catalog

pytest.importorskip("flask")
pytest.importorskip("flask_wtf")


@pytest.fixture
def out(tmp_path):
    inp = tmp_path / "in"
    shutil.copytree(SAMPLES / "text", inp)
    o = tmp_path / "out"
    assert main(["run", str(inp), "-o", str(o), "-q", "--no-restore"]) == ExitCode.ok
    o.joinpath("input").write_text(str(inp), encoding="utf-8")
    return o


def _client(out, **kw):
    from pipeline.review import create_app
    app = create_app(out, who="tester", **kw)
    return app.test_client()


def _doc(client, source):
    from pipeline.report import doc_id
    r = client.get(f"/doc/{doc_id(source)}")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    return f"/doc/{doc_id(source)}", html, token


def _plans(out, name="plans.csv"):
    return pd.read_csv(out / name, encoding="utf-8-sig", dtype=str, keep_default_na=False).set_index("source")


def _first_source(out):
    return _plans(out).index[0]


def test_save_needs_csrf_and_writes_a_version(out):
    c = _client(out)
    src = _first_source(out)
    url, html, token = _doc(c, src)
    assert c.post(url, data={"signer_name": "Người Sửa"}).status_code == 400  # no CSRF token
    assert c.post(url, data={"signer_name": "Người Sửa", "csrf_token": "forged"}).status_code == 400
    r = c.post(url, data={"signer_name": "Người  Sửa ", "csrf_token": token})
    assert r.status_code == 303
    page = c.get(r.headers["Location"]).get_data(as_text=True)
    assert 'id="saved"' in page and 'value="Người Sửa"' in page and "machine:" in page
    cat = Catalog(out / "catalog.sqlite")
    try:
        v = cat.latest_version(src)
        machine = cat.record_row(src)[0]
        assert v.who == "tester" and v.fields == {"signer_name": "Người Sửa"} and v.changed == ("signer_name",)
        assert machine.signer_name != "Người Sửa"  # the machine record is never overwritten
        # an unchanged form makes no new version
        c.post(url, data={"signer_name": "Người Sửa", "csrf_token": token})
        assert len(cat.version_history(src)) == 1
    finally:
        cat.close()
    assert "Người Sửa\tsigner_name" in (out / "user_dict.tsv").read_text(encoding="utf-8")


def test_confirm_clears_a_review_flag(out):
    from pipeline.records import ReviewFlag
    from pipeline.review import apply_version, plan_save
    cat = Catalog(out / "catalog.sqlite")
    try:
        src = _first_source(out)
        rec = cat.record_row(src)[0]
    finally:
        cat.close()
    from dataclasses import replace
    rec = replace(rec, review=(ReviewFlag("number", "handwriting"), ReviewFlag("date", "missing")))
    fields, confirmed, changed = plan_save(rec, None, {}, ["number"])
    assert fields == {} and confirmed == ["number"] and changed == ["number"]
    from pipeline.store import HumanVersion
    v = HumanVersion(1, src, "", 0.0, "t", tuple(changed), tuple(confirmed), fields)
    assert [f.field for f in apply_version(rec, v).review] == ["date"]
    assert plan_save(rec, v, {"number": rec.number}, ["number"]) is None  # nothing new


def test_export_and_reruns_keep_every_correction(out, tmp_path):
    c = _client(out)
    sources = list(_plans(out).index)
    edits = {sources[0]: {"signer_name": "Phạm Văn Đúng", "number": "999"},
             sources[1]: {"title": 'Tiêu đề "đã sửa" <b>tay</b>'}}
    for src, form in edits.items():
        url, _, token = _doc(c, src)
        assert c.post(url, data={**form, "csrf_token": token}).status_code == 303
    inp = (out / "input").read_text(encoding="utf-8")

    def check():
        plans, machine = _plans(out), _plans(out, "plans_machine.csv")
        for src, form in edits.items():
            for f, v in form.items():
                assert plans.loc[src, f] == v, (src, f)
                assert machine.loc[src, f] != v
            assert plans.loc[src, "reviewed_at"].endswith("+00:00")
            assert machine.loc[src, "reviewed_at"] == ""
        untouched = [s for s in sources if s not in edits]
        assert (plans.loc[untouched, "reviewed_at"] == "").all()
        assert (plans.loc[untouched, "signer_name"] == machine.loc[untouched, "signer_name"]).all()

    assert main(["export", str(out)]) == ExitCode.ok
    check()
    assert main(["run", inp, "-o", str(out), "-q", "--no-restore"]) == ExitCode.ok
    check()
    assert main(["run", inp, "-o", str(out), "-q", "--no-restore", "--reprocess"]) == ExitCode.ok
    check()
    assert main(["run", inp, "-o", str(out), "-q"]) == ExitCode.ok  # other settings: every record replaced
    check()
    assert main(["export", str(out)]) == ExitCode.ok
    check()
    cat = Catalog(out / "catalog.sqlite")
    try:
        assert len(cat.latest_versions()) == 2
    finally:
        cat.close()
    # the report shows the person's value and the machine's
    page = (out / "report" / "doc").glob("*.html")
    html = "".join(p.read_text(encoding="utf-8") for p in page)
    assert "Phạm Văn Đúng" in html and "&lt;b&gt;tay&lt;/b&gt;" in html


def test_remote_access_needs_the_token(out):
    c = _client(out, token="s3cret-token")
    assert c.get("/").status_code == 403
    assert c.get("/?token=wrong").status_code == 403
    assert c.get("/?token=s3cret-token").status_code == 200
    assert c.get("/").status_code == 200  # the session remembers it
    src = _first_source(out)
    from pipeline.report import doc_id
    assert _client(out, token="s3cret-token").get(f"/doc/{doc_id(src)}").status_code == 403


def test_serve_refuses_another_host_without_the_flag(out):
    from pipeline.review import serve
    with pytest.raises(PermissionError):
        serve(out, host="0.0.0.0", port=0)
    assert main(["review", str(out), "--host", "0.0.0.0", "--port", "0"]) == ExitCode.bad_args


def test_pages_are_served_with_a_strict_policy(out):
    c = _client(out)
    r = c.get("/")
    assert "script-src 'self'" in r.headers["Content-Security-Policy"]
    assert c.get("/docs.js").status_code == 200
    assert c.get("/doc/0000000000000000").status_code == 404
    assert c.get("/img/../catalog.sqlite").status_code == 404
    assert c.get("/assets/report.css").status_code == 200
