"""A FAKE Valkey node for hostile-reply tests (scenario 7). Not a Valkey server.

This is a fake on purpose: a real valkey-server cannot be made, on demand, to answer INFO with an integer,
announce a 1 TB bulk string and fall silent, nest 10000 arrays, cut a reply in half, send garbage, stream a
reply that never ends, print a malformed CLUSTER NODES, or refuse HELLO like a Redis 5. Everything the
exporter does with well-formed replies is tested against real servers elsewhere (conftest.py's `cluster`).

`FakeNode` is a small asyncio TCP server on 127.0.0.1 (its own thread and event loop) that speaks just
enough RESP2/RESP3 for the exporter's discovery and collection (see Sources/Collector/Discovery.swift and
NodeCollector.swift):

  handshake   HELLO 3 [AUTH user pass] SETNAME name  -> RESP3 map; or, after a HELLO error, the RESP2
              sequence AUTH [user] pass, CLIENT SETNAME name -> +OK
  discovery   CLUSTER NODES, CLUSTER INFO (pipelined)   -> one `myself,master` line owning 0-16383, cluster_state:ok
              (standalone mode: CLUSTER NODES -> -ERR This instance has cluster support disabled)
  collection  INFO server clients ... cluster, CLUSTER MYSHARDID, CLUSTER SLOT-STATS SLOTSRANGE a b

A well-behaved FakeNode is collected as an online node (the tests check that first). A `Fault` makes one
command (`target`: "HELLO", "CLUSTER NODES", "INFO", ...) misbehave; `node.fault` can be changed at any time
and applies to the next command read. Every command received is appended to `node.commands` (lists of str).
"""
import asyncio
import threading

NODE_ID = "0123456789abcdef0123456789abcdef01234567"
SHARD_ID = "fedcba9876543210fedcba9876543210fedcba98"
RUN_ID = "1111111111111111111111111111111111111111"


def bulk(data):
    if isinstance(data, str):
        data = data.encode()
    return b"$%d\r\n%s\r\n" % (len(data), data)


def array(items):
    return b"*%d\r\n" % len(items) + b"".join(items)


class Fault:
    """One misbehaviour: what `target` is answered with.

    kinds:
      reply        send `payload` (bytes) as the reply, stay connected
      silence      send `payload` (may be empty), then never answer anything again on this connection
      close        send `payload`, then close the connection
      stream       send `payload` (a header), then `block` (default: `chunk` bytes of 'x') every `interval` s
                   (0: as fast as the peer reads) until the peer goes away
    """

    def __init__(self, target, kind, payload=b"", chunk=0, interval=0.0, block=None, name=None):
        self.target, self.kind, self.payload = target.upper(), kind, payload
        self.chunk, self.interval = chunk, interval
        self.block = block if block is not None else b"x" * chunk
        self.name = name or f"{target}:{kind}"

    def __repr__(self):
        return f"Fault({self.name})"


# The catalogue used by test_hostile_node.py. Names are test ids.
def catalogue():
    nested = b"*1\r\n" * 10000 + b":1\r\n"
    bad_id = f"not-a-node-id 127.0.0.1:{{port}}@{{bus}} myself,master - 0 0 1 connected 0-16383\n"
    no_port = f"{NODE_ID} 127.0.0.1@{{bus}} myself,master - 0 0 1 connected 0-16383\n"
    other = "9" * 40
    dup_slots = (f"{NODE_ID} 127.0.0.1:{{port}}@{{bus}} myself,master - 0 0 1 connected 0-16383\n"
                 f"{other} 127.0.0.1:1@10001 master - 0 0 2 connected 100-200\n")
    return [
        Fault("INFO", "reply", b":42\r\n", name="info_integer"),
        Fault("CLUSTER NODES", "reply", array([bulk("a"), bulk("b")]), name="cluster_nodes_array"),
        Fault("INFO", "silence", b"$999999999999\r\n", name="info_huge_bulk_then_silence"),
        Fault("INFO", "silence", b"*99999999\r\n", name="info_huge_array_then_silence"),
        Fault("CLUSTER NODES", "silence", b"$999999999999\r\n", name="nodes_huge_bulk_then_silence"),
        Fault("INFO", "silence", b"$1000\r\nabc", name="info_partial_bulk_then_silence"),
        Fault("INFO", "reply", nested, name="info_deep_nesting"),
        Fault("INFO", "close", b"$100\r\nabc", name="info_truncated_then_close"),
        Fault("CLUSTER NODES", "close", b"*2\r\n$3\r\nab", name="nodes_truncated_then_close"),
        Fault("INFO", "reply", b"\x00\xff\xfeHTTP/1.1 400 Bad Request\r\n\r\n<html>garbage</html>\r\n",
              name="info_garbage"),
        Fault("HELLO", "reply", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03garbage", name="hello_garbage"),
        Fault("HELLO", "silence", b"", name="hello_silence"),
        Fault("INFO", "stream", b"$67108864\r\n", chunk=256 * 1024, interval=0.01, name="info_endless_slow_bulk"),
        Fault("CLUSTER NODES", "reply", bad_id, name="nodes_bad_id"),
        Fault("CLUSTER NODES", "reply", no_port, name="nodes_no_port"),
        Fault("CLUSTER NODES", "reply", dup_slots, name="nodes_duplicate_slot_owner"),
        Fault("HELLO", "reply", b"-ERR internal failure\r\n", name="hello_other_error"),
    ]


class FakeNode:
    """See the module docstring. `mode` is "cluster" or "standalone"."""

    def __init__(self, mode="cluster", fault=None, password=None, username=None):
        self.mode = mode
        self.fault = fault
        self.password, self.username = password, username
        self.commands = []
        self.accepted = 0
        self.open = 0
        self.bytes_streamed = 0
        self._writers = set()
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        assert self._ready.wait(10), "fake node did not start"
        self.address = f"127.0.0.1:{self.port}"

    # ------------------------------------------------------------------ lifecycle
    def _run(self):
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(
            asyncio.start_server(self._serve, "127.0.0.1", 0, limit=1 << 20))
        self.port = self._server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()

    def close(self):
        async def shutdown():
            self._server.close()
            for w in list(self._writers):
                w.close()
            await asyncio.sleep(0.05)
        asyncio.run_coroutine_threadsafe(shutdown(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def drop_connections(self):
        """Closes every open connection (the exporter then reconnects)."""
        def drop():
            for w in list(self._writers):
                w.close()
        self._loop.call_soon_threadsafe(drop)

    # ------------------------------------------------------------------ replies of a well-behaved node
    def _cluster_nodes(self):
        return (f"{NODE_ID} 127.0.0.1:{self.port}@{self.port + 10000} myself,master - 0 0 1 connected 0-16383\n")

    @staticmethod
    def _cluster_info():
        return ("cluster_state:ok\r\ncluster_slots_assigned:16384\r\ncluster_slots_ok:16384\r\n"
                "cluster_slots_pfail:0\r\ncluster_slots_fail:0\r\ncluster_known_nodes:1\r\ncluster_size:1\r\n"
                "cluster_current_epoch:1\r\ncluster_my_epoch:1\r\n")

    def _info(self):
        import time
        now_us = int(time.time() * 1e6)
        cpu = time.process_time()
        return (
            "# Server\r\nredis_version:7.2.4\r\nserver_name:valkey\r\nvalkey_version:9.1.2\r\n"
            f"redis_mode:{'cluster' if self.mode == 'cluster' else 'standalone'}\r\n"
            f"run_id:{RUN_ID}\r\ntcp_port:{self.port}\r\nserver_time_usec:{now_us}\r\n"
            "uptime_in_seconds:3723\r\nuptime_in_days:0\r\n\r\n"
            "# Clients\r\nconnected_clients:1\r\nblocked_clients:0\r\n\r\n"
            "# Memory\r\nused_memory:1048576\r\nused_memory_rss:4194304\r\nmaxmemory:0\r\n"
            "total_system_memory:8589934592\r\n\r\n"
            f"# Stats\r\ntotal_commands_processed:{len(self.commands)}\r\ninstantaneous_ops_per_sec:1\r\n"
            "total_net_input_bytes:100\r\ntotal_net_output_bytes:200\r\nkeyspace_hits:0\r\nkeyspace_misses:0\r\n"
            "expired_keys:0\r\nevicted_keys:0\r\n\r\n"
            f"# CPU\r\nused_cpu_sys:{cpu:.6f}\r\nused_cpu_user:{cpu:.6f}\r\n\r\n"
            "# Replication\r\nrole:master\r\nconnected_slaves:0\r\nmaster_repl_offset:0\r\n\r\n"
            "# Keyspace\r\ndb0:keys=7,expires=0,avg_ttl=0\r\n\r\n"
            f"# Cluster\r\ncluster_enabled:{1 if self.mode == 'cluster' else 0}\r\n")

    @staticmethod
    def _slot_stats(first, last):
        entry = (b"*8\r\n$9\r\nkey-count\r\n:0\r\n$8\r\ncpu-usec\r\n:0\r\n"
                 b"$16\r\nnetwork-bytes-in\r\n:0\r\n$17\r\nnetwork-bytes-out\r\n:0\r\n")
        return b"*%d\r\n" % (last - first + 1) + b"".join(
            b"*2\r\n:%d\r\n" % slot + entry for slot in range(first, last + 1))

    def _good_reply(self, cmd, state):
        name = cmd[0].upper() if cmd else ""
        sub = cmd[1].upper() if len(cmd) > 1 else ""
        if name == "HELLO":
            if len(cmd) > 1 and cmd[1] not in ("2", "3"):
                return b"-NOPROTO unsupported protocol version\r\n"
            if self.password is not None:
                if "AUTH" not in [c.upper() for c in cmd]:
                    return b"-NOAUTH HELLO must be called with the client already authenticated\r\n"
                i = [c.upper() for c in cmd].index("AUTH")
                if cmd[i + 2] != self.password:
                    return b"-WRONGPASS invalid username-password pair or user is disabled.\r\n"
            state["authed"] = True
            state["resp"] = 3
            return (b"%7\r\n+server\r\n+valkey\r\n+version\r\n+9.1.2\r\n+proto\r\n:3\r\n+id\r\n:7\r\n"
                    b"+mode\r\n+" + (b"cluster" if self.mode == "cluster" else b"standalone") +
                    b"\r\n+role\r\n+master\r\n+modules\r\n*0\r\n")
        if name == "AUTH":
            if self.password is None:
                return b"-ERR AUTH <password> called without any password configured for the default user.\r\n"
            if cmd[-1] != self.password:
                return b"-WRONGPASS invalid username-password pair or user is disabled.\r\n"
            state["authed"] = True
            return b"+OK\r\n"
        if self.password is not None and not state.get("authed"):
            return b"-NOAUTH Authentication required.\r\n"
        if name == "CLIENT" and sub == "SETNAME":
            return b"+OK\r\n"
        if name == "PING":
            return b"+PONG\r\n"
        if name == "CLUSTER":
            if self.mode != "cluster":
                return b"-ERR This instance has cluster support disabled\r\n"
            if sub == "NODES":
                return bulk(self._cluster_nodes())
            if sub == "INFO":
                return bulk(self._cluster_info())
            if sub == "MYSHARDID":
                return bulk(SHARD_ID)
            if sub == "SLOT-STATS" and len(cmd) == 5:
                return self._slot_stats(int(cmd[3]), int(cmd[4]))
        if name == "INFO":
            return bulk(self._info())
        return b"-ERR unknown command '%s'\r\n" % name.encode()

    # ------------------------------------------------------------------ the server
    @staticmethod
    async def _read_command(reader):
        line = await reader.readline()
        if not line:
            return None
        if not line.startswith(b"*"):
            return line.decode(errors="replace").split()  # inline command
        count = int(line[1:].strip())
        args = []
        for _ in range(count):
            header = await reader.readline()
            length = int(header[1:].strip())
            data = await reader.readexactly(length + 2)
            args.append(data[:-2].decode(errors="replace"))
        return args

    @staticmethod
    def _matches(fault, cmd):
        if fault is None or not cmd:
            return False
        words = fault.target.split()
        return [c.upper() for c in cmd[:len(words)]] == words

    async def _serve(self, reader, writer):
        self.accepted += 1
        self.open += 1
        self._writers.add(writer)
        state = {}
        try:
            while True:
                try:
                    cmd = await self._read_command(reader)
                except (asyncio.IncompleteReadError, ConnectionError, ValueError):
                    return
                if cmd is None:
                    return
                self.commands.append(cmd)
                fault = self.fault
                if not self._matches(fault, cmd):
                    writer.write(self._good_reply(cmd, state))
                    await writer.drain()
                    continue
                payload = fault.payload
                if isinstance(payload, str):
                    payload = bulk(payload.format(port=self.port, bus=self.port + 10000))
                writer.write(payload)
                await writer.drain()
                if fault.kind == "reply":
                    continue
                if fault.kind == "close":
                    return
                if fault.kind == "silence":
                    # Read and ignore everything until the peer goes away.
                    while await reader.read(65536):
                        pass
                    return
                if fault.kind == "stream":
                    block = fault.block
                    while not writer.is_closing():
                        writer.write(block)
                        await writer.drain()
                        self.bytes_streamed += len(block)
                        if fault.interval:
                            await asyncio.sleep(fault.interval)
                    return
        except (ConnectionError, OSError):
            return
        finally:
            self.open -= 1
            self._writers.discard(writer)
            try:
                writer.close()
            except Exception:
                pass
