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

    private let entries = Mutex<(byKey: [Key: Entry], cost: Int)>(([:], 0))
    public let ttl: Duration
    /// Upper bound on the summed `cost` of the cached answers (bytes, for the API's encoded answers).
    public let maxCost: Int
    private let cost: @Sendable (Value) -> Int

    /// - Parameters:
    ///   - maxCost: bound on the summed `cost` of cached answers: a client asking for many distinct large ranges
    ///     within one TTL must not grow the process by an answer each.
    ///   - cost: the memory one answer holds.
    public init(ttl: Duration, maxCost: Int = .max, cost: @escaping @Sendable (Value) -> Int = { _ in 0 }) {
        self.ttl = ttl
        self.maxCost = maxCost
        self.cost = cost
    }

    /// Returns the cached answer for `start...end` if younger than the TTL (`cached == true`), or builds,
    /// stores and returns a new one. Expired entries are dropped on the way, so the cache stays bounded by
    /// the number of distinct ranges asked for within one TTL.
    public func value(start: Int, end: Int, now: Date = Date(), build: () -> Value) -> (entry: Entry, cached: Bool) {
        let key = Key(start: start, end: end)
        let ttlSeconds = ttl.seconds
        if ttlSeconds <= 0 { return (Entry(value: build(), createdAt: now), false) }
        let cost = self.cost
        if let hit = entries.withLock({ state -> Entry? in
            state.byKey = state.byKey.filter { now.timeIntervalSince($0.value.createdAt) < ttlSeconds }
            state.cost = state.byKey.values.reduce(0) { $0 + cost($1.value) }
            return state.byKey[key]
        }) {
            return (hit, true)
        }
        let entry = Entry(value: build(), createdAt: now)
        let entryCost = cost(entry.value)
        entries.withLock { state in
            // Bound memory against a client walking every possible range: by count, and by summed cost.
            if state.byKey.count >= 4096 || state.cost + entryCost > maxCost {
                state.byKey.removeAll()
                state.cost = 0
            }
            guard entryCost <= maxCost else { return }
            state.byKey[key] = entry
            state.cost += entryCost
        }
        return (entry, false)
    }
}
