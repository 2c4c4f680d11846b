import RESP

/// Decodes a `CLUSTER SLOT-STATS` reply: an array of `[slot, {metric: value}]` pairs, where the
/// inner map is a flat array in RESP2 and a map in RESP3.
enum SlotStatsReply {
    /// Parses every entry, or fails on a shape that is not SLOT-STATS (wrong types, slot out of range).
    static func parse(_ token: RESPToken) -> Result<[SlotStat], SlotStatsParseError> {
        guard case .array(let entries) = token.value else { return .failure(.init("reply is not an array")) }
        var stats: [SlotStat] = []
        stats.reserveCapacity(entries.count)
        for entry in entries {
            guard case .array(let pair) = entry.value, pair.count == 2 else {
                return .failure(.init("entry is not a [slot, metrics] pair"))
            }
            var iterator = pair.makeIterator()
            guard let slotToken = iterator.next(), case .integer(let slot) = slotToken.value,
                  (0...16383).contains(slot), let metricsToken = iterator.next()
            else { return .failure(.init("entry has no valid slot number")) }
            var stat = SlotStat(slot: Int(slot), keyCount: 0)
            var sawKeyCount = false
            let apply: (RESPToken, RESPToken) -> Bool = { name, value in
                guard case .integer(let number) = value.value, let metric = name.string else { return false }
                switch metric {
                case "key-count": stat.keyCount = number; sawKeyCount = true
                case "cpu-usec": stat.cpuUsec = number
                case "network-bytes-in": stat.networkBytesIn = number
                case "network-bytes-out": stat.networkBytesOut = number
                default: break  // newer servers may add metrics; ignore what we do not export
                }
                return true
            }
            switch metricsToken.value {
            case .map(let map):
                for (name, value) in map where !apply(name, value) {
                    return .failure(.init("metric value is not an integer"))
                }
            case .array(let flat):
                guard flat.count % 2 == 0 else { return .failure(.init("odd-length metrics array")) }
                var it = flat.makeIterator()
                while let name = it.next(), let value = it.next() {
                    if !apply(name, value) { return .failure(.init("metric value is not an integer")) }
                }
            default:
                return .failure(.init("metrics are neither a map nor an array"))
            }
            guard sawKeyCount else { return .failure(.init("entry has no key-count")) }
            stats.append(stat)
        }
        return .success(stats)
    }
}

/// A SLOT-STATS reply whose shape we do not understand.
struct SlotStatsParseError: Error, Sendable, Hashable {
    var message: String
    init(_ message: String) { self.message = message }
}
