"""Shopping carts."""

from fastapi import APIRouter, Depends, HTTPException
from sqlalchemy.orm import Session

from app.db import get_db
from app.models import Cart, CartItem, Customer
from app.routers.products import load_product
from app.schemas import CartItemIn, CartItemOut, CartOut

router = APIRouter(tags=["carts"])


def load_cart(db: Session, cart_id: int) -> Cart:
    cart = db.get(Cart, cart_id)
    if cart is None:
        raise HTTPException(status_code=404, detail=f"cart {cart_id} not found")
    return cart


@router.post("/customers/{customer_id}/carts", response_model=CartOut, status_code=201)
def create_cart(customer_id: int, db: Session = Depends(get_db)) -> Cart:
    if db.get(Customer, customer_id) is None:
        raise HTTPException(status_code=404, detail=f"customer {customer_id} not found")
    cart = Cart(customer_id=customer_id)
    db.add(cart)
    db.commit()
    db.refresh(cart)
    return cart


@router.get("/carts/{cart_id}", response_model=CartOut)
def get_cart(cart_id: int, db: Session = Depends(get_db)) -> Cart:
    return load_cart(db, cart_id)


@router.post("/carts/{cart_id}/items", response_model=CartItemOut, status_code=201)
def add_item(cart_id: int, payload: CartItemIn, db: Session = Depends(get_db)) -> CartItem:
    cart = load_cart(db, cart_id)
    product = load_product(db, payload.product_id)
    data = payload.model_dump(exclude_none=True)
    item = CartItem(
        cart_id=cart.id,
        product_id=product.id,
        quantity=data["quantity"],
        unit_price=data["price"],
    )
    db.add(item)
    db.commit()
    return item
