"""Orders: checkout, payment and cancellation."""

from fastapi import APIRouter, Depends, HTTPException
from sqlalchemy.orm import Session

from app.db import get_db
from app.models import Order
from app.routers.carts import load_cart
from app.schemas import OrderOut

router = APIRouter(tags=["orders"])


def load_order(db: Session, order_id: int) -> Order:
    order = db.get(Order, order_id)
    if order is None:
        raise HTTPException(status_code=404, detail=f"order {order_id} not found")
    return order


@router.post("/carts/{cart_id}/checkout", response_model=OrderOut, status_code=201)
def checkout(cart_id: int, db: Session = Depends(get_db)) -> Order:
    cart = load_cart(db, cart_id)
    if not cart.items:
        raise HTTPException(status_code=409, detail=f"cart {cart.id} is empty")
    total = sum(item.unit_price for item in cart.items)
    order = Order(customer_id=cart.customer_id, cart_id=cart.id, status="pending", total=round(total, 2))
    db.add(order)
    db.commit()
    return order


@router.get("/orders/{order_id}", response_model=OrderOut)
def get_order(order_id: int, db: Session = Depends(get_db)) -> Order:
    return load_order(db, order_id)


@router.post("/orders/{order_id}/pay", response_model=OrderOut)
def pay_order(order_id: int, db: Session = Depends(get_db)) -> Order:
    order = load_order(db, order_id)
    if order.status != "pending":
        raise HTTPException(status_code=409, detail=f"order {order_id} is {order.status}")
    order.payment_ref = uuid.uuid4().hex
    order.status = "paid"
    db.commit()
    return order


@router.post("/orders/{order_id}/cancel", response_model=OrderOut)
def cancel_order(order_id: int, db: Session = Depends(get_db)) -> Order:
    order = load_order(db, order_id)
    if order.status == "cancelled":
        raise HTTPException(status_code=409, detail=f"order {order_id} is already cancelled")
    order.status = "cancelled"
    db.commit()
    return order
