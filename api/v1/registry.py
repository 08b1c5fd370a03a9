"""Workshops, anchors and products: regulators create, change and remove them; regulators and
platforms read them; an anchor key reads only its own anchor. Every write is audited; a record
that history refers to is never removed (409 naming what refers to it)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar

from fastapi import APIRouter, Depends, Query

from api.core.auth import AnchorRef, anchor_id_for, require_roles
from api.core.context import DatabaseDep
from api.core.errors import ApiError, ErrorBody
from api.v1.schemas.common import Limit, Offset
from api.v1.schemas.registry import (
    Anchor,
    AnchorCreate,
    AnchorList,
    AnchorPatch,
    Product,
    ProductCreate,
    ProductList,
    ProductPatch,
    Workshop,
    WorkshopCreate,
    WorkshopList,
    WorkshopPatch,
)
from monitor.errors import InputError
from monitor.store.api_keys import ROLES, Principal
from monitor.store.registry import (
    add_anchor,
    add_product,
    add_workshop,
    find_anchor,
    get_product,
    get_workshop,
)
from monitor.store.registry_edit import (
    ConflictError,
    NotFoundError,
    ReferencedError,
    delete_anchor,
    delete_product,
    delete_workshop,
    update_anchor,
    update_product,
    update_workshop,
)
from monitor.store.store_lists import list_anchors, list_products, list_workshops

router = APIRouter(tags=["registry"])

Anyone = Annotated[Principal, Depends(require_roles(*ROLES))]
Reader = Annotated[Principal, Depends(require_roles("regulator", "platform"))]
Regulator = Annotated[Principal, Depends(require_roles("regulator"))]
WorkshopFilter = Annotated[str | None, Query(max_length=200, description="Workshop id.")]

_READ = {401: {"model": ErrorBody}, 403: {"model": ErrorBody}, 422: {"model": ErrorBody}}
_ONE = {**_READ, 404: {"model": ErrorBody}}
_CREATE = {
    **_READ,
    400: {"model": ErrorBody, "description": "A bad account or certification."},
    404: {"model": ErrorBody, "description": "The workshop named does not exist."},
    409: {"model": ErrorBody, "description": "The id (or a platform account) already exists."},
}
_PATCH = {**_ONE, 400: {"model": ErrorBody}, 409: {"model": ErrorBody}}
_DELETE = {
    **_ONE,
    409: {"model": ErrorBody, "description": "History refers to it; `detail` names the tables."},
}
T = TypeVar("T")


# --- workshops -----------------------------------------------------------------------------


@router.get("/v1/workshops", response_model=WorkshopList, responses=_READ)
def workshops(caller: Reader, db: DatabaseDep, limit: Limit = 50, offset: Offset = 0) -> dict:
    """Workshops (共富工坊), by id."""
    items, total = list_workshops(db, limit=limit, offset=offset)
    return {"items": items, "total": total}


@router.post("/v1/workshops", response_model=Workshop, status_code=201, responses=_CREATE)
def create_workshop(body: WorkshopCreate, caller: Regulator, db: DatabaseDep) -> dict:
    return add_workshop(db, body.id, body.name, body.region, caller.actor)


@router.get("/v1/workshops/{workshop_id}", response_model=Workshop, responses=_ONE)
def workshop(workshop_id: str, caller: Reader, db: DatabaseDep) -> dict:
    row = get_workshop(db, workshop_id)
    if row is None:
        raise _not_found("workshop", workshop_id)
    return row


@router.patch("/v1/workshops/{workshop_id}", response_model=Workshop, responses=_PATCH)
def change_workshop(
    workshop_id: str, body: WorkshopPatch, caller: Regulator, db: DatabaseDep
) -> dict:
    """Change the name or region (audited)."""
    return _changed(
        lambda: update_workshop(
            db, workshop_id, name=body.name, region=body.region, actor=caller.actor
        )
    )


@router.delete("/v1/workshops/{workshop_id}", status_code=204, responses=_DELETE)
def remove_workshop(workshop_id: str, caller: Regulator, db: DatabaseDep) -> None:
    """Remove a workshop no anchor or product belongs to."""
    _changed(lambda: delete_workshop(db, workshop_id, caller.actor))


# --- anchors -------------------------------------------------------------------------------


@router.get("/v1/anchors", response_model=AnchorList, responses=_READ)
def anchors(
    caller: Anyone,
    db: DatabaseDep,
    workshop: WorkshopFilter = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> dict:
    """Anchors with their platform accounts; an anchor key gets only itself."""
    items, total = list_anchors(
        db,
        workshop_id=workshop,
        anchor_id=caller.anchor_id if caller.role == "anchor" else None,
        limit=limit,
        offset=offset,
    )
    return {"items": items, "total": total}


@router.post("/v1/anchors", response_model=Anchor, status_code=201, responses=_CREATE)
def create_anchor(body: AnchorCreate, caller: Regulator, db: DatabaseDep) -> dict:
    """Register an anchor, optionally in a workshop and with platform accounts."""
    add_anchor(db, body.id, body.name, body.workshop_id, body.accounts, caller.actor)
    return find_anchor(db, body.id)


@router.get("/v1/anchors/{anchor_id}", response_model=Anchor, responses=_ONE)
def anchor(anchor_id: AnchorRef, caller: Anyone, db: DatabaseDep) -> dict:
    """One anchor (by id or PLATFORM:ACCOUNT) with its platform accounts."""
    return find_anchor(db, anchor_id_for(caller, db, anchor_id))


@router.patch("/v1/anchors/{anchor_id}", response_model=Anchor, responses=_PATCH)
def change_anchor(anchor_id: str, body: AnchorPatch, caller: Regulator, db: DatabaseDep) -> dict:
    """Change the name or workshop (null: none), add or remove platform accounts (audited)."""
    changes = body.model_dump(include={"name", "workshop_id"}, exclude_unset=True)
    if changes.get("name", "") is None:
        del changes["name"]
    return _changed(
        lambda: update_anchor(
            db,
            anchor_id,
            changes=changes,
            add_accounts=body.add_accounts,
            remove_accounts=body.remove_accounts,
            actor=caller.actor,
        ),
    )


@router.delete("/v1/anchors/{anchor_id}", status_code=204, responses=_DELETE)
def remove_anchor(anchor_id: str, caller: Regulator, db: DatabaseDep) -> None:
    """Remove an anchor with no streams, flags, violations, keys or other history."""
    _changed(lambda: delete_anchor(db, anchor_id, caller.actor))


# --- products ------------------------------------------------------------------------------


@router.get("/v1/products", response_model=ProductList, responses=_READ)
def products(
    caller: Reader,
    db: DatabaseDep,
    workshop: WorkshopFilter = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> dict:
    """Products with registered origin, producer, certifications and registration numbers."""
    items, total = list_products(db, workshop_id=workshop, limit=limit, offset=offset)
    return {"items": items, "total": total}


@router.post("/v1/products", response_model=Product, status_code=201, responses=_CREATE)
def create_product(body: ProductCreate, caller: Regulator, db: DatabaseDep) -> dict:
    add_product(
        db,
        body.id,
        body.name,
        workshop_id=body.workshop_id,
        product_class=body.product_class,
        origin=body.origin,
        producer=body.producer,
        certifications=[c.model_dump(exclude_none=True) for c in body.certifications],
        registration_numbers=body.registration_numbers,
        actor=caller.actor,
    )
    return get_product(db, body.id)


@router.get("/v1/products/{product_id}", response_model=Product, responses=_ONE)
def product(product_id: str, caller: Reader, db: DatabaseDep) -> dict:
    try:
        return get_product(db, product_id)
    except InputError:
        raise _not_found("product", product_id) from None


@router.patch("/v1/products/{product_id}", response_model=Product, responses=_PATCH)
def change_product(product_id: str, body: ProductPatch, caller: Regulator, db: DatabaseDep) -> dict:
    """Change any registered field given (audited); `workshop_id: null` removes the workshop."""
    changes = {
        k: v
        for k, v in body.model_dump(exclude_unset=True).items()
        if v is not None or k == "workshop_id"
    }
    if "certifications" in changes:
        changes["certifications"] = [c.model_dump(exclude_none=True) for c in body.certifications]
    return _changed(lambda: update_product(db, product_id, changes=changes, actor=caller.actor))


@router.delete("/v1/products/{product_id}", status_code=204, responses=_DELETE)
def remove_product(product_id: str, caller: Regulator, db: DatabaseDep) -> None:
    """Remove a product no stream or script refers to."""
    _changed(lambda: delete_product(db, product_id, caller.actor))


# --- translating the library's answers -----------------------------------------------------


def _changed(change: Callable[[], T]) -> T:
    """Run the library's update or delete: unknown record 404, conflicting or referenced 409,
    other bad input 400."""
    try:
        return change()
    except NotFoundError as exc:
        raise ApiError(404, "not_found", str(exc)) from None
    except ReferencedError as exc:
        raise ApiError(409, "referenced", str(exc), {"referenced_by": exc.references}) from None
    except ConflictError as exc:
        raise ApiError(409, "conflict", str(exc)) from None


_NAMES = {"workshop": "工坊", "product": "产品"}


def _not_found(what: str, record_id: str) -> ApiError:
    return ApiError(404, "not_found", f"{_NAMES[what]}不存在 / no {what} {record_id}")
