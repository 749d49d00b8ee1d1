#!/usr/bin/python3
"""A stand-in for an existing feed handler: a pyzmq PUB of [topic][payload].

    feed_pub.py --bind tcp://127.0.0.1:5556 [--count N] [--topics A,B,...]
                [--wait-subscriptions N] [--timestamps] [--bad EVERY]
                [--pause-after N --pause SECONDS] [--heartbeat MS]
                [--log FILE] [--seed S]

Feed it to bbox with `bbox pub --source zmq+tcp://127.0.0.1:5556 ...`.

ZeroMQ's slow-joiner problem: a PUB drops what it sends before a
subscription has arrived. With --wait-subscriptions N (default 1) the socket
is an XPUB, which hands us each new subscription, and nothing is sent until
N of them have arrived; an XPUB is a PUB in every other way.

Payloads are pseudo-random bytes (any value, lengths 0..300 with a few of
about 5000), deterministic by --seed. --timestamps adds a third frame to
every other message: the event time, 8 bytes little-endian int64 ns since
the Unix epoch (bbox's upstream convention; docs/wire.md section 8). --bad
EVERY inserts after every EVERY-th good message one a bbox upstream must
count and drop (rotating through the kinds: wrong frame count, bad
timestamp frame, over-long topic, too large a payload); the last message
sent is always a good one. --log FILE writes one line per message sent:

    good TOPIC PAYLOAD_HEX TS       (TS is - without a timestamp frame)
    bad KIND TOPIC_PREFIX

The high-water mark is off (SNDHWM 0), so a slow subscriber backs the
publisher up in memory instead of losing messages: right for a test feed,
a choice to make deliberately for a real one.
"""

import argparse
import random
import struct
import sys
import time

import zmq

BAD_KINDS = ("one-frame", "four-frames", "short-ts", "zero-ts", "long-topic", "too-large")


def bad_message(kind, topic, rng):
    if kind == "one-frame":
        return [topic], "malformed"
    if kind == "four-frames":
        return [topic, b"x", struct.pack("<q", 1), b"y"], "malformed"
    if kind == "short-ts":
        return [topic, b"x", b"\x01\x02\x03"], "malformed"
    if kind == "zero-ts":
        return [topic, b"x", struct.pack("<q", 0)], "malformed"
    if kind == "long-topic":
        return [topic + b"X" * 300, b"x"], "bad_topic"
    return [topic, rng.randbytes(70000)], "too_large"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bind", required=True, help="endpoint to bind, e.g. tcp://127.0.0.1:5556")
    ap.add_argument("--count", type=int, default=1000, help="good messages to send")
    ap.add_argument("--topics", default="AAPL,MSFT,IBM,GOOG,NVDA", help="comma-separated topics, used round-robin")
    ap.add_argument("--wait-subscriptions", type=int, default=1, help="send nothing until this many subscriptions arrived (0: plain PUB)")
    ap.add_argument("--timestamps", action="store_true", help="add a timestamp frame to every other message")
    ap.add_argument("--bad", type=int, default=0, help="insert a bad message after every this many good ones (0: none)")
    ap.add_argument("--pause-after", type=int, default=0, help="go quiet after this many good messages (a quiet market)")
    ap.add_argument("--pause", type=float, default=0, help="seconds to stay quiet")
    ap.add_argument("--heartbeat", type=int, default=0, help="ZMTP heartbeat interval in ms (ZMQ_HEARTBEAT_IVL; 0: off)")
    ap.add_argument("--linger", type=float, default=10, help="seconds to keep delivering after the last message")
    ap.add_argument("--log", help="write what was sent to this file")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    rng = random.Random(args.seed)
    topics = [t.encode() for t in args.topics.split(",") if t]
    ctx = zmq.Context()
    sock = ctx.socket(zmq.XPUB if args.wait_subscriptions > 0 else zmq.PUB)
    sock.setsockopt(zmq.SNDHWM, 0)
    if args.heartbeat:
        sock.setsockopt(zmq.HEARTBEAT_IVL, args.heartbeat)
        sock.setsockopt(zmq.HEARTBEAT_TIMEOUT, 3 * args.heartbeat)
    sock.bind(args.bind)
    subs = set()
    while len(subs) < args.wait_subscriptions:
        ev = sock.recv()  # [1][prefix] subscribe, [0][prefix] unsubscribe
        if ev[:1] == b"\x01":
            subs.add(ev[1:])
        elif ev[:1] == b"\x00":
            subs.discard(ev[1:])
    if subs:
        print("feed_pub: subscribed: %s" % ", ".join(repr(s) for s in sorted(subs)), file=sys.stderr)

    log = open(args.log, "w") if args.log else None
    bad = 0
    for i in range(args.count):
        if args.pause_after and i == args.pause_after:
            time.sleep(args.pause)
        topic = topics[i % len(topics)]
        size = 5000 + rng.randrange(100) if rng.random() < 0.01 else rng.randrange(301)
        payload = rng.randbytes(size)
        frames = [topic, payload]
        ts = "-"
        if args.timestamps and i % 2 == 1:
            t = time.time_ns() - 1_000_000  # "the exchange stamped it 1 ms ago"
            frames.append(struct.pack("<q", t))
            ts = str(t)
        sock.send_multipart(frames)
        if log:
            log.write("good %s %s %s\n" % (topic.decode(), payload.hex(), ts))
        if args.bad and (i + 1) % args.bad == 0 and i + 1 < args.count:
            kind = BAD_KINDS[bad % len(BAD_KINDS)]
            bad += 1
            frames, _ = bad_message(kind, topic, rng)
            sock.send_multipart(frames)
            if log:
                log.write("bad %s %s\n" % (kind, topic.decode()))
    if log:
        log.close()
    sock.close(linger=int(args.linger * 1000))
    ctx.term()
    print("feed_pub: sent %d messages (%d bad)" % (args.count + bad, bad), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
