/// The 40-character identifier a Valkey cluster node gives itself (`CLUSTER MYID`).
///
/// Validated on construction so that an id can be used as a metric label or URL path component
/// without further checks: exactly 40 lowercase hexadecimal characters.
public struct NodeID: Hashable, Sendable, Comparable, CustomStringConvertible, Codable {
    /// The number of characters in every node id.
    public static let length = 40

    /// The id as Valkey prints it.
    public let rawValue: String

    /// Creates an id from text, or returns nil unless it is exactly 40 lowercase hex characters.
    public init?(_ text: some StringProtocol) {
        guard text.utf8.count == Self.length,
              text.utf8.allSatisfy({ ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) || ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "f")) })
        else { return nil }
        self.rawValue = String(text)
    }

    /// The id itself, so it can be interpolated directly into labels and log messages.
    public var description: String { rawValue }

    /// The first 8 characters, as `valkey-cli` shows them; handy for human-readable logs.
    public var shortDescription: String { String(rawValue.prefix(8)) }

    /// Orders ids by their text, for stable output (sorted JSON, golden files).
    public static func < (lhs: NodeID, rhs: NodeID) -> Bool {
        lhs.rawValue < rhs.rawValue
    }

    /// Decodes from a JSON string, rejecting anything that is not a valid node id.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let id = NodeID(text) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "'\(text)' is not a node id (expected 40 lowercase hex characters)")
        }
        self = id
    }

    /// Encodes as a plain JSON string.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}
