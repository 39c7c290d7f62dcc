"""Pydantic models of the REST API, one module per resource (``server/routes/<resource>.py``
uses ``server/schemas/<resource>.py``), with the value types and rules they share in
``common``.  HTTP layer only: services never see these.  The names are the schema names of
the OpenAPI document, from which the web client is generated: renaming one is a wire change."""
