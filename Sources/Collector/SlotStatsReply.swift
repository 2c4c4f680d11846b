import RESP

/// Decodes a `CLUSTER SLOT-STATS` reply: an array of `[slot, {metric: value}]` pairs, where the
/// inner map is a flat array in RESP2 and a map in RESP3.
public enum SlotStatsReply {
    /// The metric names a connection's decoder should read entries for (``RESPTokenDecoder/init(limits:counterNames:)``),
    /// so that ``parse(_:appendingTo:)`` takes the entries it already read instead of reading the bytes twice.
    public static let counterNames = SlotMetric.names

    /// Parses every entry, or fails on a shape that is not SLOT-STATS (wrong types, slot out of range).
    public static func parse(_ token: RESPToken) -> Result<[SlotStat], SlotStatsParseError> {
        token.withReader(counterNames: counterNames) { reader in
            var stats: [SlotStat] = []
            if let failure = parse(&reader, appendingTo: &stats) { return .failure(failure) }
            return .success(stats)
        }
    }

    /// Reads one SLOT-STATS reply at the reader's position and appends its entries to `stats`, so the replies of
    /// several slot ranges fill one array. Returns why the shape is wrong, or nil; after a failure the reader's
    /// position is undefined and `stats` may hold part of the reply.
    public static func parse(_ reader: inout RESPReader, appendingTo stats: inout [SlotStat]) -> SlotStatsParseError? {
        guard case .array(let count) = reader.next() else { return .init("reply is not an array") }
        stats.reserveCapacity(stats.count + count)
        let names = SlotMetric.names
        for _ in 0..<count {
            // Fast path: a well-formed entry is read in one tight pass. Anything it does not expect is read
            // again below, element by element, to say what is wrong (or to accept what it does not cover, such
            // as attributes or simple-string names).
            var fast = reader
            if let record = fast.nextCounterRecord(names), (0...16383).contains(record.key),
               record.found & 1 != 0 {
                stats.append(SlotStat(
                    slot: Int(record.key), keyCount: record.values.0,
                    cpuUsec: record.found & 2 != 0 ? record.values.1 : nil,
                    networkBytesIn: record.found & 4 != 0 ? record.values.2 : nil,
                    networkBytesOut: record.found & 8 != 0 ? record.values.3 : nil))
                reader = fast
                continue
            }
            guard case .array(2) = reader.next() else { return .init("entry is not a [slot, metrics] pair") }
            guard case .integer(let slot) = reader.next(), (0...16383).contains(slot) else {
                return .init("entry has no valid slot number")
            }
            // RESP3 sends the metrics as a map, RESP2 as a flat array of name, value, name, value...
            let pairs: Int
            switch reader.next() {
            case .map(let count): pairs = count
            case .array(let count) where count % 2 == 0: pairs = count / 2
            default: return .init("metrics are neither a map nor an even-length array")
            }
            var stat = SlotStat(slot: Int(slot), keyCount: 0)
            var sawKeyCount = false
            for _ in 0..<pairs {
                guard case .string(let name) = reader.next() else { return .init("metric name is not a string") }
                guard case .integer(let number) = reader.next() else { return .init("metric value is not an integer") }
                switch SlotMetric(reader, name) {
                case .keyCount: stat.keyCount = number; sawKeyCount = true
                case .cpuUsec: stat.cpuUsec = number
                case .networkBytesIn: stat.networkBytesIn = number
                case .networkBytesOut: stat.networkBytesOut = number
                case nil: break  // newer servers may add metrics; ignore what we do not export
                }
            }
            guard sawKeyCount else { return .init("entry has no key-count") }
            stats.append(stat)
        }
        return nil
    }
}

/// The SLOT-STATS metric names we export, matched on the reply's bytes: a full reply carries 21844 of
/// them, and building a `String` for each costs more than the rest of the parse.
enum SlotMetric {
    case keyCount, cpuUsec, networkBytesIn, networkBytesOut

    /// The four names for ``RESPReader/nextCounterRecord(_:)``, in the order of the cases.
    static let names = CounterNames([keyCountName, cpuUsecName, networkBytesInName, networkBytesOutName])

    private static let keyCountName: StaticString = "key-count"
    private static let cpuUsecName: StaticString = "cpu-usec"
    private static let networkBytesInName: StaticString = "network-bytes-in"
    private static let networkBytesOutName: StaticString = "network-bytes-out"

    init?(_ reader: RESPReader, _ name: Range<Int>) {
        // The four names have four different lengths, so the length picks the one candidate to compare with.
        let metric: SlotMetric
        let expected: StaticString
        switch name.count {
        case 9: (metric, expected) = (.keyCount, Self.keyCountName)
        case 8: (metric, expected) = (.cpuUsec, Self.cpuUsecName)
        case 16: (metric, expected) = (.networkBytesIn, Self.networkBytesInName)
        case 17: (metric, expected) = (.networkBytesOut, Self.networkBytesOutName)
        default: return nil
        }
        guard reader.bytesEqual(name, expected) else { return nil }
        self = metric
    }
}

/// A SLOT-STATS reply whose shape we do not understand.
public struct SlotStatsParseError: Error, Sendable, Hashable {
    public var message: String
    public init(_ message: String) { self.message = message }
}
