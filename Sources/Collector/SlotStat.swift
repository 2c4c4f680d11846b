/// One slot's counters from `CLUSTER SLOT-STATS`, attributed to the primary that owns the slot.
///
/// `cpuUsec` and the network counters are `nil` when the server runs with `cluster-slot-stats-enabled no`:
/// it then reports key counts only, and we never invent zeros for the rest.
public struct SlotStat: Sendable, Hashable {
    // Stored compactly (40 bytes instead of 64 with three `Int64?` and an `Int` slot): a cycle builds 16384 of
    // these, and every byte of them is written, read by the slot table and rendered once per cycle.
    // An absent counter is stored as 0 with its bit clear, so the synthesized `==` and hash stay exact.
    private var storedCPUUsec: Int64 = 0
    private var storedNetworkBytesIn: Int64 = 0
    private var storedNetworkBytesOut: Int64 = 0
    public var keyCount: Int64
    private var storedSlot: UInt16
    /// Bit 0: cpuUsec, 1: networkBytesIn, 2: networkBytesOut reported.
    private var present: UInt8 = 0

    public init(slot: Int, keyCount: Int64, cpuUsec: Int64? = nil, networkBytesIn: Int64? = nil, networkBytesOut: Int64? = nil) {
        precondition((0...16383).contains(slot), "slot \(slot) is out of range")
        self.storedSlot = UInt16(slot)
        self.keyCount = keyCount
        self.cpuUsec = cpuUsec
        self.networkBytesIn = networkBytesIn
        self.networkBytesOut = networkBytesOut
    }

    /// The slot number, 0...16383.
    public var slot: Int {
        get { Int(storedSlot) }
        set {
            precondition((0...16383).contains(newValue), "slot \(newValue) is out of range")
            storedSlot = UInt16(newValue)
        }
    }

    public var cpuUsec: Int64? {
        get { counter(storedCPUUsec, bit: 1) }
        set { (storedCPUUsec, present) = Self.stored(newValue, bit: 1, in: present) }
    }

    public var networkBytesIn: Int64? {
        get { counter(storedNetworkBytesIn, bit: 2) }
        set { (storedNetworkBytesIn, present) = Self.stored(newValue, bit: 2, in: present) }
    }

    public var networkBytesOut: Int64? {
        get { counter(storedNetworkBytesOut, bit: 4) }
        set { (storedNetworkBytesOut, present) = Self.stored(newValue, bit: 4, in: present) }
    }

    /// Whether the per-slot cpu and network counters were reported.
    public var hasResourceCounters: Bool { cpuUsec != nil }

    private func counter(_ value: Int64, bit: UInt8) -> Int64? { present & bit != 0 ? value : nil }

    private static func stored(_ value: Int64?, bit: UInt8, in present: UInt8) -> (Int64, UInt8) {
        (value ?? 0, value == nil ? present & ~bit : present | bit)
    }
}
