"""The shop API: products, customers, carts and orders."""

from contextlib import asynccontextmanager

from fastapi import FastAPI

from app.db import init_db
from app.routers import carts, customers, orders, products


@asynccontextmanager
async def lifespan(_: FastAPI):
    init_db()
    yield


app = FastAPI(title="Shop API", version="1.0.0", lifespan=lifespan)

app.include_router(products.router)
app.include_router(customers.router)
app.include_router(carts.router)
app.include_router(orders.router)


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}
