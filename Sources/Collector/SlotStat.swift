/// One slot's counters from `CLUSTER SLOT-STATS`, attributed to the primary that owns the slot.
///
/// `cpuUsec` and the network counters are `nil` when the server runs with `cluster-slot-stats-enabled no`:
/// it then reports key counts only, and we never invent zeros for the rest.
public struct SlotStat: Sendable, Hashable {
    public var slot: Int
    public var keyCount: Int64
    public var cpuUsec: Int64?
    public var networkBytesIn: Int64?
    public var networkBytesOut: Int64?

    public init(slot: Int, keyCount: Int64, cpuUsec: Int64? = nil, networkBytesIn: Int64? = nil, networkBytesOut: Int64? = nil) {
        self.slot = slot
        self.keyCount = keyCount
        self.cpuUsec = cpuUsec
        self.networkBytesIn = networkBytesIn
        self.networkBytesOut = networkBytesOut
    }

    /// Whether the per-slot cpu and network counters were reported.
    public var hasResourceCounters: Bool { cpuUsec != nil }
}
