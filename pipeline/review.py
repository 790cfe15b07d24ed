"""Human review: human versions applied over machine records, and the `vnplans review` web app.

A person's corrections are catalog rows of their own (store.Catalog.add_version): each save
keeps every human value so far, who saved and when, and never touches the machine record. The
exports and the report apply the latest version over the machine record (`apply_version`).
The web app (Flask + Jinja2, CSRF-protected forms) is built only when `create_app` is called.
"""
from __future__ import annotations

import datetime as _dt
import getpass
import secrets
import time
import unicodedata
from dataclasses import replace
from pathlib import Path
from typing import Any

from .records import Evidence, PlanRecord, Source
from .store import Catalog, HumanVersion

# fields a person may correct (scalars of SPEC.md; lists and the body stay the machine's)
EDITABLE = ("issuer", "admin_unit_level", "admin_unit_name", "doc_type", "number", "symbol", "place", "date",
            "title", "signer_authority", "signer_position", "signer_name", "event_time", "event_month",
            "event_location", "expected_attendees", "funding")
TOKEN_PARAM = "token"


def reviewed_at(v: HumanVersion | None) -> str:
    """ISO 8601 time (UTC) of a version, '' for none."""
    if v is None:
        return ""
    return _dt.datetime.fromtimestamp(v.created, _dt.UTC).isoformat(timespec="seconds")


def _value(field: str, text: str) -> Any:
    if field == "expected_attendees":
        t = text.strip()
        return int(t) if t.isdigit() else None
    return unicodedata.normalize("NFC", " ".join(str(text).split()))


def field_text(rec: PlanRecord, field: str) -> str:
    v = getattr(rec, field)
    return "" if v is None else str(v)


def apply_version(rec: PlanRecord, v: HumanVersion | None) -> PlanRecord:
    """The record with a person's values in place: their evidence says 'human', and the review
    flags of fields the person corrected or confirmed are cleared."""
    if v is None:
        return rec
    changes = {f: _value(f, t) for f, t in v.fields.items() if f in EDITABLE}
    done = set(changes) | set(v.confirmed)
    ev = {e.field: e for e in rec.evidence}
    for f in changes:
        old = ev.get(f)
        ev[f] = Evidence(f, old.page if old else 0, old.box if old else None, 100.0, Source.HUMAN.value)
    return replace(rec, **changes, evidence=tuple(ev.values()),
                   review=tuple(r for r in rec.review if r.field not in done))


def plan_save(machine: PlanRecord, latest: HumanVersion | None, form: dict[str, str],
              confirm: list[str]) -> tuple[dict, list[str], list[str]] | None:
    """(fields, confirmed, changed) of the version a form submission makes, None when nothing
    changes. A submitted value equal to the machine's (and not set by a person before) is not stored."""
    fields = dict(latest.fields) if latest else {}
    confirmed = set(latest.confirmed) if latest else set()
    shown = apply_version(machine, latest)
    changed = []
    for f in EDITABLE:
        if f not in form:
            continue
        new = form[f]
        if _value(f, new) == _value(f, field_text(shown, f)):
            continue
        fields[f] = str(_value(f, new) if _value(f, new) is not None else "")
        changed.append(f)
    flagged = {r.field for r in machine.review}
    for f in confirm:
        if (f in flagged or f in EDITABLE) and f not in confirmed:
            confirmed.add(f)
            if f not in changed:
                changed.append(f)
    if not changed:
        return None
    return fields, sorted(confirmed), changed


def save(cat: Catalog, source: str, form: dict[str, str], confirm: list[str], who: str,
         user_dict: Path | None = None) -> HumanVersion | None:
    """Store a review (a new version) and add corrected names/places/offices to the user dictionary."""
    row = cat.record_row(source)
    if row is None:
        raise KeyError(source)
    plan = plan_save(row[0], cat.latest_version(source), form, confirm)
    if plan is None:
        return None
    fields, confirmed, changed = plan
    v = cat.add_version(source, who, fields, confirmed, changed)
    if user_dict is not None:
        from . import userdict
        words = {fields[f]: f for f in changed if f in userdict.FIELDS and fields.get(f)}
        if words:
            userdict.add(user_dict, words)
    return v


# ------------------------------------------------------------------------------ web app

def create_app(out_dir: Path, who: str | None = None, token: str | None = None):
    """The review app on an output folder. `token`: required on every request (for a non-local host)."""
    from flask import Flask, Response, abort, redirect, request, send_from_directory, session, url_for
    from flask_wtf.csrf import CSRFProtect, generate_csrf

    from . import report, userdict

    out_dir = Path(out_dir)
    cat_path = out_dir / "catalog.sqlite"
    if not cat_path.exists():
        raise FileNotFoundError(f"no catalog in {out_dir}: run `vnplans run` first")
    app = Flask(__name__, static_folder=None)
    app.config.update(SECRET_KEY=secrets.token_hex(32), WTF_CSRF_TIME_LIMIT=None,
                      SESSION_COOKIE_SAMESITE="Strict", SESSION_COOKIE_HTTPONLY=True,
                      MAX_CONTENT_LENGTH=1 << 20)
    CSRFProtect(app)
    who = who or getpass.getuser()
    env = report.environment()
    images = report.ImageStore(out_dir / "report")
    ids: dict[str, str] = {}

    def catalog() -> Catalog:
        return Catalog(cat_path)

    def source_of(doc_id: str) -> str:
        if doc_id not in ids:
            cat = catalog()
            try:
                ids.update({report.doc_id(s): s for s in cat.sources()})
            finally:
                cat.close()
        if doc_id not in ids:
            abort(404)
        return ids[doc_id]

    @app.before_request
    def _check_token():
        if token is None:
            return None
        given = request.args.get(TOKEN_PARAM) or ""
        if given and secrets.compare_digest(given, token):
            session["token"] = token
            return None
        if secrets.compare_digest(str(session.get("token", "")), token):
            return None
        abort(403)

    @app.after_request
    def _headers(resp):
        resp.headers["Content-Security-Policy"] = ("default-src 'none'; img-src 'self'; style-src 'self'; "
                                                   "script-src 'self'; form-action 'self'; frame-ancestors 'none'")
        resp.headers["X-Content-Type-Options"] = "nosniff"
        resp.headers["Referrer-Policy"] = "no-referrer"
        return resp

    cache: dict[str, Any] = {}

    def rows() -> list[dict]:
        """The table, read again only when the catalog changed (a save, a run going on)."""
        stamp = tuple(p.stat().st_mtime_ns if p.exists() else 0
                      for p in (cat_path, cat_path.with_name(cat_path.name + "-wal")))
        if cache.get("stamp") == stamp:
            return cache["rows"]
        cat = catalog()
        try:
            out = report.index_rows(cat)
        finally:
            cat.close()
        cache.update(stamp=stamp, rows=out)
        for r in out:
            r["href"] = url_for("doc", doc_id=r["id"]) if r["id"] else ""
            if r["id"]:
                ids[r["id"]] = r["source"]
        return out

    @app.get("/")
    def index():
        all_rows = rows()
        return env.get_template("index.html").render(
            rows=all_rows[:report.PAGE_ROWS], total=len(all_rows), mode="review",
            asset=lambda n: url_for("asset", name=n), doc_href=lambda i: url_for("doc", doc_id=i),
            data_script=url_for("docs_js"), home_href=url_for("index"))

    @app.get("/docs.js")
    def docs_js():
        resp = Response("window.VNP_DOCS=" + report.script_json(rows()) + ";\n", mimetype="text/javascript")
        resp.headers["Cache-Control"] = "no-store"
        return resp

    @app.route("/doc/<doc_id>", methods=["GET", "POST"])
    def doc(doc_id: str):
        source = source_of(doc_id)
        cat = catalog()
        try:
            if request.method == "POST":
                form = {f: request.form.get(f, "") for f in EDITABLE if f in request.form}
                confirm = request.form.getlist("confirm")
                save(cat, source, form, confirm, who, userdict.default_path(out_dir))
                return redirect(url_for("doc", doc_id=doc_id, saved=1), code=303)
            view = report.document_view(cat, source, images, input_dir=None)
        finally:
            cat.close()
        if view is None:
            abort(404)
        return env.get_template("doc.html").render(
            d=view, mode="review", editable=EDITABLE, saved=request.args.get("saved") == "1",
            asset=lambda n: url_for("asset", name=n), img_href=lambda n: url_for("image", name=n),
            index_href=url_for("index"), home_href=url_for("index"), post_href=url_for("doc", doc_id=doc_id),
            csrf=generate_csrf())

    @app.get("/img/<path:name>")
    def image(name: str):
        return send_from_directory(images.root, name, max_age=3600)

    @app.get("/assets/<name>")
    def asset(name: str):
        return send_from_directory(report.ASSETS, name, max_age=60)

    app.config["VNPLANS_STARTED"] = time.time()
    return app


def serve(out_dir: Path, host: str = "127.0.0.1", port: int = 8765, allow_remote: bool = False,
          who: str | None = None, on_ready=None) -> None:
    """Run the review app with Werkzeug's server; a non-loopback host needs allow_remote and
    then a random token (handed to `on_ready(url)`) on every request."""
    from werkzeug.serving import make_server
    local = host in ("127.0.0.1", "localhost", "::1")
    if not local and not allow_remote:
        raise PermissionError(f"host {host} is not this machine: pass --allow-remote to serve it "
                              "(an access token is then required)")
    token = None if local else secrets.token_urlsafe(24)
    app = create_app(out_dir, who, token)
    srv = make_server(host, port, app, threaded=True)
    shown = host if ":" not in host else f"[{host}]"
    url = f"http://{shown}:{srv.server_port}/" + (f"?{TOKEN_PARAM}={token}" if token else "")
    if on_ready:
        on_ready(url)
    srv.serve_forever()
