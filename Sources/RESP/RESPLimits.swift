/// Bounds the decoder enforces while reading, so a broken or hostile peer produces an error instead of
/// a crash, an unbounded wait, or a huge allocation.
///
/// Every limit is checked as soon as the information is available: a bulk length or aggregate count is
/// checked when its header line is read, before any payload is waited for.
public struct RESPLimits: Sendable, Hashable {
    /// The largest payload a bulk string (`$`), bulk error (`!`) or verbatim string (`=`) may announce, in bytes.
    public var maxBulkLength: Int
    /// The largest number of elements one aggregate may announce. Maps and attributes count two elements per pair.
    public var maxAggregateCount: Int
    /// The deepest nesting of aggregates (arrays, maps, sets, pushes, attributes). A top-level array is depth 1.
    public var maxDepth: Int
    /// The largest size of one top-level reply in bytes, including any attribute that precedes it.
    public var maxReplySize: Int

    /// Creates limits; every value must be at least 1 to be meaningful (0 rejects everything of that kind).
    public init(maxBulkLength: Int, maxAggregateCount: Int, maxDepth: Int, maxReplySize: Int) {
        self.maxBulkLength = maxBulkLength
        self.maxAggregateCount = maxAggregateCount
        self.maxDepth = maxDepth
        self.maxReplySize = maxReplySize
    }

    /// 64 MiB bulks, 1,048,576 elements per aggregate, 32 levels, 256 MiB per reply.
    ///
    /// Generous for a monitoring client: the largest expected reply is a full `CLUSTER SLOT-STATS`
    /// (about 584 KB, 5461 entries) or `INFO EVERYTHING` (about 11 KB).
    public static let `default` = RESPLimits(
        maxBulkLength: 64 * 1024 * 1024,
        maxAggregateCount: 1_048_576,
        maxDepth: 32,
        maxReplySize: 256 * 1024 * 1024
    )
}
