"""python-telegram-bot's networking on aiohttp instead of httpx.

Profiling the Telegram channel under load (bench/telegram_throughput.py) showed about
half of the bot's CPU in httpx/httpcore per API call, the connection pool scanning
every connection on every request among it. aiohttp's client, with its C HTTP
parser and a pool that hands connections out without a scan, does the same work for
much less. ``BaseRequest`` is python-telegram-bot's documented way to plug in another
HTTP library; this module only maps its call to aiohttp and its errors back.
"""

from __future__ import annotations

import asyncio

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData


class AiohttpRequest(BaseRequest):
    def __init__(self, pool_size: int = 8, read_timeout: float | None = 5.0,
                 connect_timeout: float | None = 5.0, write_timeout: float | None = 5.0):
        self.pool_size = pool_size
        self._read_timeout = read_timeout
        self._connect_timeout = connect_timeout
        self._write_timeout = write_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self.pool_size, ttl_dns_cache=300),
                auto_decompress=True)

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         read_timeout=BaseRequest.DEFAULT_NONE,
                         write_timeout=BaseRequest.DEFAULT_NONE,
                         connect_timeout=BaseRequest.DEFAULT_NONE,
                         pool_timeout=BaseRequest.DEFAULT_NONE) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            await self.initialize()
        read = self._read_timeout if isinstance(read_timeout, DefaultValue) else read_timeout
        connect = self._connect_timeout if isinstance(connect_timeout, DefaultValue) \
            else connect_timeout
        pool = None if isinstance(pool_timeout, DefaultValue) else pool_timeout
        timeout = aiohttp.ClientTimeout(total=None, connect=pool, sock_connect=connect,
                                        sock_read=read)
        data: aiohttp.FormData | dict[str, str] | None = None
        if request_data is not None:
            files = request_data.multipart_data
            if files:
                form = aiohttp.FormData()
                for key, value in request_data.json_parameters.items():
                    form.add_field(key, value)
                for name, (filename, content, mimetype) in files.items():
                    form.add_field(name, content, filename=filename, content_type=mimetype)
                data = form
            else:
                data = request_data.json_parameters
        try:
            async with self._session.request(method, url, data=data,
                                              timeout=timeout) as response:
                return response.status, await response.read()
        except asyncio.TimeoutError as exc:
            raise TimedOut from exc
        except aiohttp.ClientError as exc:
            raise NetworkError(f"aiohttp: {type(exc).__name__}") from exc
