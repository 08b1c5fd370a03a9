"""Request and response models of the /v1 API, per resource, so OpenAPI documents every body."""
