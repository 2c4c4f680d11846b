import ClusterModel
import Collector

/// Per-slot families from `CLUSTER SLOT-STATS`, each slot once, labelled with its owning primary.
extension MetricsRenderer {
    static let slotKeys = MetricFamily.gauge("valkey_slot_keys", "Keys in the slot (CLUSTER SLOT-STATS key-count), from its owning primary.")
    static let slotCPU = MetricFamily.counter("valkey_slot_cpu_seconds", "CPU time spent on the slot's commands (cpu-usec); resets when the slot migrates or on CONFIG RESETSTAT.")
    static let slotReceived = MetricFamily.counter("valkey_slot_network_received_bytes", "Bytes received for the slot's commands (network-bytes-in); resets when the slot migrates.")
    static let slotSent = MetricFamily.counter("valkey_slot_network_sent_bytes", "Bytes sent for the slot's commands (network-bytes-out); resets when the slot migrates.")

    func writeSlotFamilies(_ snapshot: ClusterSnapshot, into writer: inout MetricWriter) {
        let table = snapshot.slotStats
        let slots = selectedSlots(table)
        guard !slots.isEmpty else { return }
        // One escaped `node_id="..."` per owner, reused for every slot it owns.
        var ownerLabels: [NodeID: String] = [:]
        for slot in slots where ownerLabels[table.owners[slot]!] == nil {
            ownerLabels[table.owners[slot]!] = MetricWriter.labels(["node_id": table.owners[slot]!.rawValue])
        }
        writer.begin(Self.slotKeys)
        for slot in slots { writer.slotSample(slot: slot, owner: ownerLabels[table.owners[slot]!]!, table.entries[slot]!.keyCount) }
        // Servers with cluster-slot-stats-enabled no report key counts only: no series rather than zeros.
        let tracked = slots.filter { table.entries[$0]!.cpuUsec != nil }
        guard !tracked.isEmpty else { return }
        writer.begin(Self.slotCPU)
        for slot in tracked {
            writer.slotSample(slot: slot, owner: ownerLabels[table.owners[slot]!]!, Double(table.entries[slot]!.cpuUsec!) / 1_000_000)
        }
        writer.begin(Self.slotReceived)
        for slot in tracked {
            writer.slotSample(slot: slot, owner: ownerLabels[table.owners[slot]!]!, table.entries[slot]!.networkBytesIn ?? 0)
        }
        writer.begin(Self.slotSent)
        for slot in tracked {
            writer.slotSample(slot: slot, owner: ownerLabels[table.owners[slot]!]!, table.entries[slot]!.networkBytesOut ?? 0)
        }
    }

    /// Slot numbers to export, ascending.
    func selectedSlots(_ table: SlotStatsTable) -> [Int] {
        let reported = (0..<SlotRanges.slotCount).filter { table.entries[$0] != nil && table.owners[$0] != nil }
        switch slotMetrics {
        case .all: return reported
        case .none: return []
        case .top(let count, let measure):
            func score(_ slot: Int) -> Int64 {
                let stat = table.entries[slot]!
                switch measure {
                case .keys: return stat.keyCount
                case .cpu: return stat.cpuUsec ?? 0
                case .network: return (stat.networkBytesIn ?? 0) + (stat.networkBytesOut ?? 0)
                }
            }
            let ranked = reported.sorted { score($0) != score($1) ? score($0) > score($1) : $0 < $1 }
            return ranked.prefix(count).sorted()
        }
    }
}
