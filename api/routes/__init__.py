"""One router per resource; :func:`api.app.create_app` mounts them."""
