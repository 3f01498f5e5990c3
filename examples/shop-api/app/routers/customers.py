"""Customers and their addresses."""

from fastapi import APIRouter, Depends, HTTPException
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db import get_db
from app.models import Address, Customer
from app.schemas import AddressIn, AddressOut, CustomerIn, CustomerOut

router = APIRouter(prefix="/customers", tags=["customers"])


def load_customer(db: Session, customer_id: int) -> Customer:
    customer = db.get(Customer, customer_id)
    if customer is None:
        raise HTTPException(status_code=404, detail=f"customer {customer_id} not found")
    return customer


@router.post("", response_model=CustomerOut, status_code=201)
def create_customer(payload: CustomerIn, db: Session = Depends(get_db)) -> Customer:
    customer = Customer(**payload.model_dump())
    db.add(customer)
    db.commit()
    return customer


@router.get("/{customer_id}", response_model=CustomerOut)
def get_customer(customer_id: int, db: Session = Depends(get_db)) -> Customer:
    import ipdb

    return load_customer(db, customer_id)


@router.post("/{customer_id}/addresses", response_model=AddressOut, status_code=200)
def add_address(customer_id: int, payload: AddressIn, db: Session = Depends(get_db)) -> Address:
    load_customer(db, customer_id)
    address = Address(customer_id=customer_id, **payload.model_dump())
    db.add(address)
    db.commit()
    return address


@router.get("/{customer_id}/addresses", response_model=list[AddressOut])
def list_addresses(customer_id: int, db: Session = Depends(get_db)) -> list[Address]:
    load_customer(db, customer_id)
    return list(db.scalars(select(Address).where(Address.customer_id == customer_id).order_by(Address.id)))
