import Collector
import CompressNIO
import NIOCore
import Synchronization

/// The exposition of the latest snapshot in both formats, plain and gzipped, rendered once per cycle
/// (one render serves both formats: see ``RenderedExposition``).
/// A `/metrics` request only picks up a reference to these bytes.
public final class ExpositionStore: Sendable {
    /// One snapshot's rendered bytes.
    public struct Rendered: Sendable {
        public var sequence: UInt64
        public var exposition: RenderedExposition
        public var gzip: [ExpositionFormat: ByteBuffer]
        /// Samples in the exposition (the same in both formats).
        public var samples: Int { exposition.samples }

        /// The body for a format and encoding, as buffers to send in order.
        public func body(_ format: ExpositionFormat, gzip useGzip: Bool) -> [ByteBuffer] {
            if useGzip, let compressed = gzip[format] { return [compressed] }
            return exposition.segments(format)
        }
    }

    /// gzip level 1: a 6.7 MB exposition compresses to ~6% of its size either way, and level 1 takes a
    /// fraction of the default level's CPU on every cycle.
    public static let gzip = CompressionAlgorithm.gzip(
        configuration: ZlibConfiguration(windowSize: 15, compressionLevel: 1, memoryLevel: 8, strategy: .default))

    private let latest = Mutex<Rendered?>(nil)
    public let renderer: MetricsRenderer

    public init(renderer: MetricsRenderer) { self.renderer = renderer }

    /// The bytes of the latest rendered snapshot, or nil before the first cycle.
    public var rendered: Rendered? { latest.withLock { $0 } }

    /// Renders `snapshot` once for both formats, compresses each format once, and makes them the latest.
    public func update(_ snapshot: ClusterSnapshot) {
        var exposition = renderer.render(snapshot)
        var compressed: [ExpositionFormat: ByteBuffer] = [:]
        for format in ExpositionFormat.allCases {
            // Compressed before anything else holds the text (see RenderedExposition.compressed). Compressing
            // can only fail on our own buffer sizing; then clients simply get plain text.
            compressed[format] = try? exposition.compressed(format, with: Self.gzip)
        }
        let rendered = Rendered(sequence: snapshot.sequence, exposition: exposition, gzip: compressed)
        latest.withLock { $0 = rendered }
    }
}
