"""Valkey slots: all 16384 slots by keys, CPU and network; the hottest slots; skew between shards."""
from grafana import (bargauge, cluster_variables, custom_variable, dashboard, datasource_variable, heatmap,
                     piechart, row, sel, stat, table, thresholds, timeseries)

S = sel()
RI = "$__rate_interval"
INFO = f"valkey_node_info{S}"
# Slot series carry node_id only; the primary's address comes from its info series.
WITH_ADDR = f"* on(node_id) group_left(addr) {INFO}"
NODE_LINK = "/d/valkey-node-detail/valkey-node-detail?${__url_time_range}&${datasource:queryparam}" \
            "&${job:queryparam}&${instance:queryparam}&var-node=${__value.raw}"


def by_slot_range(vector):
    """Sums a per-slot vector into 164 buckets of 100 slots. The exposition has no slot-range label, so the
    bucket is cut from the slot number's digits; each label_replace applies only where its regex matches the
    whole slot label, one per slot length. The label is the first slot of the bucket, zero-padded to 5 digits
    so that Prometheus' label order (and so the heatmap's row order) is the numeric order."""
    steps = [("${1}00", r"(\d{3})\d\d"),   # 10000-16383 -> 10000, 10100, ...
             ("0${1}00", r"(\d\d)\d\d"),  # 1000-9999 -> 01000, ...
             ("00${1}00", r"(\d)\d\d"),   # 100-999 -> 00100, ...
             ("00000", r"\d\d?")]         # 0-99
    expr = vector
    for replacement, regex in steps:
        expr = f'label_replace({expr}, "slot_range", "{replacement}", "slot", `{regex}`)'
    return f"sum by (slot_range) ({expr})"


def per_primary(vector):
    return f"sum by (addr) ({vector} {WITH_ADDR})"


KEYS = f"valkey_slot_keys{S}"
CPU = f"rate(valkey_slot_cpu_seconds_total{S}[{RI}])"
NET = f"(rate(valkey_slot_network_received_bytes_total{S}[{RI}]) + " \
      f"rate(valkey_slot_network_sent_bytes_total{S}[{RI}]))"


def share(vector):
    return f"{per_primary(vector)} / scalar(sum({vector}))"


def imbalance(vector):
    return f"max({per_primary(vector)}) / avg({per_primary(vector)})"


IMBALANCE = thresholds("green", (1.5, "yellow"), (2, "red"))


def panels():
    return [
        row("Slot map (rows of 100 slots)"),
        heatmap("Keys by slot range", "Keys in each range of 100 slots (rows, labelled by the first slot; 164 "
                "rows cover 0-16383) over time. A bright row is a range holding far more keys than the rest: "
                "usually a hash tag ({...}) that puts many keys in one slot. Find the slot in 'Top slots by "
                "keys'.", by_slot_range(KEYS), "{{slot_range}}", "none"),
        heatmap("CPU by slot range", "CPU time per second spent on the commands of each range of 100 slots "
                "(CLUSTER SLOT-STATS cpu-usec); 100% is one core. A hot row is a hot key or hash tag; several "
                "hot rows in one primary's slot ranges make a hot shard.", by_slot_range(CPU),
                "{{slot_range}}", "percentunit", scheme="Reds"),
        heatmap("Network by slot range", "Bytes per second received plus sent for the commands of each range of "
                "100 slots (network-bytes-in + network-bytes-out). Large values without much CPU mean big "
                "values being read or written.", by_slot_range(NET), "{{slot_range}}", "Bps", scheme="Blues"),

        row("Hottest slots"),
        table("Top slots by keys", "The $topn slots holding the most keys now, with the primary that owns "
              "them.", [(f"topk($topn, {KEYS} {WITH_ADDR})", "")], "none", w=8, h=10,
              rename={"Value": "keys", "addr": "primary", "node_id": "primary id"}, sort_by="keys",
              links=("primary", "Node detail", NODE_LINK)),
        table("Top slots by CPU", "The $topn slots whose commands used the most CPU time over the dashboard's "
              "time range (counters reset when a slot migrates).",
              [(f"topk($topn, increase(valkey_slot_cpu_seconds_total{S}[$__range]) {WITH_ADDR})", "")], "s",
              w=8, h=10, rename={"Value": "CPU time", "addr": "primary", "node_id": "primary id"},
              sort_by="CPU time", links=("primary", "Node detail", NODE_LINK)),
        table("Top slots by network", "The $topn slots with the most bytes received plus sent over the "
              "dashboard's time range.",
              [(f"topk($topn, (increase(valkey_slot_network_received_bytes_total{S}[$__range]) + "
                f"increase(valkey_slot_network_sent_bytes_total{S}[$__range])) {WITH_ADDR})", "")], "bytes",
              w=8, h=10, rename={"Value": "bytes", "addr": "primary", "node_id": "primary id"},
              sort_by="bytes", links=("primary", "Node detail", NODE_LINK)),
        timeseries("Hottest slots by CPU", "The $topn slots using the most CPU per second at each moment; 100% "
                   "is one core. One slot near a core's worth is a hot key that resharding cannot fix: "
                   "only splitting the key can.",
                   [(f"topk($topn, {CPU})", "slot {{slot}}")], "percentunit", w=12),
        timeseries("Hottest slots by network", "The $topn slots moving the most bytes per second (received + "
                   "sent) at each moment.",
                   [(f"topk($topn, {NET})", "slot {{slot}}")], "Bps", w=12),

        row("Skew between shards"),
        stat("Key imbalance", "Keys of the fullest primary divided by the mean over primaries: 1.0 is perfectly "
             "balanced, 2.0 means one shard holds twice its share. Rebalance slots (valkey-cli --cluster "
             "rebalance) or fix the hash tags.", [(imbalance(KEYS), "")], "none", decimals=2,
             thresh=IMBALANCE, w=4),
        stat("CPU imbalance", "Slot CPU of the busiest primary divided by the mean over primaries (NaN while "
             "the cluster is idle).", [(imbalance(CPU), "")], "none", decimals=2, thresh=IMBALANCE, w=4),
        stat("Network imbalance", "Slot network bytes of the busiest primary divided by the mean over "
             "primaries (NaN while the cluster is idle).", [(imbalance(NET), "")], "none", decimals=2,
             thresh=IMBALANCE, w=4),
        stat("Slots with statistics", "Slots present in the per-slot series: 16384 when every slot is "
             "assigned and CLUSTER SLOT-STATS works (fewer with --slot-metrics top:N, none with "
             "--slot-metrics none or when slot statistics are unavailable).",
             [(f"count({KEYS}) or on() vector(0)", "")], "none", color_mode="value",
             thresh=thresholds("red", (16384, "green")), w=4),
        bargauge("Slots per primary", "Slots each primary owns. Equal slot counts do not mean equal load: "
                 "compare with the shares below.", [(f"count by (addr) ({KEYS} {WITH_ADDR})", "{{addr}}")],
                 "none", w=8, h=4, min_=0, max_=16384, thresh=thresholds("blue")),
        piechart("Share of keys per primary", "Each primary's part of all keys (summed from its slots).",
                 [(per_primary(KEYS), "{{addr}}")], "none"),
        piechart("Share of CPU per primary", "Each primary's part of the CPU time spent on slot commands over "
                 "the last interval.", [(per_primary(CPU), "{{addr}}")], "percentunit"),
        piechart("Share of network per primary", "Each primary's part of the slot network bytes per second.",
                 [(per_primary(NET), "{{addr}}")], "Bps"),
        timeseries("Key share over time", "Fraction of all keys held by each primary; a line drifting away from "
                   "1/number of primaries is a shard filling faster than the others.",
                   [(share(KEYS), "{{addr}}")], "percentunit", w=8, min_=0, max_=1),
        timeseries("CPU share over time", "Fraction of slot CPU per primary over time (empty while idle).",
                   [(share(CPU), "{{addr}}")], "percentunit", w=8, min_=0, max_=1),
        timeseries("Network share over time", "Fraction of slot network bytes per primary over time (empty "
                   "while idle).", [(share(NET), "{{addr}}")], "percentunit", w=8, min_=0, max_=1),
    ]


def build():
    variables = [datasource_variable(), *cluster_variables(),
                 custom_variable("topn", "Top N", ["10", "20", "50", "100"], "How many slots the top lists show.")]
    return dashboard("valkey-slots", "Valkey slots",
                     "All 16384 hash slots of one Valkey cluster by keys, CPU and network (CLUSTER SLOT-STATS), "
                     "the hottest slots and the skew between shards. Needs Valkey 8.0+ for slot statistics "
                     "(CPU and network need cluster-slot-stats-enabled yes).", variables, panels())
