import logging
import sqlite3

from fastapi import APIRouter, HTTPException, status

from .. import crud, schemas
from ..dependencies import DbDep, PaginationDep

logger = logging.getLogger(__name__)

router = APIRouter()


def get_task_or_404(db: sqlite3.Connection, task_id: int) -> dict:
    task = crud.get_task(db, task_id)
    if task is None:
        raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail=f"Task {task_id} not found")
    return task


@router.get("/", response_model=list[schemas.Task])
def read_tasks(db: DbDep, pagination: PaginationDep, done: bool | None = None):
    return crud.get_tasks(db, done=done, skip=pagination.skip, limit=pagination.limit)


@router.post("/", response_model=schemas.Task, status_code=status.HTTP_201_CREATED)
def create_task(task: schemas.TaskCreate, db: DbDep):
    if crud.get_project(db, task.project_id) is None:
        raise HTTPException(status_code=status.HTTP_422_UNPROCESSABLE_ENTITY, detail="Project does not exist")
    if task.assignee_id is not None and crud.get_user(db, task.assignee_id) is None:
        raise HTTPException(status_code=status.HTTP_422_UNPROCESSABLE_ENTITY, detail="Assignee does not exist")
    db_task = crud.create_task(db, task)
    logger.info("task %s created in project %s", db_task["id"], task.project_id)
    return db_task


@router.get("/{task_id}", response_model=schemas.Task)
async def read_task(task_id: int, db: DbDep):
    return get_task_or_404(db, task_id)


@router.patch("/{task_id}", response_model=schemas.Task)
def update_task(task_id: int, task: schemas.TaskUpdate, db: DbDep):
    get_task_or_404(db, task_id)
    update_data = task.model_dump(exclude_unset=True)
    return crud.update_task(db, task_id, update_data)


@router.post("/{task_id}/complete", response_model=schemas.Task)
async def complete_task(task_id: int, db: DbDep):
    task = get_task_or_404(db, task_id)
    if task["done"]:
        return task
    logger.info("task %s completed", task_id)
    return crud.complete_task(db, task_id)


@router.delete("/{task_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_task(task_id: int, db: DbDep):
    get_task_or_404(db, task_id)
    crud.delete_task(db, task_id)
