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
    public init(parsing text: String) {
        var fields: [Field] = []
        var sectionNames: [String] = []
        var valueByKey: [String: String] = [:]
        var section: String?
        for rawLine in TextScanning.lines(text) {
            let line = rawLine.trimmingTrailingWhitespace()
            if line.hasPrefix("#") {
                let name = String(line.dropFirst().drop(while: { $0 == " " }))
                sectionNames.append(name)
                section = name
                continue
            }
            guard let colon = line.firstIndex(of: ":") else { continue }
            let key = String(line[..<colon])
            guard !key.isEmpty else { continue }
            let value = String(line[line.index(after: colon)...])
            fields.append(Field(section: section, key: key, value: value))
            if valueByKey[key] == nil {
                valueByKey[key] = value
            }
        }
        self.fields = fields
        self.sectionNames = sectionNames
        self.valueByKey = valueByKey
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

extension Substring {
    fileprivate func trimmingTrailingWhitespace() -> Substring {
        var result = self
        while let last = result.last, last.isWhitespace {
            result.removeLast()
        }
        return result
    }
}
