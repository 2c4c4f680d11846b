import CompressNIO
import NIOCore

/// One snapshot's exposition in both formats, rendered once.
///
/// The two formats differ only in the HELP and TYPE lines of counter and info families (OpenMetrics names the
/// family without `_total` / `_info` and calls an info an info) and in OpenMetrics' final `# EOF`. So the
/// Prometheus text is kept whole and the OpenMetrics text is that buffer with a few patches: its segments are
/// slices sharing the text's storage and the small replacement lines. With all 16384 slots that is one 6.7 MB
/// buffer per cycle instead of two, and one render instead of two.
public struct RenderedExposition: Sendable {
    /// Bytes of the Prometheus text in `range` (indices into ``text``) that OpenMetrics replaces.
    struct Patch: Sendable {
        var range: Range<Int>
        var replacement: ByteBuffer
    }

    /// The Prometheus text 0.0.4 exposition, whole.
    public private(set) var text: ByteBuffer
    /// Where OpenMetrics differs from `text`, in ascending, non-overlapping order.
    let openMetricsPatches: [Patch]
    /// Samples in the exposition (the same in both formats).
    public let samples: Int

    init(text: ByteBuffer, openMetricsPatches: [Patch], samples: Int) {
        self.text = text
        self.openMetricsPatches = openMetricsPatches
        self.samples = samples
    }

    /// The body in `format` as buffers to send in order. No bytes are copied: they are slices of `text`
    /// and the patches' own small buffers.
    public func segments(_ format: ExpositionFormat) -> [ByteBuffer] {
        guard format == .openMetrics else { return [text] }
        var segments: [ByteBuffer] = []
        segments.reserveCapacity(openMetricsPatches.count * 2 + 1)
        var position = text.readerIndex
        for patch in openMetricsPatches {
            if patch.range.lowerBound > position {
                segments.append(text.getSlice(at: position, length: patch.range.lowerBound - position)!)
            }
            segments.append(patch.replacement)
            position = patch.range.upperBound
        }
        if text.writerIndex > position {
            segments.append(text.getSlice(at: position, length: text.writerIndex - position)!)
        }
        return segments
    }

    /// The body in `format` as one buffer: `text` itself for Prometheus text, a copy for OpenMetrics.
    /// For tests and benchmarks; the server sends ``segments(_:)``.
    public func joined(_ format: ExpositionFormat) -> ByteBuffer {
        guard format == .openMetrics else { return text }
        let parts = segments(format)
        var joined = ByteBufferAllocator().buffer(capacity: parts.reduce(0) { $0 + $1.readableBytes })
        for part in parts { joined.writeImmutableBuffer(part) }
        return joined
    }

    /// The body in `format`, compressed as one stream with `algorithm`.
    ///
    /// Mutating only to read `text` in place: CompressNIO reads its input through a mutable view, which copies a
    /// shared buffer (6.7 MB of fresh pages per format, every cycle). Call it while this value is the only holder
    /// of `text`; the OpenMetrics segments are fed by moving `text`'s indices over the unpatched ranges, never as
    /// slices, and the indices are restored afterwards.
    public mutating func compressed(_ format: ExpositionFormat, with algorithm: CompressionAlgorithm) throws -> ByteBuffer {
        let (start, end) = (text.readerIndex, text.writerIndex)
        defer {
            text.moveWriterIndex(to: end)
            text.moveReaderIndex(to: start)
        }
        let compressor = algorithm.compressor
        try compressor.startStream()
        defer { try? compressor.finishStream() }
        // The patches change a few hundred bytes; the slack covers OpenMetrics' being longer than the text.
        var output = ByteBufferAllocator().buffer(capacity: compressor.maxSize(from: text) + 4096)
        func feed(_ input: inout ByteBuffer) throws {
            try input.compressStream(to: &output, with: compressor, flush: .no)
            // With .no, zlib leaves input unread only when the output is full, which the bound rules out.
            guard input.readableBytes == 0 else { throw CompressNIOError.bufferOverflow }
        }
        func feedText(_ range: Range<Int>) throws {
            guard !range.isEmpty else { return }
            text.moveReaderIndex(to: start)
            text.moveWriterIndex(to: range.upperBound)
            text.moveReaderIndex(to: range.lowerBound)
            try feed(&text)
        }
        var position = start
        if format == .openMetrics {
            for patch in openMetricsPatches {
                try feedText(position..<patch.range.lowerBound)
                var replacement = patch.replacement
                try feed(&replacement)
                position = patch.range.upperBound
            }
        }
        try feedText(position..<end)
        try compressor.finishDeflate(to: &output)
        return output
    }
}
