/// One `[integer, {name: integer, ...}]` entry that the scanner read while validating a reply, so that
/// ``RESPReader/nextCounterRecord(_:)`` can take it instead of walking the same bytes a second time.
struct CounterEntry: Sendable {
    /// What ``RESPReader/nextCounterRecord(_:)`` would have read at `offset`.
    var record: CounterRecord
    /// The entry's size in bytes.
    var length: UInt32
    /// Where the entry starts, from the first byte of the token's value.
    var offset: Int
}

/// The entries the scanner recorded in one reply, and the names they were matched against.
///
/// A class so that a token without entries (nearly all of them, and every element of an aggregate) pays one
/// nil reference, not the names' 160 bytes.
final class CounterEntries: Sendable {
    let names: CounterNames
    let entries: [CounterEntry]

    init(names: CounterNames, entries: [CounterEntry]) {
        self.names = names
        self.entries = entries
    }
}

extension RESPScanner {
    /// Validates and reads, in one pass, a whole `[integer, map]` entry starting at `start` (whose first byte is
    /// `*`): `*2`, an integer, then a RESP3 map or RESP2 even-length array of bulk-string names and integer values.
    /// Returns nil when the entry is not complete in `bytes` or is anything but that shape with plain numbers; the
    /// general path then validates it item by item, which is what makes this path safe to skip: it accepts only a
    /// subset of what the item-by-item path accepts, under the same limits, with the same result.
    ///
    /// - Parameter depth: open aggregates around the entry; the entry adds two levels.
    @inline(__always)
    static func scanCounterEntry(
        _ bytes: UnsafeRawBufferPointer, from start: Int, available: Int, depth: Int, limits: RESPLimits,
        names: CounterNames
    ) -> (end: Int, record: CounterRecord)? {
        // "*2\r\n:", the outer pair and the start of its integer key: "2\r\n:" as one little-endian load after the
        // `*` the caller saw.
        guard available &- start >= 5, bytes.loadUnaligned(fromByteOffset: start &+ 1, as: UInt32.self) == 0x3A0A_0D32,
              depth + 2 <= limits.maxDepth, limits.maxAggregateCount >= 2
        else { return nil }
        var index = start &+ 5
        var record = CounterRecord()
        guard let key = number(bytes, &index, available, signed: true), index < available else { return nil }
        record.key = key
        let marker = bytes[index]
        guard marker == RESPTypeIdentifier.map.rawValue || marker == RESPTypeIdentifier.array.rawValue else { return nil }
        index &+= 1
        guard let count = number(bytes, &index, available, signed: false) else { return nil }
        let isMap = marker == RESPTypeIdentifier.map.rawValue
        // At most 18 digits, so doubling cannot overflow.
        let elements = isMap ? count &* 2 : count
        guard elements <= Int64(limits.maxAggregateCount), isMap || count % 2 == 0 else { return nil }
        let pairs = isMap ? count : count / 2
        var pair: Int64 = 0
        while pair < pairs {
            // The common case: the name the pair's position predicts (SLOT-STATS sends its names in the order
            // of `names`), matched as one header. It accepts exactly what the steps below would for that name.
            let header = names.headerLength(
                of: Int(pair), in: bytes, at: index, available: available, maxBulkLength: limits.maxBulkLength)
            if header > 0 {
                index &+= header
                guard let value = number(bytes, &index, available, signed: true) else { return nil }
                record.set(value, at: Int(pair))
                pair += 1
                continue
            }
            guard index < available, bytes[index] == RESPTypeIdentifier.bulkString.rawValue else { return nil }
            index += 1
            guard let length = number(bytes, &index, available, signed: false), length <= Int64(limits.maxBulkLength)
            else { return nil }
            let nameStart = index
            // `length` is below the bulk limit, so this cannot overflow; the bounds check follows.
            index += Int(length)
            guard index + 2 < available, bytes[index] == .cr, bytes[index + 1] == .lf, bytes[index + 2] == .colon
            else { return nil }
            index += 3
            guard let value = number(bytes, &index, available, signed: true) else { return nil }
            if let position = names.position(in: bytes, at: nameStart, length: Int(length)) {
                record.set(value, at: position)
            }
            pair += 1
        }
        return (index, record)
    }

    /// The number on the line at `index` (just past its type byte): an optional `-` when `signed`, then 1 to 18
    /// digits (so it cannot overflow), then CRLF. Moves `index` past the CRLF; nil (index unchanged) otherwise.
    @inline(__always)
    private static func number(
        _ bytes: UnsafeRawBufferPointer, _ index: inout Int, _ available: Int, signed: Bool
    ) -> Int64? {
        // Wrapping arithmetic throughout: cursor stays below `available`, and the overflow checks cost more than
        // the digits. The digit loop stops at 19 digits, so the value cannot overflow before it is refused.
        var cursor = index
        var negative = false
        if signed, cursor < available, bytes[cursor] == .minus {
            negative = true
            cursor &+= 1
        }
        let digitsStart = cursor
        let digitsEnd = min(available, digitsStart &+ 19)
        var value: Int64 = 0
        while cursor < digitsEnd {
            let digit = bytes[cursor] &- .zero
            guard digit < 10 else { break }
            value = value &* 10 &+ Int64(digit)
            cursor &+= 1
        }
        let digits = cursor &- digitsStart
        guard digits > 0, digits <= 18, cursor &+ 1 < available, bytes[cursor] == .cr, bytes[cursor &+ 1] == .lf else {
            return nil
        }
        index = cursor &+ 2
        return negative ? 0 &- value : value
    }
}
