import NIOCore
import Testing
@testable import Exposition

struct ExpositionFormatTests {
    @Test(arguments: [
        (nil, ExpositionFormat.prometheus),
        ("text/plain", .prometheus),
        ("*/*", .prometheus),
        ("application/openmetrics-text", .openMetrics),
        ("application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1", .openMetrics),
        ("text/plain;version=0.0.4;q=1,application/openmetrics-text;q=0.5", .prometheus),
        ("application/openmetrics-text;q=0", .prometheus),
        ("application/json", .prometheus),
    ] as [(String?, ExpositionFormat)])
    func negotiation(_ accept: String?, _ expected: ExpositionFormat) {
        #expect(ExpositionFormat.negotiate(accept: accept) == expected)
    }

    @Test func gzipAcceptance() {
        #expect(ExpositionFormat.acceptsGzip("gzip"))
        #expect(ExpositionFormat.acceptsGzip("deflate, gzip;q=0.5"))
        #expect(!ExpositionFormat.acceptsGzip("gzip;q=0"))
        #expect(!ExpositionFormat.acceptsGzip("identity"))
        #expect(!ExpositionFormat.acceptsGzip(nil))
    }

    @Test func slotSelectionParsing() {
        #expect(SlotMetricsSelection(parsing: "all") == .all)
        #expect(SlotMetricsSelection(parsing: "none") == SlotMetricsSelection.none)
        #expect(SlotMetricsSelection(parsing: "top:10") == .top(count: 10, measure: .keys))
        #expect(SlotMetricsSelection(parsing: "top:5:cpu") == .top(count: 5, measure: .cpu))
        for bad in ["", "top", "top:0", "top:16385", "top:x", "top:5:disk", "some", "all:1"] {
            #expect(SlotMetricsSelection(parsing: bad) == nil, "\(bad)")
        }
    }

    @Test func labelEscaping() {
        #expect(MetricWriter.escapeLabelValue("a\"b\\c\nd") == #"a\"b\\c\nd"#)
        #expect(MetricWriter.escapeHelp("a\"b\\c\nd") == #"a"b\\c\nd"#)
        #expect(MetricWriter.escapeHelp("plain help, \"quoted\" stays") == "plain help, \"quoted\" stays")
        #expect(MetricWriter.format(1.5e-7) == "1.5e-07")
        #expect(MetricWriter.format(.nan) == "NaN")
        #expect(MetricWriter.format(-.infinity) == "-Inf")
        #expect(MetricWriter.format(3) == "3")
    }
}

struct DecimalWritingTests {
    @Test(arguments: [(Int64(0), "0"), (7, "7"), (-42, "-42"), (Int64.max, "9223372036854775807"), (Int64.min, "-9223372036854775808")])
    func decimal(_ value: Int64, _ expected: String) {
        var buffer = ByteBuffer()
        buffer.writeDecimal(value)
        #expect(String(buffer: buffer) == expected)
    }

    @Test(arguments: [(Int64(0), "0"), (1, "0.000001"), (1_000_000, "1"), (1_500_000, "1.5"), (250, "0.00025"),
                      (123_456_789, "123.456789"), (10, "0.00001"), (-2_000_001, "-2.000001")])
    func microsAsSeconds(_ micros: Int64, _ expected: String) {
        var buffer = ByteBuffer()
        buffer.writeMicrosAsSeconds(micros)
        #expect(String(buffer: buffer) == expected)
        #expect(Double(expected)! == Double(micros) / 1_000_000)
    }
}
