"""Inventory service: one module, plain Flask, JSON errors, and no log output per request."""
import logging
import os
import sqlite3

from flask import Flask, abort, g, jsonify, request
from werkzeug.exceptions import HTTPException

app = Flask(__name__)
app.config["DATABASE"] = os.environ.get("INVENTORY_DB", "inventory.db")

# Quiet in production: no access log, and errors answer JSON without a stack in the log.
logging.getLogger("werkzeug").setLevel(logging.ERROR)
app.logger.disabled = True


def db():
    if "db" not in g:
        g.db = sqlite3.connect(app.config["DATABASE"])
        g.db.row_factory = sqlite3.Row
        g.db.execute("CREATE TABLE IF NOT EXISTS item (sku TEXT PRIMARY KEY, name TEXT NOT NULL, stock INTEGER NOT NULL DEFAULT 0)")
    return g.db


@app.teardown_appcontext
def close_db(exception):
    conn = g.pop("db", None)
    if conn is not None:
        conn.close()


@app.errorhandler(Exception)
def handle_error(error):
    if isinstance(error, HTTPException):
        return jsonify(error=error.description), error.code
    return jsonify(error="internal server error"), 500


@app.get("/items")
def list_items():
    rows = db().execute("SELECT sku, name, stock FROM item ORDER BY sku").fetchall()
    return jsonify(items=[dict(r) for r in rows])


@app.post("/items")
def create_item():
    payload = request.get_json(force=True)
    db().execute("INSERT OR REPLACE INTO item (sku, name, stock) VALUES (?, ?, ?)", (payload["sku"], payload["name"], payload.get("stock", 0)))
    db().commit()
    return jsonify(sku=payload["sku"]), 201


@app.get("/items/<sku>")
def get_item(sku):
    row = db().execute("SELECT sku, name, stock FROM item WHERE sku = ?", (sku,)).fetchone()
    if row is None:
        abort(404, description=f"no item {sku}")
    return jsonify(dict(row))


@app.post("/items/<sku>/restock")
def restock(sku):
    amount = int(request.args.get("amount", 1))
    cur = db().execute("UPDATE item SET stock = stock + ? WHERE sku = ?", (amount, sku))
    db().commit()
    if cur.rowcount == 0:
        abort(404, description=f"no item {sku}")
    return jsonify(sku=sku, added=amount)


@app.get("/")
def index():
    return jsonify(service="inventory")
