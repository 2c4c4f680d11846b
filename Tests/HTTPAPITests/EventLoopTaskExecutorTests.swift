import Hummingbird
import HummingbirdCore
import HummingbirdTesting
import NIOCore
import NIOPosix
import Testing
@testable import HTTPAPI

/// Requests are served on the thread that read them: ``EventLoopTaskExecutor`` on its own, and behind the
/// exporter's real HTTP/1 server (``GuardedHTTP1Channel``) over loopback.
struct EventLoopTaskExecutorTests {
    @Test func jobsRunOnTheLoopAcrossSuspensions() async throws {
        let group = MultiThreadedEventLoopGroup.singleton
        let loop = group.next()
        let other = group.next()
        let places = try await withTaskExecutorPreference(EventLoopTaskExecutor(loop)) {
            var places = [loop.inEventLoop]
            await Task.yield()
            places.append(loop.inEventLoop)
            // Resumed by a future completed on another loop (as a reply from a socket on another thread would be).
            try await other.scheduleTask(in: .milliseconds(5)) {}.futureResult.get()
            places.append(loop.inEventLoop)
            return places
        }
        #expect(places == [true, true, true])
    }

    @Test func handlersRunOnTheConnectionsEventLoop() async throws {
        let router = Router()
        // Without the preference the handler runs on Swift's cooperative pool, which is no event loop.
        router.get("/where") { _, _ in MultiThreadedEventLoopGroup.currentEventLoop == nil ? "pool" : "event loop" }
        let app = Application(
            router: router, server: .guardedHTTP1(configuration: .init()),
            configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            for _ in 0..<3 {
                let answer = try await client.execute(uri: "/where", method: .get)
                #expect(answer.status == .ok)
                #expect(String(buffer: answer.body) == "event loop")
            }
        }
    }
}
