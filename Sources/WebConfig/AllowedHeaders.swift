/// The response headers `http_server_config.headers` may set, as exporter-toolkit allows them: a fixed list so that
/// a web config cannot rewrite framing or caching headers, and fixed values where the header is an enumeration.
enum AllowedHeaders {
    /// Header name (exact spelling, as exporter-toolkit matches it) to its allowed values; nil allows any value.
    static let all: [String: [String]?] = [
        "Strict-Transport-Security": nil,
        "X-Content-Type-Options": ["nosniff"],
        "X-Frame-Options": ["deny", "sameorigin"],
        "X-XSS-Protection": nil,
        "Content-Security-Policy": nil,
    ]

    /// Names for error messages, in a stable order.
    static var names: String { all.keys.sorted().joined(separator: ", ") }
}
