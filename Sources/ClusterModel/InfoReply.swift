/// A `key:value` line reply. INFO and CLUSTER INFO share this format; INFO adds `# Section` headers.
///
/// Tolerant by design, unlike the `CLUSTER NODES` parser: INFO gains fields in every release, and one odd
/// line must not cost us the rest. Lines without `:` are ignored; CRLF and LF both work. If a field
/// appears twice, the first occurrence wins.
public struct InfoReply: Sendable, Hashable {
    /// One `key:value` line and the section it appeared in.
    public struct Field: Sendable, Hashable {
        /// The section name without `# `, or nil for fields before any header (e.g. CLUSTER INFO).
        public var section: String?
        /// The text before the first `:`.
        public var key: String
        /// The text after the first `:`, possibly empty.
        public var value: String
    }

    /// Every field in reply order.
    public let fields: [Field]
    /// Section names in reply order, without the leading `# ` (e.g. "Server", "Cluster Info", "Keyspace").
    public let sectionNames: [String]
    private let valueByKey: [String: String]

    /// Parses the text of an INFO or CLUSTER INFO reply.
    ///
    /// Works on the UTF-8 bytes: every node's INFO is parsed every cycle, and `Character`-level splitting and
    /// trimming cost several times the rest. Lines end at LF; trailing ASCII whitespace (so a CR) is dropped.
    public init(parsing text: String) {
        var fields: [Field] = []
        var sectionNames: [String] = []
        var valueByKey: [String: String] = [:]
        var section: String?
        var text = text
        text.withUTF8 { bytes in
            // An INFO line averages ~25 bytes: sizing both up front saves the dictionary's repeated rehashing
            // (six nodes' INFO, ~1200 fields, are parsed every cycle).
            let expectedFields = bytes.count / 24
            fields.reserveCapacity(expectedFields)
            valueByKey.reserveCapacity(expectedFields)
            var lineStart = 0
            while lineStart < bytes.count {
                var lineEnd = lineStart
                while lineEnd < bytes.count, bytes[lineEnd] != Self.lf { lineEnd += 1 }
                let next = lineEnd + 1
                var contentEnd = lineEnd
                while contentEnd > lineStart, Self.isASCIIWhitespace(bytes[contentEnd - 1]) { contentEnd -= 1 }
                defer { lineStart = next }
                guard contentEnd > lineStart else { continue }
                if bytes[lineStart] == Self.hash {
                    var nameStart = lineStart + 1
                    while nameStart < contentEnd, bytes[nameStart] == Self.space { nameStart += 1 }
                    let name = Self.text(bytes, nameStart, contentEnd)
                    sectionNames.append(name)
                    section = name
                    continue
                }
                var colon = lineStart
                while colon < contentEnd, bytes[colon] != Self.colon { colon += 1 }
                guard colon < contentEnd, colon > lineStart else { continue }
                let key = Self.text(bytes, lineStart, colon)
                let value = Self.text(bytes, colon + 1, contentEnd)
                fields.append(Field(section: section, key: key, value: value))
                if valueByKey[key] == nil {
                    valueByKey[key] = value
                }
            }
        }
        self.fields = fields
        self.sectionNames = sectionNames
        self.valueByKey = valueByKey
    }

    private static let lf = UInt8(ascii: "\n")
    private static let hash = UInt8(ascii: "#")
    private static let space = UInt8(ascii: " ")
    private static let colon = UInt8(ascii: ":")

    /// Space, tab, LF, VT, FF, CR: what `Character.isWhitespace` says of ASCII.
    private static func isASCIIWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || (byte >= 0x09 && byte <= 0x0D)
    }

    private static func text(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
    }

    /// The raw value of `field`, e.g. `info["valkey_version"] == "9.1.2"`.
    public subscript(_ field: String) -> String? {
        valueByKey[field]
    }

    /// The value of `field` as a base-10 integer, or nil if absent or not an integer (e.g. "86.95%").
    public func int(_ field: String) -> Int64? {
        valueByKey[field].flatMap { Int64($0) }
    }

    /// The value of `field` as a floating-point number (e.g. `used_cpu_sys:0.123456`), or nil.
    public func double(_ field: String) -> Double? {
        valueByKey[field].flatMap { Double($0) }
    }

    /// The fields of one section in reply order, e.g. `fields(inSection: "Commandstats")`.
    public func fields(inSection name: String) -> [Field] {
        fields.filter { $0.section == name }
    }

    /// Splits a `k=v,k=v` value (keyspace, commandstats, `listener0`, ...) into a dictionary;
    /// nil if `field` is absent. Parts without `=` are skipped.
    public func subfields(_ field: String) -> [String: String]? {
        valueByKey[field].map(Self.subfields(of:))
    }

    /// Splits a `k=v,k=v` value into a dictionary; later duplicates are ignored.
    public static func subfields(of value: some StringProtocol) -> [String: String] {
        var result: [String: String] = [:]
        for part in value.split(separator: ",") {
            guard let equals = part.firstIndex(of: "=") else { continue }
            let key = String(part[..<equals])
            if result[key] == nil {
                result[key] = String(part[part.index(after: equals)...])
            }
        }
        return result
    }
}
