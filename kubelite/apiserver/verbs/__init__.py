"""One module per verb: get, list, watch, create, update, patch, delete (+ deletecollection), and the
subresources. Each exposes ``async def handle(rr: ResourceRequest) -> web.StreamResponse``."""
