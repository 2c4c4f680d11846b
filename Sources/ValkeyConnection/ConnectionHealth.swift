import Synchronization

/// Set once by the channel handler when the connection breaks, read from any thread.
///
/// The flag is raised before outstanding requests are failed, so a caller that sees its command
/// fail always sees `isUsable == false` afterwards, even before the channel has finished closing.
final class ConnectionHealth: Sendable {
    private let broken = Atomic<Bool>(false)

    var isBroken: Bool { broken.load(ordering: .acquiring) }

    func markBroken() { broken.store(true, ordering: .releasing) }
}

/// Whether one pipelined batch has been answered (or failed), read by its deadline timer.
final class BatchCompletion: Sendable {
    private let done = Atomic<Bool>(false)

    var isDone: Bool { done.load(ordering: .acquiring) }

    func markDone() { done.store(true, ordering: .releasing) }
}
