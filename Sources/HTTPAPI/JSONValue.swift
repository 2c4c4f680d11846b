import NIOCore

/// A JSON document with ordered object keys and explicit nulls.
///
/// The API seeds show fields in a fixed order and `null` where a value is unknown (`cache_timestamp`,
/// `cpu.cores`); `JSONEncoder` drops nil optionals and does not promise an order, so responses are
/// built from this small tree and written by `JSONWriter`.
public indirect enum JSONValue: Sendable, Hashable {
    case object([(String, JSONValue)])
    case array([JSONValue])
    case string(String)
    case int(Int64)
    case double(Double)
    case bool(Bool)
    case null
    /// Already-encoded JSON, written verbatim: a large part of an answer encoded once and served many times.
    case raw(ByteBuffer)

    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case let (.object(a), .object(b)): return a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        case let (.array(a), .array(b)): return a == b
        case let (.string(a), .string(b)): return a == b
        case let (.int(a), .int(b)): return a == b
        case let (.double(a), .double(b)): return a == b
        case let (.bool(a), .bool(b)): return a == b
        case (.null, .null): return true
        case let (.raw(a), .raw(b)): return a == b
        default: return false
        }
    }

    public func hash(into hasher: inout Hasher) {
        switch self {
        case .object(let members): for (key, value) in members { hasher.combine(key); hasher.combine(value) }
        case .array(let items): hasher.combine(items)
        case .string(let s): hasher.combine(s)
        case .int(let i): hasher.combine(i)
        case .double(let d): hasher.combine(d)
        case .bool(let b): hasher.combine(b)
        case .null: hasher.combine(0)
        case .raw(let bytes): hasher.combine(bytes)
        }
    }

    /// `.string` or `.null`.
    public static func string(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }
    /// `.int` or `.null`.
    public static func int(_ value: Int64?) -> JSONValue { value.map(JSONValue.int) ?? .null }
    /// `.int` from a platform integer.
    public static func int(_ value: Int) -> JSONValue { .int(Int64(value)) }
    /// `.double` or `.null`; non-finite numbers are not JSON and become null.
    public static func double(_ value: Double?) -> JSONValue {
        guard let value, value.isFinite else { return .null }
        return .double(value)
    }
}
