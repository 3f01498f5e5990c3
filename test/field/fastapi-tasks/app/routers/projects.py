from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, status

from .. import crud, schemas
from ..dependencies import DbDep, PaginationDep, verify_api_key

router = APIRouter(
    prefix="/projects",
    tags=["projects"],
    dependencies=[Depends(verify_api_key)],
    responses={404: {"description": "Not found"}},
)


@router.post("/", response_model=schemas.Project, status_code=status.HTTP_201_CREATED)
def create_project(project: schemas.ProjectCreate, db: DbDep):
    if crud.get_user(db, project.owner_id) is None:
        raise HTTPException(status_code=status.HTTP_422_UNPROCESSABLE_ENTITY, detail="Owner does not exist")
    return crud.create_project(db, project)


@router.get("/", response_model=list[schemas.Project])
async def read_projects(db: DbDep, pagination: PaginationDep):
    return crud.get_projects(db, skip=pagination.skip, limit=pagination.limit)


@router.get("/{project_id}", response_model=schemas.Project)
async def read_project(project_id: Annotated[int, Path(title="The ID of the project", ge=1)], db: DbDep):
    project = crud.get_project(db, project_id)
    if project is None:
        raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail="Project not found")
    return project


@router.get("/{project_id}/tasks", response_model=list[schemas.Task])
def read_project_tasks(project_id: int, db: DbDep, done: bool | None = None):
    if crud.get_project(db, project_id) is None:
        raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail="Project not found")
    return crud.get_tasks(db, project_id=project_id, done=done)
