"""Request and response bodies."""

from pydantic import BaseModel, ConfigDict, Field


class ProductIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    price: float = Field(gt=0)
    stock: int = Field(default=0, ge=0)


class ProductOut(ProductIn):
    model_config = ConfigDict(from_attributes=True)
    id: int


class ReviewIn(BaseModel):
    rating: int = Field(ge=1, le=5)
    comment: str = ""


class ReviewOut(ReviewIn):
    model_config = ConfigDict(from_attributes=True)
    id: int
    product_id: int


class CustomerIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+$")


class CustomerOut(CustomerIn):
    model_config = ConfigDict(from_attributes=True)
    id: int


class AddressIn(BaseModel):
    street: str
    city: str
    postcode: str


class AddressOut(AddressIn):
    model_config = ConfigDict(from_attributes=True)
    id: int
    customer_id: int


class CartItemIn(BaseModel):
    product_id: int
    quantity: int = Field(default=1, ge=1)
    # Price the client saw in the catalogue; informational only.
    price: float | None = None


class CartItemOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    product_id: int
    quantity: int
    unit_price: float


class CartOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    customer_id: int
    items: list[CartItemOut]


class OrderOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    customer_id: int
    cart_id: int
    status: str
    total: float
    payment_ref: str | None = None
