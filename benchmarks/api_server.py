"""The service as `qinglang serve` runs it, for the HTTP benchmark, plus one trivial endpoint with
the same key check and the same request body as `POST /v1/check` (so the ratio between the two is
the cost of the check itself). Rate limit off; everything else at its defaults.

python -m benchmarks.api_server DB PORT
"""

from __future__ import annotations

import sys
from typing import Annotated

import uvicorn
from fastapi import Depends

from api import create_app
from api.core.auth import require_roles
from api.v1.schemas.check import CheckRequest
from monitor.settings import Settings
from monitor.store.api_keys import ROLES, Principal


def main(db: str, port: int) -> None:
    settings = Settings(db=db, api_rate_per_minute=0, credit_recompute_hours=0, reload_watch=False)
    app = create_app(db, settings)

    @app.post("/bench/trivial", include_in_schema=False)
    def trivial(
        body: CheckRequest, caller: Annotated[Principal, Depends(require_roles(*ROLES))]
    ) -> dict:
        return {"verdict": "pass", "length": len(body.text)}

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
