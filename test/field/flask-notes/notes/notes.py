from flask import Blueprint, abort, jsonify, request

from .auth import token_required
from .db import get_db

bp = Blueprint("notes", __name__)


@bp.post("/")
@token_required
def create():
    data = request.get_json()
    db = get_db()
    cur = db.execute("INSERT INTO note (notebook_id, body) VALUES (?, ?)", (data["notebook_id"], data["body"]))
    db.commit()
    return {"id": cur.lastrowid, "notebook_id": data["notebook_id"], "body": data["body"]}, 201


@bp.get("/<int:note_id>")
@token_required
def show(note_id):
    row = get_db().execute("SELECT id, notebook_id, body FROM note WHERE id = ?", (note_id,)).fetchone()
    if row is None:
        abort(404)
    return dict(row)


@bp.delete("/<int:note_id>")
@token_required
def delete(note_id):
    db = get_db()
    db.execute("DELETE FROM note WHERE id = ?", (note_id,))
    db.commit()
    return "", 204
