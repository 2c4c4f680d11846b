import Collector
import CompressNIO
import NIOCore
import Synchronization

/// The exposition of the latest snapshot in both formats, plain and gzipped, rendered once per cycle.
/// A `/metrics` request only picks up a reference to these bytes.
public final class ExpositionStore: Sendable {
    /// One snapshot's rendered bytes.
    public struct Rendered: Sendable {
        public var sequence: UInt64
        public var samples: Int
        public var plain: [ExpositionFormat: ByteBuffer]
        public var gzip: [ExpositionFormat: ByteBuffer]

        /// The body for a format and encoding.
        public func body(_ format: ExpositionFormat, gzip useGzip: Bool) -> ByteBuffer {
            (useGzip ? gzip[format] : plain[format]) ?? ByteBuffer()
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

    /// Renders `snapshot` in both formats, compresses each once, and makes them the latest.
    public func update(_ snapshot: ClusterSnapshot) {
        var plain: [ExpositionFormat: ByteBuffer] = [:]
        var compressed: [ExpositionFormat: ByteBuffer] = [:]
        var samples = 0
        for format in ExpositionFormat.allCases {
            var (bytes, count) = renderer.render(snapshot, format: format)
            samples = count
            // Compress before anything else holds `bytes`: CompressNIO reads its input through a mutable view,
            // which would copy a shared buffer (6.5 MB per format, fresh pages, every cycle). Unshared, nothing
            // is copied and only the reader index moves, so it is put back afterwards.
            // Compressing can only fail on our own buffer sizing; then clients simply get plain text.
            let start = bytes.readerIndex
            if let gzipped = try? bytes.compress(with: Self.gzip) {
                compressed[format] = gzipped
            }
            bytes.moveReaderIndex(to: start)
            plain[format] = bytes
        }
        let rendered = Rendered(sequence: snapshot.sequence, samples: samples, plain: plain, gzip: compressed)
        latest.withLock { $0 = rendered }
    }
}
