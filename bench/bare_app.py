"""The ceiling for `bench/web.py`: a bare Litestar app answering plain text, served the same way."""

from litestar import Litestar, get


@get("/", media_type="text/plain")
async def plaintext() -> str:
    return "Hello, World!"


app = Litestar(route_handlers=[plaintext])
