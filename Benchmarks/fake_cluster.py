#!/usr/bin/env python3
"""A FAKE Valkey cluster of many nodes in one process, for the scale benchmark (issue 7, point 5). Not a Valkey server.

A fake on purpose: 300 or 1000 real valkey-server processes do not fit on a 2-core machine next to the exporter,
and the point is the exporter's cost as the node count grows. Each fake node listens on its own loopback port
(BASE..BASE+N-1) and answers the commands the exporter sends (Sources/Collector/Discovery.swift,
NodeCollector.swift) with replies the size of a real node's:

  HELLO 3 ...              RESP3 map, as Valkey 9.1 sends
  CLUSTER NODES            one line per node (N lines; the asked node's own line says `myself`)
  CLUSTER INFO, MYSHARDID  as a healthy cluster answers
  INFO <sections>          a real Valkey 9.1.2 INFO reply (--info-primary / --info-replica files captured by
                           Benchmarks/scale.py from its real cluster), with this node's port
  MULTI, DBSIZE, CLUSTER SLOT-STATS SLOTSRANGE a b, EXEC
                           QUEUED, then the transaction's replies: every slot holds KEYS_PER_SLOT keys

N/2 primaries own the 16384 slots in equal contiguous ranges; every other node replicates one of them. Replies
are built once and cached, so the fake's own CPU stays small next to the exporter's.

  fake_cluster.py --base-port 30000 --nodes 1000 --info-primary P --info-replica R
Prints "ready" on stdout once every port listens; runs until SIGTERM.
"""
import argparse
import asyncio
import signal
import sys

KEYS_PER_SLOT = 10
SLOTS = 16384


def bulk(data):
    if isinstance(data, str):
        data = data.encode()
    return b"$%d\r\n%s\r\n" % (len(data), data)


class FakeCluster:
    def __init__(self, base_port, nodes, info_primary, info_replica):
        self.base_port, self.count = base_port, nodes
        self.primaries = max(1, nodes // 2)
        self.ids = [f"{i:040x}" for i in range(nodes)]
        per = SLOTS // self.primaries
        self.ranges = {}
        for p in range(self.primaries):
            first = p * per
            last = SLOTS - 1 if p == self.primaries - 1 else first + per - 1
            self.ranges[p] = (first, last)
        self.info = {"primary": info_primary, "replica": info_replica}
        self.cache = {}

    def primary_of(self, i):
        return None if i < self.primaries else (i - self.primaries) % self.primaries

    def nodes_line(self, i, myself):
        port = self.base_port + i
        primary = self.primary_of(i)
        role = "master" if primary is None else "slave"
        flags = f"myself,{role}" if myself else role
        master = "-" if primary is None else self.ids[primary]
        slots = "" if primary is not None else " %d-%d" % self.ranges[i]
        return f"{self.ids[i]} 127.0.0.1:{port}@{port + 10000} {flags} {master} 0 1700000000000 {i + 1} connected{slots}\n"

    def reply(self, i, key, build):
        full = (i, key)
        if full not in self.cache:
            self.cache[full] = build()
        return self.cache[full]

    def cluster_nodes(self, i):
        return bulk("".join(self.nodes_line(j, j == i) for j in range(self.count)))

    def cluster_info(self):
        return bulk(f"cluster_state:ok\r\ncluster_slots_assigned:{SLOTS}\r\ncluster_slots_ok:{SLOTS}\r\n"
                    "cluster_slots_pfail:0\r\ncluster_slots_fail:0\r\n"
                    f"cluster_known_nodes:{self.count}\r\ncluster_size:{self.primaries}\r\n"
                    f"cluster_current_epoch:{self.count}\r\ncluster_my_epoch:1\r\n")

    def info_reply(self, i):
        text = self.info["primary" if self.primary_of(i) is None else "replica"]
        lines = []
        for line in text.split("\r\n"):
            if line.startswith("tcp_port:"):
                line = f"tcp_port:{self.base_port + i}"
            elif line.startswith("db0:"):
                keys = 0 if self.primary_of(i) is not None else KEYS_PER_SLOT * self.slot_count(i)
                line = f"db0:keys={keys},expires=0,avg_ttl=0"
            lines.append(line)
        return bulk("\r\n".join(lines))

    def slot_count(self, i):
        first, last = self.ranges[i]
        return last - first + 1

    @staticmethod
    def slot_stats(first, last):
        # RESP2-shaped arrays, as Valkey also answers a RESP2 client; the exporter reads both.
        tail = (b"*8\r\n$9\r\nkey-count\r\n:%d\r\n$8\r\ncpu-usec\r\n:123\r\n"
                b"$16\r\nnetwork-bytes-in\r\n:4567\r\n$17\r\nnetwork-bytes-out\r\n:89012\r\n") % KEYS_PER_SLOT
        return b"*%d\r\n" % (last - first + 1) + b"".join(b"*2\r\n:%d\r\n" % s + tail for s in range(first, last + 1))

    def answer(self, i, cmd, state):
        name = cmd[0].upper()
        sub = cmd[1].upper() if len(cmd) > 1 else ""
        if name == "HELLO":
            return (b"%7\r\n+server\r\n+valkey\r\n+version\r\n+9.1.2\r\n+proto\r\n:3\r\n+id\r\n:7\r\n"
                    b"+mode\r\n+cluster\r\n+role\r\n+master\r\n+modules\r\n*0\r\n")
        if name in ("AUTH", "PING") or (name == "CLIENT" and sub == "SETNAME"):
            return b"+PONG\r\n" if name == "PING" else b"+OK\r\n"
        if name == "MULTI":
            state["queued"] = []
            return b"+OK\r\n"
        if name == "EXEC":
            queued = state.pop("queued", [])
            return b"*%d\r\n" % len(queued) + b"".join(queued)
        if name == "DBSIZE":
            reply = b":%d\r\n" % (KEYS_PER_SLOT * self.slot_count(i) if self.primary_of(i) is None else 0)
        elif name == "CLUSTER" and sub == "NODES":
            reply = self.reply(i, "nodes", lambda: self.cluster_nodes(i))
        elif name == "CLUSTER" and sub == "INFO":
            reply = self.reply(-1, "cinfo", self.cluster_info)
        elif name == "CLUSTER" and sub == "MYSHARDID":
            shard = self.primary_of(i) if self.primary_of(i) is not None else i
            reply = bulk(f"{shard:040x}")
        elif name == "CLUSTER" and sub == "SLOT-STATS" and len(cmd) == 5:
            first, last = int(cmd[3]), int(cmd[4])
            reply = self.reply(-1, ("slots", first, last), lambda: self.slot_stats(first, last))
        elif name == "INFO":
            reply = self.reply(i, "info", lambda: self.info_reply(i))
        else:
            reply = b"-ERR unknown command '%s'\r\n" % name.encode()
        if "queued" in state:
            state["queued"].append(reply)
            return b"+QUEUED\r\n"
        return reply

    async def serve(self, i, reader, writer):
        state = {}
        try:
            while True:
                line = await reader.readline()
                if not line:
                    return
                count = int(line[1:])
                cmd = []
                for _ in range(count):
                    length = int((await reader.readline())[1:])
                    cmd.append((await reader.readexactly(length + 2))[:-2].decode())
                writer.write(self.answer(i, cmd, state))
                await writer.drain()  # returns at once unless the exporter stops reading
        except (ConnectionError, asyncio.IncompleteReadError, ValueError):
            return
        finally:
            writer.close()


async def main_async(args):
    cluster = FakeCluster(args.base_port, args.nodes, open(args.info_primary).read(), open(args.info_replica).read())
    servers = []
    for i in range(args.nodes):
        servers.append(await asyncio.start_server(lambda r, w, i=i: cluster.serve(i, r, w), "127.0.0.1",
                                                  args.base_port + i, limit=1 << 20, backlog=16))
    print("ready", flush=True)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    for server in servers:
        server.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base-port", type=int, required=True)
    parser.add_argument("--nodes", type=int, required=True)
    parser.add_argument("--info-primary", required=True)
    parser.add_argument("--info-replica", required=True)
    args = parser.parse_args()
    if not 1 <= args.nodes <= 2000 or not 1024 <= args.base_port <= 65535 - args.nodes - 10000:
        sys.exit("--nodes must be 1..2000 and the ports (and port + 10000) must fit below 65536")
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
