"""Product reviews."""

from fastapi import APIRouter, Depends, HTTPException
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db import get_db
from app.models import Product, Review
from app.schemas import ReviewIn, ReviewOut

router = APIRouter(prefix="/products/{product_id}/reviews", tags=["reviews"])


@router.post("", response_model=ReviewOut, status_code=201)
def create_review(product_id: int, payload: ReviewIn, db: Session = Depends(get_db)) -> Review:
    if db.get(Product, product_id) is None:
        raise HTTPException(status_code=404, detail=f"product {product_id} not found")
    review = Review(product_id=product_id, **payload.model_dump())
    db.add(review)
    db.commit()
    return review


@router.get("", response_model=list[ReviewOut])
def list_reviews(product_id: int, db: Session = Depends(get_db)) -> list[Review]:
    return list(db.scalars(select(Review).where(Review.product_id == product_id).order_by(Review.id)))
