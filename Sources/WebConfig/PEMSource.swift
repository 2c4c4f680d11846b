/// Where a PEM certificate or key comes from: a file (re-read when it changes) or text inline in the web config.
///
/// Printing a source shows the file path or "inline", never the PEM text: an inline `key` is a secret.
public struct PEMSource: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public enum Origin: Sendable {
        case file(String)
        case inline(String)
    }

    public var origin: Origin
    /// The web-config field it was read from (`tls_server_config.cert_file`), for error messages.
    public var field: String

    public init(_ origin: Origin, field: String) {
        self.origin = origin
        self.field = field
    }

    /// The file path, or nil for inline PEM.
    public var path: String? {
        if case .file(let path) = origin { return path }
        return nil
    }

    public var description: String {
        switch origin {
        case .file(let path): return "'\(path)'"
        case .inline: return "the inline PEM of \(field)"
        }
    }

    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["field": field, "path": path as Any]) }
}
