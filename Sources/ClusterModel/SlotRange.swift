/// A contiguous run of hash slots, both ends included, within 0...16383.
public struct SlotRange: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The first slot in the range.
    public var lowerBound: Int
    /// The last slot in the range (inclusive).
    public var upperBound: Int

    /// Creates a range. Bounds outside 0...16383 or a start after the end are programmer errors and trap;
    /// parsers validate wire input before calling this.
    public init(_ lowerBound: Int, _ upperBound: Int) {
        precondition(
            SlotRanges.validSlots.contains(lowerBound) && SlotRanges.validSlots.contains(upperBound) && lowerBound <= upperBound,
            "invalid slot range \(lowerBound)-\(upperBound)")
        self.lowerBound = lowerBound
        self.upperBound = upperBound
    }

    /// Creates a range from a closed range of slots; traps on invalid slots like `init(_:_:)`.
    public init(_ slots: ClosedRange<Int>) {
        self.init(slots.lowerBound, slots.upperBound)
    }

    /// A range holding a single slot.
    public init(slot: Int) {
        self.init(slot, slot)
    }

    /// How many slots the range holds.
    public var count: Int { upperBound - lowerBound + 1 }

    /// The same slots as a `ClosedRange`, for iteration.
    public var slots: ClosedRange<Int> { lowerBound...upperBound }

    /// Whether `slot` lies in the range.
    public func contains(_ slot: Int) -> Bool {
        slot >= lowerBound && slot <= upperBound
    }

    /// `"0-99"`, or just `"100"` for a single slot: the `CLUSTER NODES` notation.
    public var description: String {
        lowerBound == upperBound ? "\(lowerBound)" : "\(lowerBound)-\(upperBound)"
    }

    /// Orders by first slot, then by last slot.
    public static func < (lhs: SlotRange, rhs: SlotRange) -> Bool {
        (lhs.lowerBound, lhs.upperBound) < (rhs.lowerBound, rhs.upperBound)
    }
}

/// Helpers for lists of slot ranges.
public enum SlotRanges {
    /// The number of hash slots in a Valkey cluster.
    public static let slotCount = 16384

    /// Every valid slot number.
    public static let validSlots: ClosedRange<Int> = 0...(slotCount - 1)

    /// Comma-separated `CLUSTER NODES` notation: `"0-99,101-5460"`, `"100"` for a single slot, `""` for none.
    public static func format(_ ranges: [SlotRange]) -> String {
        ranges.map(\.description).joined(separator: ",")
    }

    /// Merges slots into the fewest sorted ranges. Order and duplicates do not matter;
    /// slots outside 0...16383 are ignored, since no range can hold them.
    public static func coalesce(_ slots: some Sequence<Int>) -> [SlotRange] {
        // A bitmap costs 16 KB and makes this linear whatever the input order.
        var present = [Bool](repeating: false, count: slotCount)
        for slot in slots where validSlots.contains(slot) {
            present[slot] = true
        }
        var ranges: [SlotRange] = []
        var start: Int?
        for slot in 0..<slotCount {
            if present[slot] {
                if start == nil { start = slot }
            } else if let first = start {
                ranges.append(SlotRange(first, slot - 1))
                start = nil
            }
        }
        if let first = start {
            ranges.append(SlotRange(first, slotCount - 1))
        }
        return ranges
    }

    /// The total number of slots in `ranges` (overlaps counted twice).
    public static func count(_ ranges: [SlotRange]) -> Int {
        ranges.reduce(0) { $0 + $1.count }
    }
}
