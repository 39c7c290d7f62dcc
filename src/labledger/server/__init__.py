"""The HTTP layer: ASGI app factory, routes per resource, error mapping.  HTTP lives only here."""
