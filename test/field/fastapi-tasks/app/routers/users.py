import logging

from email_validator import EmailNotValidError, validate_email
from fastapi import APIRouter, HTTPException, status

from .. import crud, schemas
from ..dependencies import DbDep, PaginationDep

logger = logging.getLogger(__name__)

router = APIRouter()


@router.post("/", response_model=schemas.User, status_code=status.HTTP_201_CREATED)
async def create_user(user: schemas.UserCreate, db: DbDep):
    try:
        email = validate_email(user.email, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise HTTPException(status_code=status.HTTP_422_UNPROCESSABLE_ENTITY, detail=str(exc))
    db_user = crud.create_user(db, user.model_copy(update={"email": email}))
    logger.info("created user %s", db_user["id"])
    return db_user


@router.get("/", response_model=list[schemas.User])
def read_users(db: DbDep, pagination: PaginationDep):
    return crud.get_users(db, skip=pagination.skip, limit=pagination.limit)


@router.get("/{user_id}", response_model=schemas.User)
def read_user(user_id: int, db: DbDep):
    db_user = crud.get_user(db, user_id=user_id)
    if db_user is None:
        raise HTTPException(status_code=404, detail="User not found")
    return db_user


@router.get("/{user_id}/tasks", response_model=list[schemas.Task])
def read_user_tasks(user_id: int, db: DbDep, done: bool | None = None):
    if crud.get_user(db, user_id=user_id) is None:
        raise HTTPException(status_code=404, detail="User not found")
    return crud.get_tasks(db, assignee_id=user_id, done=done)
