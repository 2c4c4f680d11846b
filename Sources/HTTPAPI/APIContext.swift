import NIOCore
import Collector
import Foundation

/// What the HTTP side needs: the snapshot store it reads and a few settings.
public struct APIContext: Sendable {
    public var store: SnapshotStore
    public var slotStatsCache: SlotStatsCache<SlotStatsAnswerBox>
    /// Seconds a client should wait before retrying while no collection has finished.
    public var retryAfterSeconds: Int
    public var version: String
    public var hostProcessorCount: Int

    public init(store: SnapshotStore, slotStatsCacheTTL: Duration = .seconds(30), retryAfterSeconds: Int = 5,
                version: String, hostProcessorCount: Int = ProcessInfo.processInfo.activeProcessorCount) {
        self.store = store
        self.slotStatsCache = SlotStatsCache(ttl: slotStatsCacheTTL)
        self.retryAfterSeconds = retryAfterSeconds
        self.version = version
        self.hostProcessorCount = hostProcessorCount
    }
}

/// Opaque holder so the cache's value type can stay internal to this module. The slot list (2.3 MB of JSON
/// for all 16384 slots) is encoded once when the answer is built, not again for every cached hit.
public struct SlotStatsAnswerBox: Sendable {
    let answer: SlotStatsAnswer
    let slotsJSON: ByteBuffer

    init(answer: SlotStatsAnswer) {
        self.answer = answer
        var buffer = ByteBuffer()
        JSONWriter.write(.array(answer.slots), into: &buffer)
        self.slotsJSON = buffer
    }
}
