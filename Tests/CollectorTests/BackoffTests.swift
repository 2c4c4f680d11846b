import Testing
@testable import Collector

struct BackoffTests {
    /// A generator that always returns the same value, so jitter is predictable.
    struct Fixed: RandomNumberGenerator {
        var value: UInt64
        mutating func next() -> UInt64 { value }
    }

    @Test func doublesUpToTheCap() {
        let backoff = Backoff(base: .seconds(1), cap: .seconds(4), jitter: 0)
        var g = Fixed(value: 0)
        #expect(backoff.delay(afterFailures: 0, using: &g) == .zero)
        #expect(backoff.delay(afterFailures: 1, using: &g) == .seconds(1))
        #expect(backoff.delay(afterFailures: 2, using: &g) == .seconds(2))
        #expect(backoff.delay(afterFailures: 3, using: &g) == .seconds(4))
        #expect(backoff.delay(afterFailures: 50, using: &g) == .seconds(4))
    }

    @Test func jitterStaysWithinBounds() {
        let backoff = Backoff(base: .seconds(10), cap: .seconds(10), jitter: 0.2)
        var g = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            let delay = backoff.delay(afterFailures: 1, using: &g)
            #expect(delay >= .seconds(8) && delay <= .seconds(12))
        }
    }

    @Test func forInterval() {
        #expect(Backoff.forInterval(.seconds(15)).cap == .seconds(60))
        #expect(Backoff.forInterval(.seconds(1)).cap == .seconds(4))
        #expect(Backoff.forInterval(.seconds(120)).cap == .seconds(120))
    }
}
