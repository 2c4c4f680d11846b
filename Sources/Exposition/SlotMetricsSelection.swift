/// Which slots get per-slot series (`--slot-metrics`).
public enum SlotMetricsSelection: Sendable, Hashable, CustomStringConvertible {
    /// Every slot with data (up to 16384 x 4 series).
    case all
    /// No per-slot series.
    case none
    /// The `count` slots ranking highest by `measure`.
    case top(count: Int, measure: Measure)

    /// What "top" ranks by.
    public enum Measure: String, Sendable, Hashable, CaseIterable {
        case keys, cpu, network
    }

    /// Parses `all`, `none`, `top:N` or `top:N:keys|cpu|network`; nil when malformed.
    public init?(parsing text: String) {
        let parts = text.lowercased().split(separator: ":", omittingEmptySubsequences: false)
        switch parts.first {
        case "all" where parts.count == 1: self = .all
        case "none" where parts.count == 1: self = .none
        case "top" where parts.count == 2 || parts.count == 3:
            guard let count = Int(parts[1]), (1...16384).contains(count) else { return nil }
            var measure = Measure.keys
            if parts.count == 3 {
                guard let parsed = Measure(rawValue: String(parts[2])) else { return nil }
                measure = parsed
            }
            self = .top(count: count, measure: measure)
        default: return nil
        }
    }

    public var description: String {
        switch self {
        case .all: "all"
        case .none: "none"
        case .top(let count, let measure): "top:\(count):\(measure.rawValue)"
        }
    }
}
