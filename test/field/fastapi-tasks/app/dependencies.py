import os
import sqlite3
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Query, status

from .database import get_connection

API_KEY = os.environ.get("TASKS_API_KEY", "dev-api-key")


def get_db() -> Iterator[sqlite3.Connection]:
    db = get_connection()
    try:
        yield db
    finally:
        db.close()


DbDep = Annotated[sqlite3.Connection, Depends(get_db)]


async def verify_api_key(x_api_key: Annotated[str | None, Header()] = None) -> None:
    if x_api_key != API_KEY:
        raise HTTPException(
            status_code=status.HTTP_401_UNAUTHORIZED,
            detail="Invalid or missing API key",
        )


class Pagination:
    def __init__(self, skip: int = Query(default=0, ge=0), limit: int = Query(default=50, ge=1, le=200)):
        self.skip = skip
        self.limit = limit


PaginationDep = Annotated[Pagination, Depends()]
