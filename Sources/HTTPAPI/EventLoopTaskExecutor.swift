import NIOCore

/// A task executor that runs jobs on one SwiftNIO event loop: the loop a connection's I/O already runs on.
///
/// Hummingbird serves each HTTP connection from a task, and by default that task runs on Swift's cooperative
/// pool: every request read on the event loop wakes a pool thread to run the handler, whose response write then
/// goes back to the event loop. Preferring the connection's own loop (``GuardedHTTP1Channel``) keeps the whole
/// request on the thread that read it: one thread wake-up per request instead of two or three. On an idle 2-core
/// machine that is most of what a GET /metrics costs (`make bench`, the redis_exporter section; see
/// the README's Performance section). The HTTP handlers never block a loop: `/metrics` copies pre-rendered bytes,
/// bcrypt runs on its own thread pool. The collector keeps the cooperative pool: its parsing of ~600 KB SLOT-STATS
/// replies would hold up the other sockets of a loop, and moving its node tasks onto their connections' loops
/// made no measurable difference to the cycle (alternating blocks, 10.8 vs 11.2 ms median).
final class EventLoopTaskExecutor: TaskExecutor {
    private let eventLoop: any EventLoop

    init(_ eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        // `execute` from the loop's own thread only queues the job for this tick: no wake-up.
        eventLoop.execute {
            job.runSynchronously(on: self.asUnownedTaskExecutor())
        }
    }
}
