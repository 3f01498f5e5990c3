import os

from flask import Flask


def create_app(test_config=None):
    """Create and configure an instance of the Flask application."""
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(
        SECRET_KEY="dev",
        DATABASE=os.environ.get("NOTES_DATABASE", os.path.join(app.instance_path, "notes.sqlite")),
    )

    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
    else:
        app.config.update(test_config)

    os.makedirs(os.path.dirname(app.config["DATABASE"]), exist_ok=True)

    from . import db

    db.init_app(app)
    with app.app_context():
        db.init_db()

    from . import auth, notebooks, notes

    app.register_blueprint(auth.bp)
    app.register_blueprint(notebooks.bp)
    app.register_blueprint(notes.bp, url_prefix="/api/notes")

    @app.route("/ping")
    def ping():
        return "pong"

    return app
