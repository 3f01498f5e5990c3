import sqlite3
from datetime import datetime, timezone

from . import schemas

PROJECT_COLUMNS = """
    p.*,
    (SELECT COUNT(*) FROM tasks t WHERE t.project_id = p.id) AS task_count,
    (SELECT COUNT(*) FROM tasks t WHERE t.project_id = p.id AND t.done = 0) AS open_task_count
"""


def _row(row: sqlite3.Row | None) -> dict | None:
    return dict(row) if row is not None else None


# Users


def get_user(db: sqlite3.Connection, user_id: int) -> dict | None:
    return _row(db.execute("SELECT * FROM users WHERE id = ?", (user_id,)).fetchone())


def get_users(db: sqlite3.Connection, skip: int = 0, limit: int = 100) -> list[dict]:
    rows = db.execute("SELECT * FROM users ORDER BY id LIMIT ? OFFSET ?", (limit, skip)).fetchall()
    return [dict(r) for r in rows]


def create_user(db: sqlite3.Connection, user: schemas.UserCreate) -> dict:
    cur = db.execute(
        "INSERT INTO users (email, full_name) VALUES (?, ?)",
        (user.email, user.full_name),
    )
    db.commit()
    return get_user(db, cur.lastrowid)


# Projects


def get_project(db: sqlite3.Connection, project_id: int) -> dict | None:
    sql = f"SELECT {PROJECT_COLUMNS} FROM projects p WHERE p.id = ?"
    return _row(db.execute(sql, (project_id,)).fetchone())


def get_projects(db: sqlite3.Connection, skip: int = 0, limit: int = 100) -> list[dict]:
    sql = f"SELECT {PROJECT_COLUMNS} FROM projects p ORDER BY p.id LIMIT ? OFFSET ?"
    return [dict(r) for r in db.execute(sql, (limit, skip)).fetchall()]


def create_project(db: sqlite3.Connection, project: schemas.ProjectCreate) -> dict:
    cur = db.execute(
        "INSERT INTO projects (name, description, owner_id) VALUES (?, ?, ?)",
        (project.name, project.description, project.owner_id),
    )
    db.commit()
    return get_project(db, cur.lastrowid)


# Tasks


def get_task(db: sqlite3.Connection, task_id: int) -> dict | None:
    return _row(db.execute("SELECT * FROM tasks WHERE id = ?", (task_id,)).fetchone())


def get_tasks(
    db: sqlite3.Connection,
    *,
    project_id: int | None = None,
    assignee_id: int | None = None,
    done: bool | None = None,
    skip: int = 0,
    limit: int = 100,
) -> list[dict]:
    clauses, params = [], []
    if project_id is not None:
        clauses.append("project_id = ?")
        params.append(project_id)
    if assignee_id is not None:
        clauses.append("assignee_id = ?")
        params.append(assignee_id)
    if done is not None:
        clauses.append("done = ?")
        params.append(int(done))
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    rows = db.execute(f"SELECT * FROM tasks {where} ORDER BY id LIMIT ? OFFSET ?", (*params, limit, skip)).fetchall()
    return [dict(r) for r in rows]


def create_task(db: sqlite3.Connection, task: schemas.TaskCreate) -> dict:
    cur = db.execute(
        """
        INSERT INTO tasks (project_id, assignee_id, title, description, priority, due_date)
        VALUES (?, ?, ?, ?, ?, ?)
        """,
        (task.project_id, task.assignee_id, task.title, task.description, task.priority.value, task.due_date),
    )
    db.commit()
    return get_task(db, cur.lastrowid)


def update_task(db: sqlite3.Connection, task_id: int, changes: dict) -> dict:
    if changes:
        if "priority" in changes and changes["priority"] is not None:
            changes["priority"] = schemas.Priority(changes["priority"]).value
        assignments = ", ".join(f"{column} = ?" for column in changes)
        db.execute(f"UPDATE tasks SET {assignments} WHERE id = ?", (*changes.values(), task_id))
        db.commit()
    return get_task(db, task_id)


def complete_task(db: sqlite3.Connection, task_id: int) -> dict:
    completed_at = datetime.now(timezone.utc)
    db.execute("UPDATE tasks SET done = 1, completed_at = ? WHERE id = ?", (completed_at.isoformat(), task_id))
    db.commit()
    return get_task(db, task_id)


def delete_task(db: sqlite3.Connection, task_id: int) -> None:
    db.execute("DELETE FROM tasks WHERE id = ?", (task_id,))
    db.commit()
