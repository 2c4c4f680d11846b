/// A metric family: one HELP, one TYPE, and samples that are never split from each other.
struct MetricFamily: Sendable {
    enum Kind: Sendable {
        case gauge, counter, info
    }

    /// The family name as OpenMetrics writes it in TYPE/HELP: no `_total` / `_info` suffix.
    let base: String
    let kind: Kind
    let help: String

    /// The name every sample of the family carries.
    var sampleName: String {
        switch kind {
        case .gauge: base
        case .counter: base + "_total"
        case .info: base + "_info"
        }
    }

    /// The name in HELP and TYPE lines: the sample name in Prometheus text, the base in OpenMetrics.
    func declaredName(_ format: ExpositionFormat) -> String {
        format == .openMetrics ? base : sampleName
    }

    func typeWord(_ format: ExpositionFormat) -> String {
        switch kind {
        case .gauge: "gauge"
        case .counter: "counter"
        case .info: format == .openMetrics ? "info" : "gauge"
        }
    }

    static func gauge(_ name: String, _ help: String) -> MetricFamily { MetricFamily(base: name, kind: .gauge, help: help) }
    /// `name` without `_total`.
    static func counter(_ name: String, _ help: String) -> MetricFamily { MetricFamily(base: name, kind: .counter, help: help) }
    /// `name` without `_info`.
    static func info(_ name: String, _ help: String) -> MetricFamily { MetricFamily(base: name, kind: .info, help: help) }
}
