import Foundation
import Testing
@testable import Collector

struct SlotStatsCacheTests {
    @Test func hitWithinTTLThenExpires() {
        let cache = SlotStatsCache<Int>(ttl: .seconds(30))
        let t0 = Date(timeIntervalSince1970: 1000)
        var builds = 0
        let first = cache.value(start: 0, end: 10, now: t0) { builds += 1; return 1 }
        #expect(first.cached == false && first.entry.value == 1)
        let second = cache.value(start: 0, end: 10, now: t0.addingTimeInterval(29)) { builds += 1; return 2 }
        #expect(second.cached == true && second.entry.value == 1 && second.entry.createdAt == t0)
        let other = cache.value(start: 0, end: 11, now: t0.addingTimeInterval(29)) { builds += 1; return 3 }
        #expect(other.cached == false)
        let expired = cache.value(start: 0, end: 10, now: t0.addingTimeInterval(31)) { builds += 1; return 4 }
        #expect(expired.cached == false && expired.entry.value == 4)
        #expect(builds == 3)
    }

    @Test func zeroTTLNeverCaches() {
        let cache = SlotStatsCache<Int>(ttl: .zero)
        #expect(cache.value(start: 0, end: 1) { 1 }.cached == false)
        #expect(cache.value(start: 0, end: 1) { 2 }.entry.value == 2)
    }

    @Test func summedCostIsBounded() {
        let cache = SlotStatsCache<Int>(ttl: .seconds(60), maxCost: 10) { $0 }
        let now = Date()
        _ = cache.value(start: 0, end: 1, now: now) { 4 }
        _ = cache.value(start: 0, end: 2, now: now) { 4 }
        #expect(cache.value(start: 0, end: 1, now: now) { 99 }.cached)
        // A third answer would exceed 10: the cache starts over instead of growing.
        _ = cache.value(start: 0, end: 3, now: now) { 4 }
        #expect(!cache.value(start: 0, end: 1, now: now) { 4 }.cached)
        // An answer larger than the bound is served but never kept.
        _ = cache.value(start: 5, end: 6, now: now) { 11 }
        #expect(!cache.value(start: 5, end: 6, now: now) { 11 }.cached)
    }
}
