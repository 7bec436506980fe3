#!/usr/bin/env python3
"""A TCP proxy on loopback that adds a fixed delay to every byte in each
direction (a delay line, not a rate limit: chunks are time-stamped when read
and written when due, so throughput is not capped by the delay). For
measuring what round-trip time does to a protocol's own flow control (HTTP/2
windows) where `tc qdisc … netem` is not available.

    scripts/delay-proxy.py LISTEN_PORT TARGET_HOST:TARGET_PORT DELAY_MS

Round trip through the proxy = 2 × DELAY_MS. Stops on SIGTERM.
"""
import asyncio
import sys
import time

CHUNK = 256 << 10


async def pipe(reader, writer, delay):
    queue = asyncio.Queue()

    async def read():
        while True:
            data = await reader.read(CHUNK)
            await queue.put((time.monotonic() + delay, data))
            if not data:
                return

    async def write():
        while True:
            due, data = await queue.get()
            wait = due - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            if not data:
                try:
                    writer.write_eof()
                except OSError:
                    pass
                return
            writer.write(data)
            await writer.drain()

    try:
        await asyncio.gather(read(), write())
    except (ConnectionError, OSError):
        pass
    finally:
        writer.close()


async def main():
    port = int(sys.argv[1])
    host, tport = sys.argv[2].rsplit(":", 1)
    delay = float(sys.argv[3]) / 1000

    async def handle(cr, cw):
        try:
            sr, sw = await asyncio.open_connection(host, int(tport))
        except OSError:
            cw.close()
            return
        await asyncio.gather(pipe(cr, sw, delay), pipe(sr, cw, delay))

    server = await asyncio.start_server(handle, "127.0.0.1", port)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
