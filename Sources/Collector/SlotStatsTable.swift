import ClusterModel

/// Per-slot counters for the whole cluster, each slot counted once: from the primary that owns it in
/// the topology of the same cycle. A dense table of 16384 entries, `nil` where no owner reported.
public struct SlotStatsTable: Sendable {
    /// What the cluster could tell us about slots this cycle.
    public enum Availability: Sendable, Hashable {
        /// Key counts plus cpu and network counters.
        case full
        /// Key counts only: the server runs with `cluster-slot-stats-enabled no`.
        case keysOnly
        /// The server has no `CLUSTER SLOT-STATS` (Redis 7, Valkey < 8).
        case unsupported
        /// The server is not in cluster mode.
        case notCluster
        /// No primary answered SLOT-STATS (all down, or no permission).
        case unavailable
    }

    public var availability: Availability
    /// Indexed by slot number.
    public private(set) var entries: [SlotStat?]
    /// Owning primary for each reported slot, indexed by slot number.
    public private(set) var owners: [NodeID?]

    public init(availability: Availability) {
        self.availability = availability
        self.entries = Array(repeating: nil, count: SlotRanges.slotCount)
        self.owners = Array(repeating: nil, count: SlotRanges.slotCount)
    }

    /// Records `stat` as reported by `owner`.
    public mutating func record(_ stat: SlotStat, owner: NodeID) {
        entries[stat.slot] = stat
        owners[stat.slot] = owner
    }

    /// Adds keys held by a node importing `slot` (legacy migration) to the owner's count, saturating.
    public mutating func addImportedKeys(_ count: Int64, toSlot slot: Int) {
        guard var stat = entries[slot] else { return }
        let (sum, overflow) = stat.keyCount.addingReportingOverflow(count)
        stat.keyCount = overflow ? .max : sum
        entries[slot] = stat
    }

    /// How many slots have data.
    public var reportedSlotCount: Int { entries.reduce(0) { $0 + ($1 == nil ? 0 : 1) } }

    /// Sum of key counts over all reported slots.
    /// (saturating: a broken node's counts must not trap the process).
    public var totalKeys: Int64 {
        entries.reduce(0) { total, entry in
            let (sum, overflow) = total.addingReportingOverflow(entry?.keyCount ?? 0)
            return overflow ? .max : sum
        }
    }
}
