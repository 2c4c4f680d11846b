"""Valkey cluster overview: is the cluster healthy, is every slot served, are the nodes and the exporter fine."""
from grafana import (OK_FAIL, UP_DOWN, YES_NO, bargauge, cluster_variables, dashboard, datasource_variable, row,
                     sel, stat, state_timeline, table, thresholds, timeseries)

S = sel()
INFO = f"valkey_node_info{S}"
# Per-node series carry node_id and addr only; the role lives on valkey_node_info (so a failover renames nothing).
WITH_ROLE = f"* on(node_id) group_left(role) {INFO}"
PRIMARIES = "valkey_node_info" + sel('role="primary"')
REPLICAS = "valkey_node_info" + sel('role="replica"')
# maxmemory when set, else the host's memory: the same "max" the JSON API reports (memory.maxSource).
EFFECTIVE_MAX = f"((valkey_memory_max_bytes{S} > 0) or valkey_total_system_memory_bytes{S})"
RI = "$__rate_interval"
NODE_LINK = "/d/valkey-node-detail/valkey-node-detail?${__url_time_range}&${datasource:queryparam}" \
            "&${job:queryparam}&${instance:queryparam}&var-node=${__value.raw}"


def panels():
    return [
        row("Cluster"),
        stat("Cluster state", "cluster_state from CLUSTER INFO of the node the exporter asked. FAIL means the "
             "cluster refuses commands: look at slot coverage and at the nodes that are down.",
             [(f"valkey_cluster_state{S}", "")], "none", mappings=OK_FAIL, thresh=thresholds("red", (1, "green"))),
        stat("All slots assigned", "1 when every one of the 16384 slots has an owner. NO means some keys cannot "
             "be served at all: assign the missing slots (valkey-cli --cluster fix).",
             [(f"valkey_cluster_slots_covered{S}", "")], "none", mappings=YES_NO,
             thresh=thresholds("red", (1, "green"))),
        stat("Exporter reaches the cluster", "Whether a seed or known node answered CLUSTER NODES in the "
             "exporter's last cycle. NO: every value on these dashboards is stale or missing; check the "
             "exporter's network path, credentials and TLS.",
             [(f"valkey_exporter_cluster_reachable{S}", "")], "none", mappings=YES_NO,
             thresh=thresholds("red", (1, "green"))),
        stat("Nodes up", "Nodes that answered the exporter's last cycle, by role, out of the nodes in the "
             "topology. Fewer up than known: see 'Node status' below.",
             [(f"sum by (role) (valkey_up{S} {WITH_ROLE})", "{{role}} up"),
              (f"count(valkey_up{S})", "known")], "none", color_mode="value", thresh=thresholds("blue"), w=4),
        stat("Nodes down", "Nodes in the topology that did not answer the last cycle (valkey_up 0). The "
             "exporter's collection errors below say why.",
             [(f"count(valkey_up{S} == 0) or on() vector(0)", "")], "none",
             thresh=thresholds("green", (1, "red"))),
        stat("Age of the data", "Seconds since the exporter finished its last collection cycle. It should stay "
             "below about two scrape intervals (--scrape-interval); more means the exporter is stuck or slow.",
             [(f"time() - valkey_exporter_last_cycle_timestamp_seconds{S}", "")], "s", decimals=1,
             thresh=thresholds("green", (30, "yellow"), (120, "red"))),
        timeseries("Slot coverage", "CLUSTER INFO slot counts. assigned and ok should both be 16384; pfail "
                   "(a node possibly failing) and fail (failed) should be 0. pfail that turns into fail "
                   "precedes a failover or an outage.",
                   [(f"valkey_cluster_slots_assigned{S}", "assigned"), (f"valkey_cluster_slots_ok{S}", "ok"),
                    (f"valkey_cluster_slots_pfail{S}", "pfail"), (f"valkey_cluster_slots_fail{S}", "fail")],
                   "none", w=8),
        timeseries("Nodes by role", "Primaries and replicas in CLUSTER NODES (handshakes excluded) and how many "
                   "of each answered. A primary count that changes means a failover or a resharding.",
                   [(f"valkey_cluster_nodes{S}", "{{role}} known"),
                    (f"sum by (role) (valkey_up{S} {WITH_ROLE})", "{{role}} up")], "none", w=8),
        timeseries("Cluster bus links and migrations", "Nodes by cluster-bus link state (disconnected should be "
                   "0), and slots being migrated out / imported as listed by the node the topology came from "
                   "(non-zero during a resharding; stuck non-zero values mean an unfinished migration).",
                   [(f"valkey_cluster_links{S}", "links {{state}}"),
                    (f"valkey_cluster_slots_migrating{S}", "slots migrating"),
                    (f"valkey_cluster_slots_importing{S}", "slots importing")], "none", w=8),
        state_timeline("Node status", "valkey_up per node over time: DOWN means the node did not answer the "
                       "exporter (timeout, refused, auth, ...; see 'Collection errors'). Gaps mean the node was "
                       "not in the topology.",
                       [(f"valkey_up{S} {WITH_ROLE}", "{{addr}} ({{role}})")], "none", w=12, mappings=UP_DOWN,
                       thresh=thresholds("red", (1, "green"))),
        table("Nodes", "Every node of the topology as of now: role, shard, primary, version and whether it "
              "answered. Click an address to open the node detail dashboard.",
              [(f"valkey_up{S} * on(node_id) group_left(role, shard_id, primary_id, version) {INFO}", "")],
              "none", w=12, mappings=UP_DOWN, thresh=thresholds("red", (1, "green")),
              rename={"Value": "up", "addr": "address", "primary_id": "primary"},
              links=("addr", "Node detail", NODE_LINK)),

        row("Memory, CPU and traffic"),
        timeseries("Memory used per node", "used_memory of each node. Primaries and their replicas should hold "
                   "about the same amount; a node far above its shard's other node has a leak or big buffers.",
                   [(f"valkey_memory_used_bytes{S} {WITH_ROLE}", "{{addr}} ({{role}})")], "bytes", w=12),
        bargauge("Memory used / max per node", "used_memory divided by maxmemory, or by the host's memory when "
                 "maxmemory is 0 (the JSON API's memory.percent). Near 100% the node evicts keys or refuses "
                 "writes, depending on maxmemory-policy.",
                 [(f"valkey_memory_used_bytes{S} / {EFFECTIVE_MAX}", "{{addr}}")], "percentunit", w=12,
                 min_=0, max_=1, thresh=thresholds("green", (0.8, "yellow"), (0.9, "red"))),
        timeseries("Commands per second", "Commands processed per second by each node (rate of "
                   "total_commands_processed). Replicas count the replication stream too. One primary far "
                   "above the others is a hot shard: see the Slots dashboard.",
                   [(f"rate(valkey_commands_processed_total{S}[{RI}]) {WITH_ROLE}", "{{addr}} ({{role}})")],
                   "ops", w=8),
        timeseries("CPU per node", "used_cpu_sys + used_cpu_user per second: 100% is one core fully busy. "
                   "Valkey executes commands on one main thread, so a node near 100% is saturated.",
                   [(f"(rate(valkey_cpu_sys_seconds_total{S}[{RI}]) + rate(valkey_cpu_user_seconds_total{S}[{RI}]))"
                     f" {WITH_ROLE}", "{{addr}} ({{role}})")], "percentunit", w=8),
        timeseries("Network per node", "Bytes read (in) and written (out) per second by each node, replication "
                   "traffic included.",
                   [(f"rate(valkey_net_input_bytes_total{S}[{RI}])", "{{addr}} in"),
                    (f"rate(valkey_net_output_bytes_total{S}[{RI}])", "{{addr}} out")], "Bps", w=8),
        timeseries("Clients per node", "connected_clients (replicas excluded) and blocked_clients (waiting in "
                   "BLPOP and the like). A steady climb is a client-side connection leak.",
                   [(f"valkey_connected_clients{S}", "{{addr}} connected"),
                    (f"valkey_blocked_clients{S}", "{{addr}} blocked")], "none", w=8),
        timeseries("Keys per shard", "Keys held by each primary (every database), so per shard. Shards should "
                   "hold similar numbers; compare with 'Share of keys' on the Slots dashboard.",
                   [(f"sum by (addr) (valkey_db_keys{S} * on(node_id) group_left() {PRIMARIES})",
                     "shard of {{addr}}")], "none", w=8),
        timeseries("Expired and evicted keys", "Keys removed per second by expiry and by the maxmemory policy. "
                   "Evictions mean the node is at maxmemory and is dropping data.",
                   [(f"rate(valkey_expired_keys_total{S}[{RI}])", "{{addr}} expired"),
                    (f"rate(valkey_evicted_keys_total{S}[{RI}])", "{{addr}} evicted")], "cps", w=8),

        row("Replication"),
        bargauge("Replicas per primary", "connected_slaves of each primary. 0 means the shard has no copy: "
                 "losing that primary loses its slots.",
                 [(f"valkey_connected_replicas{S} * on(node_id) group_left() {PRIMARIES}", "{{addr}}")], "none",
                 w=8, min_=0, thresh=thresholds("red", (1, "green"))),
        state_timeline("Replication link", "master_link_status of each replica: DOWN means the replica is "
                       "not receiving its primary's stream (it is resyncing or cut off).",
                       [(f"valkey_replication_link_up{S}", "{{addr}}")], "none", w=8, mappings=UP_DOWN,
                       thresh=thresholds("red", (1, "green"))),
        timeseries("Replication lag", "How far each replica's replication offset is behind its primary's, in "
                   "bytes of replication stream (sampled in the same cycle, so small values are noise). A "
                   "growing lag means the replica cannot keep up.",
                   [(f"clamp_min(label_replace(valkey_master_repl_offset{S}, \"primary_id\", \"$1\", \"node_id\", "
                     f"\"(.+)\") - on(primary_id) group_right() (valkey_master_repl_offset{S} "
                     f"* on(node_id) group_left(primary_id) {REPLICAS}), 0)",
                     "{{addr}}")], "bytes", w=8),

        row("Exporter"),
        timeseries("Collection cycle", "Wall time of the exporter's last cycle (discovery plus every node in "
                   "parallel) and of each node's collection. A cycle close to --command-timeout means a node "
                   "is hanging.",
                   [(f"valkey_exporter_cycle_duration_seconds{S}", "cycle"),
                    (f"valkey_exporter_collection_duration_seconds{S}", "{{addr}}")], "s", w=8),
        timeseries("Age of each node's data", "Seconds since each node was last collected successfully (the "
                   "JSON API's collectedAt). A node whose age grows is failing: see the errors next to it.",
                   [(f"time() - valkey_exporter_last_collection_timestamp_seconds{S}", "{{addr}}")], "s", w=8),
        timeseries("Collection errors", "Failed collections per second by node and reason (timeout, refused, "
                   "auth, noperm, tls, ...), and failed discoveries. 'none' means no error in the range.",
                   [(f"sum by (addr, reason) (rate(valkey_exporter_collection_errors_total{S}[{RI}])) "
                     f"or on() label_replace(vector(0), \"reason\", \"none\", \"\", \"\")", "{{addr}} {{reason}}"),
                    (f"sum by (reason) (rate(valkey_exporter_discovery_errors_total{S}[{RI}])) "
                     f"or on() label_replace(vector(0), \"reason\", \"none\", \"\", \"\")", "discovery {{reason}}")],
                   "cps", w=8),
        stat("Slot statistics", "What CLUSTER SLOT-STATS gave in the last cycle: full, keys_only "
             "(cluster-slot-stats-enabled no: no CPU/network per slot), unsupported (Redis 7, Valkey < 8), "
             "not_cluster, unavailable (e.g. the exporter's user lacks +cluster|slot-stats).",
             [(f"valkey_exporter_slot_stats_availability{S} == 1", "{{state}}")], "none", text_mode="name",
             thresh=thresholds("blue"), w=6),
        stat("Series exported", "Samples in the exporter's last exposition: about 65k with every slot "
             "(--slot-metrics all), a few hundred with --slot-metrics none.",
             [(f"valkey_exporter_series{S}", "")], "none", color_mode="value", thresh=thresholds("blue"), w=6),
        stat("Prometheus scrape", "Prometheus' own up series for the exporter: DOWN means Prometheus cannot "
             "scrape /metrics at all (exporter down, network, TLS or basic auth).",
             [(f"up{S}", "")], "none", mappings=UP_DOWN, thresh=thresholds("red", (1, "green")), w=6),
        stat("Scrape duration", "How long Prometheus took to scrape /metrics. The exporter renders the "
             "exposition once per cycle, so a scrape should take milliseconds; seconds mean a slow network "
             "path or an overloaded exporter host.",
             [(f"scrape_duration_seconds{S}", "")], "s", color_mode="value", decimals=3,
             thresh=thresholds("green", (1, "yellow"), (5, "red")), w=6),
    ]


def build():
    variables = [datasource_variable(), *cluster_variables()]
    return dashboard("valkey-cluster-overview", "Valkey cluster overview",
                     "Health of one Valkey cluster as seen by valkey-cluster-exporter: state, slot coverage, "
                     "nodes, resources, replication and the exporter's own freshness.", variables, panels())
