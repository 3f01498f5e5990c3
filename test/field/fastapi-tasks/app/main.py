import logging
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI

from .database import DATABASE_PATH, init_db
from .dependencies import verify_api_key
from .routers import projects, tasks, users

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s [%(name)s] %(message)s")
logger = logging.getLogger(__name__)


@asynccontextmanager
async def lifespan(app: FastAPI):
    init_db()
    logger.info("database ready at %s", DATABASE_PATH)
    yield
    logger.info("shutting down")


app = FastAPI(title="Tasks API", version="0.4.0", lifespan=lifespan)


app.include_router(users.router, prefix="/api/v1/users", tags=["users"])
app.include_router(projects.router, prefix="/api/v1")
app.include_router(
    tasks.router,
    prefix="/api/v1/tasks",
    tags=["tasks"],
    dependencies=[Depends(verify_api_key)],
    responses={404: {"description": "Task not found"}},
)


@app.get("/")
async def root():
    return {"message": "Tasks API", "docs": "/docs"}
