import ClusterModel
import Collector

/// Per-slot families from `CLUSTER SLOT-STATS`, each slot once, labelled with its owning primary.
extension MetricsRenderer {
    static let slotKeys = MetricFamily.gauge("valkey_slot_keys", "Keys in the slot (CLUSTER SLOT-STATS key-count), from its owning primary.")
    static let slotCPU = MetricFamily.counter("valkey_slot_cpu_seconds", "CPU time spent on the slot's commands (cpu-usec); resets when the slot migrates or on CONFIG RESETSTAT.")
    static let slotReceived = MetricFamily.counter("valkey_slot_network_received_bytes", "Bytes received for the slot's commands (network-bytes-in); resets when the slot migrates.")
    static let slotSent = MetricFamily.counter("valkey_slot_network_sent_bytes", "Bytes sent for the slot's commands (network-bytes-out); resets when the slot migrates.")

    static let slotStatsAvailability = MetricFamily.gauge(
        "valkey_exporter_slot_stats_availability",
        "1 for what CLUSTER SLOT-STATS gave this cycle, 0 for the other states: full, keys_only (cluster-slot-stats-enabled no), unsupported (Redis 7, Valkey < 8), not_cluster, unavailable (no primary answered).")

    /// Each state's label value, in the order the samples are written.
    static let availabilityStates: [(SlotStatsTable.Availability, String)] = [
        (.full, "full"), (.keysOnly, "keys_only"), (.unsupported, "unsupported"), (.notCluster, "not_cluster"),
        (.unavailable, "unavailable"),
    ]

    func writeSlotFamilies(_ snapshot: ClusterSnapshot, into writer: inout MetricWriter) {
        let table = snapshot.slotStats
        // Says why per-slot series are missing, so a dashboard can tell Redis 7 from --slot-metrics none.
        writer.begin(Self.slotStatsAvailability)
        for (state, label) in Self.availabilityStates {
            writer.sample(extra: "state=\"\(label)\"", Int64(table.availability == state ? 1 : 0))
        }
        let slots = selectedSlots(table)
        guard !slots.isEmpty else { return }
        // One encoded `",node_id="..."} ` per owner, looked up once per slot (not per family and slot).
        var byOwner: [NodeID: [UInt8]] = [:]
        let suffixes: [[UInt8]] = slots.map { slot in
            let owner = table.owner(ofSlot: slot)!
            if let known = byOwner[owner] { return known }
            let suffix = MetricWriter.slotSuffix(ownerLabels: MetricWriter.labels(["node_id": owner.rawValue]))
            byOwner[owner] = suffix
            return suffix
        }
        let stats = slots.map { table.stat(ofSlot: $0)! }
        writer.begin(Self.slotKeys)
        for i in slots.indices { writer.slotSample(slot: slots[i], suffix: suffixes[i], stats[i].keyCount) }
        // Servers with cluster-slot-stats-enabled no report key counts only: no series rather than zeros.
        let tracked = slots.indices.filter { stats[$0].cpuUsec != nil }
        guard !tracked.isEmpty else { return }
        writer.begin(Self.slotCPU)
        for i in tracked { writer.slotSample(slot: slots[i], suffix: suffixes[i], micros: stats[i].cpuUsec!) }
        writer.begin(Self.slotReceived)
        for i in tracked { writer.slotSample(slot: slots[i], suffix: suffixes[i], stats[i].networkBytesIn ?? 0) }
        writer.begin(Self.slotSent)
        for i in tracked { writer.slotSample(slot: slots[i], suffix: suffixes[i], stats[i].networkBytesOut ?? 0) }
    }

    /// Slot numbers to export, ascending.
    func selectedSlots(_ table: SlotStatsTable) -> [Int] {
        let reported = table.reportedSlots
        switch slotMetrics {
        case .all: return reported
        case .none: return []
        case .top(let count, let measure):
            func score(_ slot: Int) -> Int64 {
                let stat = table.stat(ofSlot: slot)!
                switch measure {
                case .keys: return stat.keyCount
                case .cpu: return stat.cpuUsec ?? 0
                case .network:
                    // Saturating: a broken node's counters must not trap the renderer.
                    let (sum, overflow) = (stat.networkBytesIn ?? 0).addingReportingOverflow(stat.networkBytesOut ?? 0)
                    return overflow ? .max : sum
                }
            }
            let ranked = reported.sorted { score($0) != score($1) ? score($0) > score($1) : $0 < $1 }
            return ranked.prefix(count).sorted()
        }
    }
}
