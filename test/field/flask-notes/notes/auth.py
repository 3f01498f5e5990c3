import functools

from flask import Blueprint, abort, current_app, jsonify, request

bp = Blueprint("auth", __name__, url_prefix="/auth")


def token_required(view):
    @functools.wraps(view)
    def wrapped_view(*args, **kwargs):
        token = request.args.get("token") or request.headers.get("Authorization", "").removeprefix("Bearer ")
        if token != current_app.config.get("API_TOKEN", "letmein"):
            abort(401)
        return view(*args, **kwargs)

    return wrapped_view


@bp.route("/whoami")
@token_required
def whoami():
    return jsonify(user="demo")
