import Yams

/// A YAML mapping read the way exporter-toolkit reads its file (`yaml.UnmarshalStrict`): every key must be one the
/// format knows and appear once, so a misspelt security setting is an error rather than silently ignored.
struct StrictMapping {
    /// Dotted path of this mapping in the file ("" at the top), prefixed to every field in errors.
    let path: String
    private var values: [String: Node] = [:]

    /// - Parameter node: the mapping, or nil / YAML null for an absent or empty section.
    init(_ node: Node?, path: String, known: Set<String>) throws(WebConfigError) {
        self.path = path
        guard let node, !Self.isNull(node) else { return }
        guard case .mapping(let mapping) = node else {
            throw WebConfigError(field: path.isEmpty ? nil : path, "must be a mapping of settings")
        }
        for (keyNode, value) in mapping {
            guard case .scalar(let key) = keyNode else {
                throw WebConfigError(field: path.isEmpty ? nil : path, "keys must be plain names")
            }
            let name = key.string
            guard known.contains(name) else {
                throw WebConfigError(field: field(name), "unknown setting (known here: \(known.sorted().joined(separator: ", ")))")
            }
            guard values[name] == nil else { throw WebConfigError(field: field(name), "set twice") }
            values[name] = value
        }
    }

    /// The dotted path of `key` in this mapping.
    func field(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// The raw node of `key`, nil when absent or null.
    func node(_ key: String) -> Node? {
        guard let node = values[key], !Self.isNull(node) else { return nil }
        return node
    }

    /// A scalar as text (YAML numbers and booleans too, as Go's yaml does for string fields); nil when absent.
    func string(_ key: String) throws(WebConfigError) -> String? {
        guard let node = node(key) else { return nil }
        guard case .scalar(let scalar) = node else { throw WebConfigError(field: field(key), "must be a single value") }
        return scalar.string
    }

    /// A string that counts as unset when empty, as exporter-toolkit treats `cert_file: ""`.
    func nonEmptyString(_ key: String) throws(WebConfigError) -> String? {
        guard let text = try string(key), !text.isEmpty else { return nil }
        return text
    }

    func bool(_ key: String) throws(WebConfigError) -> Bool? {
        guard let node = node(key) else { return nil }
        guard let value = node.bool else { throw WebConfigError(field: field(key), "must be true or false") }
        return value
    }

    /// A sequence of scalars; nil when absent.
    func stringList(_ key: String) throws(WebConfigError) -> [String]? {
        guard let node = node(key) else { return nil }
        guard case .sequence(let sequence) = node else { throw WebConfigError(field: field(key), "must be a list") }
        var items: [String] = []
        for item in sequence {
            guard case .scalar(let scalar) = item else { throw WebConfigError(field: field(key), "must be a list of values") }
            items.append(scalar.string)
        }
        return items
    }

    /// Pairs of a mapping whose keys are free-form (user names, header names), in file order, duplicates refused.
    func freeMapping(_ key: String) throws(WebConfigError) -> [(key: String, value: Node)] {
        guard let node = node(key) else { return [] }
        guard case .mapping(let mapping) = node else { throw WebConfigError(field: field(key), "must be a mapping") }
        var seen: Set<String> = []
        var pairs: [(key: String, value: Node)] = []
        for (keyNode, value) in mapping {
            guard case .scalar(let name) = keyNode else { throw WebConfigError(field: field(key), "keys must be plain names") }
            guard seen.insert(name.string).inserted else {
                throw WebConfigError(field: "\(field(key)).\(name.string)", "set twice")
            }
            pairs.append((name.string, value))
        }
        return pairs
    }

    static func isNull(_ node: Node) -> Bool {
        // Resolved by the YAML 1.1 rules: plain `~`, `null` or nothing (a quoted "" is an empty string).
        if case .scalar = node { return node.tag.description == Tag.Name.null.rawValue }
        return false
    }
}
