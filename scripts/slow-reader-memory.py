#!/usr/bin/env python3
"""Opens market-data streams that never read, and samples the server's memory meanwhile.

The check behind "a client that subscribes to 5 streams and never reads leaves the server's
memory flat". Needs grpcio and stubs generated into examples/python/generated (see
examples/python/quickstart.py), and a running server:

    target/release/aetherion serve --data-dir /tmp/slow --market-rate 200 &
    python scripts/slow-reader-memory.py --server 127.0.0.1:50051 --pid $! --seconds 120
"""

import argparse
import os
import sys
import time
import uuid

import grpc

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples", "python", "generated"))
import trading_api_pb2 as pb  # noqa: E402
import trading_api_pb2_grpc as pb_grpc  # noqa: E402


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--server", default="127.0.0.1:50051")
    parser.add_argument("--pid", type=int, required=True, help="the server's process id")
    parser.add_argument("--seconds", type=int, default=120)
    args = parser.parse_args()

    channel = grpc.insecure_channel(args.server)
    auth = pb_grpc.AuthServiceStub(channel)
    session = auth.Register(pb.RegisterRequest(email=f"slow-{uuid.uuid4().hex[:8]}@example.com", password="correct horse"))
    metadata = [("authorization", f"Bearer {session.access_token}")]
    trading = pb_grpc.TradingServiceStub(channel)

    # Five streams, never read: the calls are started and their iterators left alone.
    streams = [
        trading.SubscribeTicks(pb.SubscribeTicksRequest(), metadata=metadata),
        trading.SubscribeTicks(pb.SubscribeTicksRequest(symbols=["BTC-USD"]), metadata=metadata),
        trading.StreamOrderBook(pb.StreamOrderBookRequest(symbol="BTC-USD", depth=1000), metadata=metadata),
        trading.StreamOrderBook(pb.StreamOrderBookRequest(symbol="ETH-USD", depth=1000), metadata=metadata),
        trading.StreamPrice(pb.StreamPriceRequest(), metadata=metadata),
    ]
    start = time.time()
    samples = []
    while time.time() - start < args.seconds:
        samples.append((round(time.time() - start), rss_kib(args.pid)))
        print(f"t={samples[-1][0]:>4}s server RSS {samples[-1][1] / 1024:.1f} MiB", flush=True)
        time.sleep(10)
    first, last = samples[0][1], samples[-1][1]
    peak = max(s[1] for s in samples)
    print(f"RSS first {first / 1024:.1f} MiB, last {last / 1024:.1f} MiB, peak {peak / 1024:.1f} MiB")
    # A reader that catches up after all this: the tick streams must end with RESOURCE_EXHAUSTED.
    for call in streams[:2]:
        try:
            for _ in call:
                pass
            print("tick stream ended without an error")
        except grpc.RpcError as err:
            print(f"tick stream: {err.code().name}: {err.details()}")
        if call is streams[1]:
            break
    for call in streams:
        call.cancel()


if __name__ == "__main__":
    main()
