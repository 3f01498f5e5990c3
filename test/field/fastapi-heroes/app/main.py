from contextlib import asynccontextmanager

from fastapi import FastAPI

from .database import create_db_and_tables
from .routers import heroes, teams


@asynccontextmanager
async def lifespan(app: FastAPI):
    create_db_and_tables()
    yield


app = FastAPI(title="Heroes", lifespan=lifespan)

app.include_router(heroes.router)
app.include_router(teams.router)


@app.get("/")
async def root():
    return {"message": "Hello Bigger Applications!"}
