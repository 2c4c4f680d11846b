import ClusterModel
import Foundation
import Synchronization

/// A time-limited cache of slot-stats answers keyed by slot range, as the API seed describes: the
/// first request for a range builds its answer from the latest snapshot, later ones within `ttl` get
/// the same answer marked `cached` with the time it was built.
public final class SlotStatsCache<Value: Sendable>: Sendable {
    /// One cached answer.
    public struct Entry: Sendable {
        public var value: Value
        public var createdAt: Date
    }

    private struct Key: Hashable {
        var start: Int
        var end: Int
    }

    private let entries = Mutex<[Key: Entry]>([:])
    public let ttl: Duration

    public init(ttl: Duration) { self.ttl = ttl }

    /// Returns the cached answer for `start...end` if younger than the TTL (`cached == true`), or builds,
    /// stores and returns a new one. Expired entries are dropped on the way, so the cache stays bounded by
    /// the number of distinct ranges asked for within one TTL.
    public func value(start: Int, end: Int, now: Date = Date(), build: () -> Value) -> (entry: Entry, cached: Bool) {
        let key = Key(start: start, end: end)
        let ttlSeconds = ttl.seconds
        if ttlSeconds <= 0 { return (Entry(value: build(), createdAt: now), false) }
        if let hit = entries.withLock({ entries -> Entry? in
            entries = entries.filter { now.timeIntervalSince($0.value.createdAt) < ttlSeconds }
            return entries[key]
        }) {
            return (hit, true)
        }
        let entry = Entry(value: build(), createdAt: now)
        entries.withLock { entries in
            // Bound memory against a client walking every possible range.
            if entries.count >= 4096 { entries.removeAll(keepingCapacity: true) }
            entries[key] = entry
        }
        return (entry, false)
    }
}
