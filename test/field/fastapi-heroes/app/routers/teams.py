from fastapi import APIRouter, Depends, HTTPException

from ..dependencies import SessionDep, verify_token
from ..models import HeroPublic, Team, TeamCreate, TeamPublic

router = APIRouter(prefix="/teams", tags=["teams"], dependencies=[Depends(verify_token)])


@router.post("/", response_model=TeamPublic, status_code=201)
async def create_team(team: TeamCreate, session: SessionDep):
    db_team = Team.model_validate(team)
    session.add(db_team)
    session.commit()
    session.refresh(db_team)
    return db_team


@router.get("/{team_id}", response_model=TeamPublic)
async def read_team(team_id: int, session: SessionDep):
    team = session.get(Team, team_id)
    if team is None:
        raise HTTPException(status_code=404, detail="Team not found")
    return team


@router.get("/{team_id}/heroes", response_model=list[HeroPublic])
async def read_team_heroes(team_id: int, session: SessionDep):
    team = session.get(Team, team_id)
    if team is None:
        raise HTTPException(status_code=404, detail="Team not found")
    return team.heroes
