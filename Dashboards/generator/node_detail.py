"""Valkey node detail: everything the JSON API shows for one node (/api/nodes/{id}/metrics), over time."""
from grafana import (UP_DOWN, cluster_variables, dashboard, datasource_variable, gauge, query_variable, row, sel,
                     stat, table, thresholds, timeseries)

S = sel()
N = sel('addr="$node"')
INFO_N = f"valkey_node_info{N}"
RI = "$__rate_interval"
# Slot series carry node_id only (they come from the owning primary): join them to the chosen node's address.
OF_NODE = f"* on(node_id) group_left() {INFO_N}"
EFFECTIVE_MAX = f"((valkey_memory_max_bytes{N} > 0) or valkey_total_system_memory_bytes{N})"
REPLICA_INFO = "valkey_node_info" + sel('role="replica"', 'addr="$node"')


def panels():
    return [
        row("Status"),
        stat("Status", "online (UP) when the node answered the exporter's last cycle; DOWN covers the JSON "
             "API's offline and error: 'Collection errors' below says why.",
             [(f"valkey_up{N}", "")], "none", mappings=UP_DOWN, thresh=thresholds("red", (1, "green")), w=3),
        stat("Role", "primary or replica, from CLUSTER NODES (the JSON API's master/slave).",
             [(INFO_N, "{{role}}")], "none", text_mode="name", thresh=thresholds("blue"), w=3),
        stat("Uptime", "Seconds since the server started (uptime_in_seconds). A reset means a restart.",
             [(f"valkey_uptime_in_seconds{N}", "")], "s", color_mode="value", thresh=thresholds("blue"), w=3),
        stat("Age of the data", "Seconds since this node was last collected successfully (the JSON API's "
             "collectedAt). It grows while the node fails.",
             [(f"time() - valkey_exporter_last_collection_timestamp_seconds{N}", "")], "s", decimals=1,
             thresh=thresholds("green", (30, "yellow"), (120, "red")), w=3),
        stat("Keys", "Keys in every database of the node (the JSON API's keyCount; replicas hold their primary's "
             "keys).", [(f"sum(valkey_db_keys{N})", "")], "none", color_mode="value",
             thresh=thresholds("blue"), w=3),
        stat("Slots owned", "Slots this node serves as primary, counted from the per-slot series (the JSON "
             "API's slots). 0 for a replica, and when slot statistics are unavailable.",
             [(f"count(valkey_slot_keys{S} {OF_NODE}) or on() vector(0)", "")], "none", color_mode="value",
             thresh=thresholds("blue"), w=3),
        gauge("Memory used / max", "used_memory over maxmemory, or over the host's memory when maxmemory is 0 "
              "(the JSON API's memory.percent and memory.maxSource).",
              [(f"valkey_memory_used_bytes{N} / {EFFECTIVE_MAX}", "")], "percentunit", w=3, h=4,
              thresh=thresholds("green", (0.8, "yellow"), (0.9, "red"))),
        stat("CPU", "CPU time per second (sys + user) over the last interval: 100% is one core (the JSON API's "
             "cpu.percent).",
             [(f"rate(valkey_cpu_sys_seconds_total{N}[{RI}]) + rate(valkey_cpu_user_seconds_total{N}[{RI}])", "")],
             "percentunit", color_mode="value", decimals=1,
             thresh=thresholds("green", (0.7, "yellow"), (0.9, "red")), w=3),
        table("Identity", "The node's id, role, primary (for a replica), shard and server version.",
              [(INFO_N, "")], "none", h=4, rename={"node_id": "node id", "primary_id": "primary id",
                                                   "shard_id": "shard id", "addr": "address"},
              hide=("Time", "__name__", "job", "instance", "Value")),

        row("Memory"),
        timeseries("Memory", "used_memory (what the data and buffers take), used_memory_rss (what the process "
                   "holds: much larger than used means fragmentation), maxmemory (0 = no limit) and the "
                   "host's memory.",
                   [(f"valkey_memory_used_bytes{N}", "used"), (f"valkey_memory_used_rss_bytes{N}", "rss"),
                    (f"valkey_memory_max_bytes{N}", "maxmemory"),
                    (f"valkey_total_system_memory_bytes{N}", "host memory")], "bytes", w=16),
        timeseries("Memory used / max", "used_memory over maxmemory (or host memory when maxmemory is 0), over "
                   "time. Near 100% the node evicts or refuses writes.",
                   [(f"valkey_memory_used_bytes{N} / {EFFECTIVE_MAX}", "used / max")], "percentunit", w=8,
                   min_=0, max_=1, thresh=thresholds("green", (0.8, "yellow"), (0.9, "red"))),

        row("CPU, commands and traffic"),
        timeseries("CPU", "System and user CPU time per second of the server; 100% is one core. The main "
                   "thread runs the commands, so sustained ~100% saturates the node.",
                   [(f"rate(valkey_cpu_sys_seconds_total{N}[{RI}])", "sys"),
                    (f"rate(valkey_cpu_user_seconds_total{N}[{RI}])", "user")], "percentunit", w=8, stack=True),
        timeseries("Commands per second", "Rate of total_commands_processed, and the server's own "
                   "instantaneous_ops_per_sec sample (the JSON API's opsPerSec).",
                   [(f"rate(valkey_commands_processed_total{N}[{RI}])", "commands/s"),
                    (f"valkey_instantaneous_ops_per_second{N}", "instantaneous ops/s")], "ops", w=8),
        timeseries("Network", "Bytes read and written per second, client and replication traffic.",
                   [(f"rate(valkey_net_input_bytes_total{N}[{RI}])", "in"),
                    (f"rate(valkey_net_output_bytes_total{N}[{RI}])", "out")], "Bps", w=8),
        timeseries("Clients", "connected_clients (the JSON API's connections; replicas excluded) and "
                   "blocked_clients.",
                   [(f"valkey_connected_clients{N}", "connected"), (f"valkey_blocked_clients{N}", "blocked")],
                   "none", w=8),
        timeseries("Keyspace hits and misses", "Key lookups per second that found / missed a key. Many misses "
                   "for a cache mean it is too small or keys expire too early.",
                   [(f"rate(valkey_keyspace_hits_total{N}[{RI}])", "hits"),
                    (f"rate(valkey_keyspace_misses_total{N}[{RI}])", "misses")], "cps", w=8),
        timeseries("Hottest slots on this node", "The 10 slots of this primary with the most CPU time per "
                   "second (empty for a replica: slots are counted on their primary). Open the Slots "
                   "dashboard for the whole cluster.",
                   [(f"topk(10, rate(valkey_slot_cpu_seconds_total{S}[{RI}]) {OF_NODE})", "slot {{slot}}")],
                   "percentunit", w=8),

        row("Keys"),
        timeseries("Keys per database", "Keys and keys with a TTL in each database (INFO keyspace).",
                   [(f"valkey_db_keys{N}", "db{{db}} keys"), (f"valkey_db_keys_expiring{N}", "db{{db}} with TTL")],
                   "none", w=12),
        timeseries("Expired and evicted keys", "Keys removed per second by expiry and by the maxmemory policy; "
                   "evictions mean the node is full.",
                   [(f"rate(valkey_expired_keys_total{N}[{RI}])", "expired"),
                    (f"rate(valkey_evicted_keys_total{N}[{RI}])", "evicted")], "cps", w=12),

        row("Replication"),
        stat("Replicas connected", "For a primary: replicas attached to it (connected_slaves); 0 means its "
             "slots have no copy.", [(f"valkey_connected_replicas{N}", "")], "none",
             thresh=thresholds("blue"), color_mode="value", w=4),
        stat("Link to primary", "For a replica: master_link_status (empty for a primary).",
             [(f"valkey_replication_link_up{N}", "")], "none", mappings=UP_DOWN,
             thresh=thresholds("red", (1, "green")), w=4),
        timeseries("Replication offset", "master_repl_offset: bytes of replication stream this node has "
                   "produced (primary) or applied (replica). Its slope is the write rate.",
                   [(f"valkey_master_repl_offset{N}", "offset")], "bytes", w=8),
        timeseries("Lag behind the primary", "For a replica: its primary's offset minus its own, in bytes, "
                   "sampled in the same cycle (small values are noise; a growing lag is not).",
                   [(f"clamp_min(label_replace(valkey_master_repl_offset{S}, \"primary_id\", \"$1\", \"node_id\", "
                     f"\"(.+)\") - on(primary_id) group_right() (valkey_master_repl_offset{N} "
                     f"* on(node_id) group_left(primary_id) {REPLICA_INFO}), 0)", "lag")], "bytes", w=8),

        row("Exporter's view of this node"),
        timeseries("Collection time", "Time the exporter took to collect this node (connect included) in each "
                   "cycle. Close to --command-timeout means the node is slow or hanging.",
                   [(f"valkey_exporter_collection_duration_seconds{N}", "collection")], "s", w=12),
        timeseries("Collections and errors", "Collections attempted per second, and failed ones by reason "
                   "(the JSON API's error.reason: timeout, refused, auth, noperm, tls, ...). 'none' means no "
                   "error in the range.",
                   [(f"rate(valkey_exporter_collections_total{N}[{RI}])", "attempted"),
                    (f"sum by (reason) (rate(valkey_exporter_collection_errors_total{N}[{RI}])) "
                     f"or on() label_replace(vector(0), \"reason\", \"none\", \"\", \"\")", "failed: {{reason}}")],
                   "cps", w=12),
    ]


def build():
    variables = [datasource_variable(), *cluster_variables(),
                 query_variable("node", "Node", 'label_values(valkey_up{job="$job",instance="$instance"}, addr)',
                                "The node to show, by address (host:port).")]
    return dashboard("valkey-node-detail", "Valkey node detail",
                     "One Valkey node over time: status, role, memory, CPU, commands, clients, keys, "
                     "replication and the exporter's collection of it (what /api/nodes/{id}/metrics shows).",
                     variables, panels())
