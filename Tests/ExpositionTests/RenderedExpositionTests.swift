import CompressNIO
import NIOCore
import Testing
@testable import Exposition

/// One render serves both formats: the OpenMetrics body is the Prometheus text with patches, sent as segments
/// that share the text's bytes, and each format is compressed as one gzip stream from them.
struct RenderedExpositionTests {
    static func decompress(_ gzipped: ByteBuffer) throws -> String {
        var input = gzipped
        return String(buffer: try input.decompress(with: .gzip()))
    }

    @Test(arguments: ExpositionFormat.allCases)
    func gzipOfEachFormatInflatesToItsSegments(_ format: ExpositionFormat) throws {
        var exposition = MetricsRenderer(version: "test").render(try GoldenTests.snapshot())
        let textBefore = exposition.text
        let gzipped = try exposition.compressed(format, with: ExpositionStore.gzip)
        let plain = String(buffer: exposition.joined(format))
        #expect(try Self.decompress(gzipped) == plain)
        // Compressing moves the text's indices over each range and must put them back.
        #expect(exposition.text == textBefore)
        #expect(exposition.segments(format).map { String(buffer: $0) }.joined() == plain)
    }

    @Test func openMetricsDiffersOnlyInCounterAndInfoHeadersAndEOF() throws {
        let exposition = MetricsRenderer(version: "test").render(try GoldenTests.snapshot())
        let text = String(buffer: exposition.joined(.prometheus))
        let openMetrics = String(buffer: exposition.joined(.openMetrics))
        #expect(openMetrics.hasSuffix("# EOF\n"))
        #expect(!text.contains("# EOF"))
        let sampleLines = { (body: String) in body.split(separator: "\n").filter { !$0.hasPrefix("#") } }
        #expect(sampleLines(text) == sampleLines(openMetrics))
        #expect(text.contains("# TYPE valkey_slot_cpu_seconds_total counter\n"))
        #expect(openMetrics.contains("# TYPE valkey_slot_cpu_seconds counter\n"))
        // Segments: slices of the one text buffer plus one small buffer per patch, never a copy of the text.
        #expect(exposition.segments(.prometheus).count == 1)
        #expect(exposition.segments(.openMetrics).count > 2)
    }
}
