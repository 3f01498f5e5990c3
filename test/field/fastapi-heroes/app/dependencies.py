from typing import Annotated

from fastapi import Depends, Header, HTTPException
from sqlmodel import Session

from .config import Settings, get_settings
from .database import get_session

SessionDep = Annotated[Session, Depends(get_session)]


async def verify_token(
    x_token: Annotated[str, Header()],
    settings: Annotated[Settings, Depends(get_settings)],
) -> None:
    if x_token != settings.api_token:
        raise HTTPException(status_code=400, detail="X-Token header invalid")
