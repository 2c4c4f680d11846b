/// Capped exponential backoff with jitter, for retrying what keeps failing (a cluster nobody answers for,
/// a node that rejects our password) without hammering it every cycle.
public struct Backoff: Sendable, Hashable {
    /// The delay after the first failure.
    public var base: Duration
    /// The longest delay.
    public var cap: Duration
    /// Each delay is scaled by a random factor in `1 - jitter ... 1 + jitter`, so many exporters (or many
    /// nodes) that failed together do not retry together.
    public var jitter: Double

    public init(base: Duration, cap: Duration, jitter: Double = 0.2) {
        self.base = base
        self.cap = max(cap, base)
        self.jitter = jitter
    }

    /// The backoff the collector uses for a scrape interval: starts at the interval, doubles, and is
    /// capped at four intervals or one minute, whichever is shorter (never less than one interval).
    public static func forInterval(_ interval: Duration) -> Backoff {
        Backoff(base: interval, cap: max(interval, min(interval * 4, .seconds(60))))
    }

    /// The delay before the next attempt after `failures` consecutive failures (1 = the first).
    public func delay(afterFailures failures: Int, using generator: inout some RandomNumberGenerator) -> Duration {
        guard failures > 0 else { return .zero }
        var delay = base
        for _ in 1..<min(failures, 32) where delay < cap { delay = delay * 2 }
        delay = min(delay, cap)
        let factor = jitter > 0 ? Double.random(in: (1 - jitter)...(1 + jitter), using: &generator) : 1
        return delay * factor
    }

    public func delay(afterFailures failures: Int) -> Duration {
        var generator = SystemRandomNumberGenerator()
        return delay(afterFailures: failures, using: &generator)
    }
}
