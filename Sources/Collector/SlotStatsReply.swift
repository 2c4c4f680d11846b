import RESP

/// Decodes a `CLUSTER SLOT-STATS` reply: an array of `[slot, {metric: value}]` pairs, where the
/// inner map is a flat array in RESP2 and a map in RESP3.
enum SlotStatsReply {
    /// Parses every entry, or fails on a shape that is not SLOT-STATS (wrong types, slot out of range).
    static func parse(_ token: RESPToken) -> Result<[SlotStat], SlotStatsParseError> {
        token.withReader { reader in
            guard case .array(let count) = reader.next() else { return .failure(.init("reply is not an array")) }
            var stats: [SlotStat] = []
            stats.reserveCapacity(count)
            for _ in 0..<count {
                guard case .array(2) = reader.next() else { return .failure(.init("entry is not a [slot, metrics] pair")) }
                guard case .integer(let slot) = reader.next(), (0...16383).contains(slot) else {
                    return .failure(.init("entry has no valid slot number"))
                }
                // RESP3 sends the metrics as a map, RESP2 as a flat array of name, value, name, value...
                let pairs: Int
                switch reader.next() {
                case .map(let count): pairs = count
                case .array(let count) where count % 2 == 0: pairs = count / 2
                default: return .failure(.init("metrics are neither a map nor an even-length array"))
                }
                var stat = SlotStat(slot: Int(slot), keyCount: 0)
                var sawKeyCount = false
                for _ in 0..<pairs {
                    guard case .string(let name) = reader.next() else { return .failure(.init("metric name is not a string")) }
                    guard case .integer(let number) = reader.next() else { return .failure(.init("metric value is not an integer")) }
                    switch SlotMetric(reader, name) {
                    case .keyCount: stat.keyCount = number; sawKeyCount = true
                    case .cpuUsec: stat.cpuUsec = number
                    case .networkBytesIn: stat.networkBytesIn = number
                    case .networkBytesOut: stat.networkBytesOut = number
                    case nil: break  // newer servers may add metrics; ignore what we do not export
                    }
                }
                guard sawKeyCount else { return .failure(.init("entry has no key-count")) }
                stats.append(stat)
            }
            return .success(stats)
        }
    }
}

/// The SLOT-STATS metric names we export, matched on the reply's bytes: a full reply carries 21844 of
/// them, and building a `String` for each costs more than the rest of the parse.
enum SlotMetric {
    case keyCount, cpuUsec, networkBytesIn, networkBytesOut

    private static let names: [(SlotMetric, [UInt8])] = [
        (.keyCount, Array("key-count".utf8)), (.cpuUsec, Array("cpu-usec".utf8)),
        (.networkBytesIn, Array("network-bytes-in".utf8)), (.networkBytesOut, Array("network-bytes-out".utf8)),
    ]

    init?(_ reader: RESPReader, _ name: Range<Int>) {
        // The four names have four different lengths, so the length picks the candidate.
        for (metric, bytes) in Self.names where bytes.count == name.count {
            guard reader.bytesEqual(name, bytes) else { return nil }
            self = metric
            return
        }
        return nil
    }
}

/// A SLOT-STATS reply whose shape we do not understand.
struct SlotStatsParseError: Error, Sendable, Hashable {
    var message: String
    init(_ message: String) { self.message = message }
}
