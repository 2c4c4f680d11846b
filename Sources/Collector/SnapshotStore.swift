import Synchronization

/// Holds the latest and the previous snapshot. Readers get a consistent pair without waiting for a
/// cycle: publishing swaps two references under a lock that is held for nanoseconds.
public final class SnapshotStore: Sendable {
    private struct State {
        var latest: ClusterSnapshot?
        var previous: ClusterSnapshot?
    }

    private let state = Mutex(State())

    public init() {}

    /// The snapshot of the latest finished cycle, or `nil` before the first one finishes.
    public var latest: ClusterSnapshot? { state.withLock { $0.latest } }

    /// The snapshot before `latest`.
    public var previous: ClusterSnapshot? { state.withLock { $0.previous } }

    /// Makes `snapshot` the latest; the old latest becomes the previous.
    public func publish(_ snapshot: ClusterSnapshot) {
        state.withLock { state in
            state.previous = state.latest
            state.latest = snapshot
        }
    }
}
