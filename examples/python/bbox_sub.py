#!/usr/bin/python3
"""Read bbox shard endpoints with pyzmq (libzmq) and print every record.

    bbox_sub.py [--partition N]... [--topic PFX]... [--exit-on-eos]
                [--timeout SECONDS] [--heartbeat MS] ENDPOINT...

A decoder written from docs/wire.md alone: one SUB socket per shard
endpoint, [prefix][batch] messages, header and record layout, CRC, and the
gap rules of section 4. One line per record on stdout:

    PUBLISHER EPOCH SHARD PARTITION SEQ KIND SEND_TS SOURCE_TS TOPIC CHECKSUM

PUBLISHER and CHECKSUM in hex, the rest in decimal; bytes of TOPIC outside
printable ASCII (and space and backslash) are written as \\xNN. CHECKSUM is
CRC-32 (zlib) over seq (8 bytes little-endian), the topic length (1 byte),
the topic and the payload. A last line on stderr, "summary {...}", counts
records, gaps, lost records, malformed frames and heartbeats.
"""

import argparse
import json
import struct
import sys
import time
import zlib

import zmq

HEADER = struct.Struct("<2sBBHHHHIIIQQQII")  # section 2: 56 bytes
RECORD = struct.Struct("<HBBqq")  # section 3: 20 bytes before seq/topic
SEQ = struct.Struct("<Q")
FLAG_SEQ, FLAG_HEARTBEAT, FLAG_EOS = 1, 2, 4


class Malformed(Exception):
    pass


def decode(prefix, frame):
    """Decode one [prefix][batch] message; raise Malformed if any check fails."""
    # "p" and exactly four lowercase hex digits (int() alone would also
    # take "+1", " 1" or "0_1").
    if len(prefix) != 5 or prefix[:1] != b"p" or any(c not in b"0123456789abcdef" for c in prefix[1:]):
        raise Malformed("bad prefix %r" % prefix)
    part = int(prefix[1:], 16)
    if len(frame) < HEADER.size:
        raise Malformed("frame of %d bytes" % len(frame))
    (magic, version, flags, hlen, shard, shards, _reserved, partition, partitions,
     count, publisher, epoch, first_seq, body_len, body_crc) = HEADER.unpack_from(frame)
    if magic != b"BB" or version != 1 or flags & ~7:
        raise Malformed("magic %r version %d flags %#x" % (magic, version, flags))
    if hlen < HEADER.size or hlen > len(frame) or body_len != len(frame) - hlen:
        raise Malformed("header length %d, body length %d, frame %d" % (hlen, body_len, len(frame)))
    body = memoryview(frame)[hlen:]
    if zlib.crc32(body) != body_crc:
        raise Malformed("body CRC mismatch")
    if partition != part:
        raise Malformed("prefix says partition %d, header %d" % (part, partition))
    if flags & (FLAG_HEARTBEAT | FLAG_EOS) and count:
        raise Malformed("heartbeat/EOS with %d records" % count)
    explicit = bool(flags & FLAG_SEQ)
    if first_seq == 0 and not explicit and (count or flags & (FLAG_HEARTBEAT | FLAG_EOS)):
        raise Malformed("first sequence 0")
    fixed = RECORD.size + (8 if explicit else 0)
    recs, pos = [], 0
    for i in range(count):
        if len(body) - pos < RECORD.size:
            raise Malformed("record %d truncated" % i)
        n, tlen, kind, send_ts, source_ts = RECORD.unpack_from(body, pos)
        if n > len(body) - pos or tlen == 0 or fixed + tlen > n:
            raise Malformed("record %d: length %d, topic length %d" % (i, n, tlen))
        seq = SEQ.unpack_from(body, pos + RECORD.size)[0] if explicit else first_seq + i
        topic = bytes(body[pos + fixed:pos + fixed + tlen])
        payload = bytes(body[pos + fixed + tlen:pos + n])
        recs.append((seq, kind, send_ts, source_ts, topic, payload))
        pos += n
    if pos != len(body):
        raise Malformed("%d bytes after the records" % (len(body) - pos))
    hdr = dict(flags=flags, shard=shard, shards=shards, partition=partition, partitions=partitions,
               publisher=publisher, epoch=epoch, first_seq=first_seq, count=count)
    return hdr, recs


def checksum(seq, topic, payload):
    return zlib.crc32(payload, zlib.crc32(topic, zlib.crc32(SEQ.pack(seq) + bytes([len(topic)]))))


def show(topic):
    return "".join(chr(c) if 0x21 <= c < 0x7F and c != 0x5C else "\\x%02x" % c for c in topic)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("endpoints", nargs="+", metavar="ENDPOINT", help="bbox shard endpoints, tcp://HOST:PORT")
    ap.add_argument("--partition", type=int, action="append", default=[], help="subscribe to this partition only (repeatable)")
    ap.add_argument("--topic", action="append", default=[], help="print only topics starting with this prefix (repeatable)")
    ap.add_argument("--exit-on-eos", action="store_true", help="exit when every subscribed partition has sent end-of-stream")
    ap.add_argument("--timeout", type=float, default=0, help="exit 1 after this many seconds without a message (0: never)")
    ap.add_argument("--heartbeat", type=int, default=0, help="ZMTP PING every this many ms; drop a publisher silent for 3 of them (0: off)")
    args = ap.parse_args()

    ctx = zmq.Context()
    socks = {}
    for ep in args.endpoints:
        s = ctx.socket(zmq.SUB)
        if args.heartbeat:
            s.setsockopt(zmq.HEARTBEAT_IVL, args.heartbeat)
            s.setsockopt(zmq.HEARTBEAT_TIMEOUT, 3 * args.heartbeat)
        # Subscribe to whole partitions and filter topics here, so every
        # sequence number of those partitions is seen (section 1).
        for p in args.partition or [None]:
            s.setsockopt(zmq.SUBSCRIBE, b"p" if p is None else b"p%04x" % p)
        s.connect(ep)
        socks[s] = ep
    poller = zmq.Poller()
    for s in socks:
        poller.register(s, zmq.POLLIN)

    topics = [t.encode() for t in args.topic]
    state = {}  # (publisher, partition) -> [epoch, next]
    waiting = {}  # socket -> partitions whose EOS is still due, once known
    eos = set()
    n = {"records": 0, "gaps": 0, "lost": 0, "malformed": 0, "heartbeats": 0, "eos": 0}
    out = sys.stdout
    code = 0
    while True:
        if args.exit_on_eos and len(waiting) == len(socks) and not any(waiting.values()):
            break
        ready = dict(poller.poll(args.timeout * 1000 if args.timeout else None))
        if not ready:
            print("bbox_sub: nothing received for %gs" % args.timeout, file=sys.stderr)
            code = 1
            break
        for s in ready:
            msg = s.recv_multipart()
            try:
                if len(msg) != 2:
                    raise Malformed("message of %d frames" % len(msg))
                h, recs = decode(msg[0], msg[1])
            except Malformed as e:
                n["malformed"] += 1
                print("bbox_sub: %s: malformed frame: %s" % (socks[s], e), file=sys.stderr)
                continue
            if s not in waiting:  # the shard's partitions: p mod shards == shard
                mine = {p for p in range(h["partitions"]) if p % h["shards"] == h["shard"]}
                if args.partition:
                    mine &= set(args.partition)
                waiting[s] = mine - eos
            key = (h["publisher"], h["partition"])
            st = state.get(key)
            if st is None or h["epoch"] > st[0]:  # rules 1 and 2: first frame or a restart
                st = state[key] = [h["epoch"], h["first_seq"]]
            elif h["epoch"] < st[0]:  # rule 3: an older incarnation's frame
                continue
            skip = 0
            if h["first_seq"] > st[1]:  # rule 4: a gap
                n["gaps"] += 1
                n["lost"] += h["first_seq"] - st[1]
                print("bbox_sub: gap on partition %d: expected %d, got %d" % (h["partition"], st[1], h["first_seq"]), file=sys.stderr)
            elif h["first_seq"] < st[1]:  # rule 5: overlap
                skip = st[1] - h["first_seq"]
            st[1] = max(st[1], h["first_seq"] + h["count"])  # rule 6
            if h["flags"] & FLAG_HEARTBEAT:
                n["heartbeats"] += 1
            if h["flags"] & FLAG_EOS:
                n["eos"] += 1
                eos.add(h["partition"])
                waiting[s].discard(h["partition"])
            for seq, kind, send_ts, source_ts, topic, payload in recs[skip:]:
                if topics and not any(topic.startswith(t) for t in topics):
                    continue
                n["records"] += 1
                out.write("%x %d %d %d %d %s %d %d %s %08x\n" % (
                    h["publisher"], h["epoch"], h["shard"], h["partition"], seq, chr(kind),
                    send_ts, source_ts, show(topic), checksum(seq, topic, payload)))
    out.flush()
    print("summary " + json.dumps(n), file=sys.stderr)
    for s in socks:
        s.close(linger=0)
    ctx.term()
    return code


if __name__ == "__main__":
    sys.exit(main())
