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
        // 32 MiB holds the encoded answers of about 14 full ranges (2.3 MB each); more distinct ranges within one
        // TTL evict the cache instead of growing the process.
        self.slotStatsCache = SlotStatsCache(ttl: slotStatsCacheTTL, maxCost: 32 * 1024 * 1024) { $0.slotsJSON.readableBytes }
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
        var buffer = ByteBuffer()
        JSONWriter.write(.array(answer.slots), into: &buffer)
        self.slotsJSON = buffer
        // Only the encoded slots are kept: the JSONValue tree of 16384 slots is several times their size.
        var rest = answer
        rest.slots = []
        self.answer = rest
        self.slotCount = answer.slots.count
    }

    /// How many slots the answer lists (`answer.slots` is emptied once encoded).
    let slotCount: Int
}
