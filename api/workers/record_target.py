"""Where an upload's results are stored: the anchor the caller may act for and the stream
(captions and media uploads alike), and the product whose facts the check compares claims with."""

from __future__ import annotations

from api.core.auth import anchor_id_for
from api.core.errors import ApiError
from monitor.checking.detectors.fact_rules import ProductFacts
from monitor.errors import InputError, StateConflict
from monitor.ids import stream_id_problem
from monitor.store.api_keys import Principal
from monitor.store.registry import get_product
from monitor.store.stream_views import check_stream_anchor


def record_target(
    caller: Principal, db, anchor: str | None, stream: str | None
) -> tuple[str | None, str | None]:
    """The anchor (which the caller may act for) and stream to store under, or Nones."""
    if stream and (problem := stream_id_problem(stream)) is not None:
        raise ApiError(
            422, "invalid_request", f"stream: {problem}", [{"field": "stream", "problem": problem}]
        )
    if stream and not anchor:
        raise ApiError(422, "invalid_request", "指定直播须同时指定主播 / `stream` needs `anchor`")
    anchor_id = anchor_id_for(caller, db, anchor) if anchor else None
    if anchor_id and stream:
        try:
            check_stream_anchor(db, stream, anchor_id)
        except StateConflict as exc:
            raise stream_conflict(caller, exc) from None
    return anchor_id, stream


def stream_conflict(caller: Principal, exc: StateConflict) -> ApiError:
    """A stream of another anchor: 409, or 403 to an anchor key (it may act only for its own)."""
    return ApiError(409 if caller.role != "anchor" else 403, exc.code, str(exc))


def product_facts(db, product: str | None) -> tuple[ProductFacts | None, str | None]:
    if not product:
        return None, None
    try:
        record = get_product(db, product)
    except InputError:
        raise ApiError(404, "product_not_found", f"产品不存在 / no product {product}") from None
    return ProductFacts.from_record(record), record["product_class"]
