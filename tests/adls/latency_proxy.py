#!/usr/bin/env python3
"""latency_proxy.py - a loopback TCP proxy that adds round-trip time.

Why this shape: a storage account is 5-50 ms away from its users, Azurite
on loopback is 0 ms away, and a push bound by round trips looks fast on
loopback only. Every byte is delivered DELAY/2 after it arrived, in each
direction, without waiting for the previous delivery: the round trip grows
by DELAY, the bandwidth does not shrink. Listens on 127.0.0.1 only.

Usage: latency_proxy.py LISTEN_PORT TARGET_PORT [DELAY_MS=20]
(prints "ready PORT" once listening; PORT 0 picks a free one).
"""
import asyncio
import sys


async def pump(reader, writer, half):
    loop = asyncio.get_running_loop()
    last = None
    try:
        while True:
            data = await reader.read(1 << 16)
            if not data:
                break
            due = loop.time() + half
            last = loop.create_task(deliver(writer, data, due, last))
        if last:
            await last
    finally:
        try:
            writer.close()
        except Exception:
            pass


async def deliver(writer, data, due, before):
    if before:
        await before  # keep the byte order
    delay = due - asyncio.get_running_loop().time()
    if delay > 0:
        await asyncio.sleep(delay)
    writer.write(data)
    await writer.drain()


async def main():
    listen, target = int(sys.argv[1]), int(sys.argv[2])
    half = (float(sys.argv[3]) if len(sys.argv) > 3 else 20.0) / 2000.0

    async def conn(cr, cw):
        try:
            sr, sw = await asyncio.open_connection("127.0.0.1", target)
        except OSError:
            cw.close()
            return
        await asyncio.gather(pump(cr, sw, half), pump(sr, cw, half),
                             return_exceptions=True)

    srv = await asyncio.start_server(conn, "127.0.0.1", listen)
    print("ready %d" % srv.sockets[0].getsockname()[1], flush=True)
    async with srv:
        await srv.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
