"""How every fixture server runs (and the benchmark servers, which import this file): it
serves on 127.0.0.1, says `PORT <n>` on standard output once it listens, and stops when
standard input closes, that is when the test (or benchmark) that started it is done or gone.
"""
import asyncio
import sys

from aiohttp import web


async def stdin_closed():
    """Returns once standard input reaches its end."""
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)


def announce(port):
    print(f"PORT {port}", flush=True)


async def serve(app, port=0, runner_options=None, **site_options):
    """Serves the aiohttp `app` on 127.0.0.1:`port` (0: any) until standard input closes.
    `runner_options` go to `web.AppRunner`, `site_options` to `web.TCPSite` (ssl_context,
    backlog)."""
    runner = web.AppRunner(app, **(runner_options or {}))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port, **site_options)
    await site.start()
    announce(site._server.sockets[0].getsockname()[1])
    await stdin_closed()
    await runner.cleanup()


def read_whole_posts():
    """Works around python-engineio's aiohttp driver, which reads a polling POST with one
    `StreamReader.read(length)`: that returns what is buffered, not `length` bytes, so a large
    POST (a buffer flushed after a reconnect) is cut and its events lost through no fault of
    the client's (docs/quirks.md § Servers' quirks). Call before making the server."""
    from engineio.async_drivers import aiohttp as engineio_aiohttp

    class WholeBody:
        def __init__(self, content):
            self.content = content

        async def read(self, length=-1):
            return await (self.content.read() if length < 0 else self.content.readexactly(length))

    translate = engineio_aiohttp.translate_request

    def translate_whole(request):
        environ = translate(request)
        environ["wsgi.input"] = WholeBody(request.content)
        return environ

    engineio_aiohttp.translate_request = translate_whole
    engineio_aiohttp._async["translate_request"] = translate_whole
