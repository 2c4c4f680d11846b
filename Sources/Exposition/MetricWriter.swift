import NIOCore

/// Writes families and samples straight into a `ByteBuffer`, counting samples.
///
/// It writes the Prometheus text and notes, as patches, the few places where OpenMetrics differs: the HELP
/// and TYPE lines of counter and info families, and the final `# EOF`. Sample lines are the same bytes in both
/// formats, so one render serves both (see ``RenderedExposition``).
///
/// Label sets are passed as pre-escaped fragments (`node_id="...",addr="..."`) built once per node or
/// owner, so the 65k per-slot samples cost a few byte copies each.
struct MetricWriter {
    private(set) var buffer: ByteBuffer
    /// Where the OpenMetrics text differs from `buffer`, in order.
    private(set) var openMetricsPatches: [RenderedExposition.Patch] = []
    private(set) var sampleCount = 0
    private var currentSampleName = ""

    /// Every HELP ends with this: values come from the last collection cycle, not from the scrape.
    static let scheduleNote = " Collected on the exporter's schedule (--scrape-interval), not at scrape time."

    init(capacity: Int) {
        self.buffer = ByteBufferAllocator().buffer(capacity: capacity)
    }

    /// Starts a family: HELP and TYPE lines.
    mutating func begin(_ family: MetricFamily) {
        let start = buffer.writerIndex
        Self.writeHeader(family, .prometheus, into: &buffer)
        if family.declaredName(.openMetrics) != family.declaredName(.prometheus)
            || family.typeWord(.openMetrics) != family.typeWord(.prometheus) {
            var replacement = ByteBuffer()
            Self.writeHeader(family, .openMetrics, into: &replacement)
            openMetricsPatches.append(.init(range: start..<buffer.writerIndex, replacement: replacement))
        }
        currentSampleName = family.sampleName
        slotPrefix = Array((family.sampleName + "{slot=\"").utf8)
    }

    private static func writeHeader(_ family: MetricFamily, _ format: ExpositionFormat, into buffer: inout ByteBuffer) {
        let name = family.declaredName(format)
        buffer.writeStaticString("# HELP ")
        buffer.writeString(name)
        buffer.writeStaticString(" ")
        buffer.writeString(Self.escapeHelp(family.help + Self.scheduleNote))
        buffer.writeStaticString("\n# TYPE ")
        buffer.writeString(name)
        buffer.writeStaticString(" ")
        buffer.writeString(family.typeWord(format))
        buffer.writeStaticString("\n")
    }

    /// One sample of the current family. `labels` is a pre-escaped fragment, `extra` another one appended after it.
    mutating func sample(labels: String = "", extra: String = "", _ value: Int64) {
        writeName(labels: labels, extra: extra)
        buffer.writeDecimal(value)
        buffer.writeStaticString("\n")
        sampleCount += 1
    }

    mutating func sample(labels: String = "", extra: String = "", _ value: Double) {
        writeName(labels: labels, extra: extra)
        buffer.writeString(Self.format(value))
        buffer.writeStaticString("\n")
        sampleCount += 1
    }

    /// `<name>{slot="` of the current family, encoded once per family.
    private var slotPrefix: [UInt8] = []

    /// The pre-encoded `",node_id="..."} ` that follows the slot number for samples of `owner`.
    static func slotSuffix(ownerLabels: String) -> [UInt8] { Array("\",\(ownerLabels)} ".utf8) }

    /// A sample for a per-slot family: `<name>{slot="N",node_id="..."} value`, written from pre-encoded
    /// bytes with no `String` built per sample.
    mutating func slotSample(slot: Int, suffix: [UInt8], _ value: Int64) {
        writeSlotHead(slot: slot, suffix: suffix)
        buffer.writeDecimal(value)
        buffer.writeInteger(UInt8(ascii: "\n"))
        sampleCount += 1
    }

    /// Like `slotSample`, for a microsecond counter exported in seconds.
    mutating func slotSample(slot: Int, suffix: [UInt8], micros: Int64) {
        writeSlotHead(slot: slot, suffix: suffix)
        buffer.writeMicrosAsSeconds(micros)
        buffer.writeInteger(UInt8(ascii: "\n"))
        sampleCount += 1
    }

    private mutating func writeSlotHead(slot: Int, suffix: [UInt8]) {
        buffer.writeBytes(slotPrefix)
        buffer.writeDecimal(Int64(slot))
        buffer.writeBytes(suffix)
    }

    /// Ends the exposition: OpenMetrics ends with `# EOF`, Prometheus text just stops.
    mutating func finish() {
        let end = buffer.writerIndex
        openMetricsPatches.append(.init(range: end..<end, replacement: ByteBuffer(string: "# EOF\n")))
    }

    private mutating func writeName(labels: String, extra: String) {
        buffer.writeString(currentSampleName)
        if !labels.isEmpty || !extra.isEmpty {
            buffer.writeStaticString("{")
            buffer.writeString(labels)
            if !labels.isEmpty && !extra.isEmpty { buffer.writeStaticString(",") }
            buffer.writeString(extra)
            buffer.writeStaticString("}")
        }
        buffer.writeStaticString(" ")
    }

    /// `name="value"` pairs, values escaped (`\\`, `\"`, `\n`), joined with commas.
    static func labels(_ pairs: KeyValuePairs<String, String>) -> String {
        pairs.map { "\($0.key)=\"\(escapeLabelValue($0.value))\"" }.joined(separator: ",")
    }

    static func labels(_ pairs: [(String, String)]) -> String {
        pairs.map { "\($0.0)=\"\(escapeLabelValue($0.1))\"" }.joined(separator: ",")
    }

    static func escapeLabelValue(_ value: String) -> String {
        guard value.contains(where: { $0 == "\\" || $0 == "\"" || $0 == "\n" }) else { return value }
        var out = ""
        for character in value {
            switch character {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.append(character)
            }
        }
        return out
    }

    /// `\\` and `\n` escaped. Runs for every family on every render, and HELP texts almost never need it: the
    /// byte check keeps Foundation's string search (about 1 ms per render over ~150 families) off the common path.
    static func escapeHelp(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 == UInt8(ascii: "\\") || $0 == UInt8(ascii: "\n") }) else { return text }
        return text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\n", with: "\\n")
    }

    /// Go-compatible float text: integers without a fraction, `NaN`, `+Inf`, `-Inf`.
    static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }
}
