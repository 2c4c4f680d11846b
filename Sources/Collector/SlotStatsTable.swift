import ClusterModel

/// Per-slot counters for the whole cluster, each slot counted once: from the primary that owns it in
/// the topology of the same cycle.
///
/// Each owner's entries are kept as the array its reply was read into, and a dense 16384-entry index says where
/// each slot's entry is. Building the table is then one 8-byte write per slot, instead of copying 16384 entries
/// into a dense table of optionals with an owner id (a retained string) per slot: that copy ran after the last
/// node's reply, on the critical path of every cycle.
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

    /// Where one slot's entry is: `segments[segment][position]`.
    private struct Location: Sendable {
        var segment: UInt32
        var position: UInt32
        static let none = Location(segment: .max, position: .max)
        var isNone: Bool { segment == .max }
    }

    public var availability: Availability
    /// One array of entries per recorded owner, in recording order; `segmentOwners[i]` reported `segments[i]`.
    private var segments: [[SlotStat]] = []
    private var segmentOwners: [NodeID] = []
    /// Indexed by slot number.
    private var locations: [Location]

    public init(availability: Availability) {
        self.availability = availability
        self.locations = Array(repeating: .none, count: SlotRanges.slotCount)
    }

    /// The entry for `slot`, or nil when no owner reported it (or `slot` is out of range).
    public func stat(ofSlot slot: Int) -> SlotStat? {
        guard let location = location(ofSlot: slot) else { return nil }
        return segments[Int(location.segment)][Int(location.position)]
    }

    /// The primary that reported `slot`, or nil when none did (or `slot` is out of range).
    public func owner(ofSlot slot: Int) -> NodeID? {
        location(ofSlot: slot).map { segmentOwners[Int($0.segment)] }
    }

    /// The reported slots, ascending.
    public var reportedSlots: [Int] {
        locations.indices.filter { !locations[$0].isNone }
    }

    /// Records `stat` as reported by `owner`; a later record for the same slot replaces it.
    public mutating func record(_ stat: SlotStat, owner: NodeID) {
        if segmentOwners.last != owner {
            segments.append([])
            segmentOwners.append(owner)
        }
        let segment = segments.count - 1
        locations[stat.slot] = Location(segment: UInt32(segment), position: UInt32(segments[segment].count))
        segments[segment].append(stat)
    }

    /// Records `stats` as reported by `owner`, keeping the array itself as their storage: no entry is copied.
    /// A later entry for the same slot replaces an earlier one.
    public mutating func record(_ stats: [SlotStat], owner: NodeID) {
        guard !stats.isEmpty else { return }
        let segment = UInt32(segments.count)
        segments.append(stats)
        segmentOwners.append(owner)
        locations.withUnsafeMutableBufferPointer { table in
            for (position, stat) in stats.enumerated() {
                // `SlotStat.slot` is 0...16383 by construction, so the unchecked store stays inside the table.
                table[stat.slot] = Location(segment: segment, position: UInt32(position))
            }
        }
    }

    /// Adds keys held by a node importing `slot` (legacy migration) to the owner's count, saturating.
    public mutating func addImportedKeys(_ count: Int64, toSlot slot: Int) {
        guard let location = location(ofSlot: slot) else { return }
        // Copies the owner's segment once if a node outcome still shares it; only during a legacy migration.
        let (segment, position) = (Int(location.segment), Int(location.position))
        let (sum, overflow) = segments[segment][position].keyCount.addingReportingOverflow(count)
        segments[segment][position].keyCount = overflow ? .max : sum
    }

    /// How many slots have data.
    public var reportedSlotCount: Int { locations.reduce(0) { $0 + ($1.isNone ? 0 : 1) } }

    /// Sum of key counts over all reported slots.
    /// (saturating: a broken node's counts must not trap the process).
    public var totalKeys: Int64 {
        locations.indices.reduce(0) { total, slot in
            let (sum, overflow) = total.addingReportingOverflow(stat(ofSlot: slot)?.keyCount ?? 0)
            return overflow ? .max : sum
        }
    }

    private func location(ofSlot slot: Int) -> Location? {
        guard locations.indices.contains(slot) else { return nil }
        let location = locations[slot]
        return location.isNone ? nil : location
    }
}
