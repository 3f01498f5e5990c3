from flask import Blueprint, abort, jsonify, request

from .auth import token_required
from .db import get_db

bp = Blueprint("notebooks", __name__, url_prefix="/notebooks")


def get_notebook(notebook_id):
    notebook = get_db().execute("SELECT id, title FROM notebook WHERE id = ?", (notebook_id,)).fetchone()
    if notebook is None:
        abort(404, f"Notebook id {notebook_id} doesn't exist.")
    return notebook


@bp.route("/", methods=("GET", "POST"))
@token_required
def index():
    db = get_db()
    if request.method == "POST":
        title = request.get_json()["title"]
        cur = db.execute("INSERT INTO notebook (title) VALUES (?)", (title,))
        db.commit()
        return jsonify(id=cur.lastrowid, title=title), 201
    rows = db.execute("SELECT id, title FROM notebook ORDER BY id").fetchall()
    return jsonify([dict(r) for r in rows])


@bp.get("/<int:notebook_id>")
@token_required
def show(notebook_id):
    notebook = get_notebook(notebook_id)
    return jsonify(dict(notebook))


@bp.route("/<int:notebook_id>/notes")
@token_required
def notes(notebook_id):
    get_notebook(notebook_id)
    rows = get_db().execute("SELECT id, body FROM note WHERE notebook_id = ? ORDER BY id", (notebook_id,)).fetchall()
    return jsonify(notes=[dict(r) for r in rows])
