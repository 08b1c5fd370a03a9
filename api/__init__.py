"""qinglang's HTTP API (FastAPI): `create_app(db_path, settings)` builds the application.

The API only translates: requests to `monitor` calls, results and errors to JSON.
"""

from api.core.app import create_app

__all__ = ["create_app"]
