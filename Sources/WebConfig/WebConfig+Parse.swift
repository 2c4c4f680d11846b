import Foundation
import Yams

extension WebConfig {
    /// Reads and validates the web-config file at `path`. Relative file names inside it are taken relative to the
    /// file's own directory, as exporter-toolkit does. Errors do not repeat the path: the caller names the file.
    public static func load(path: String) throws(WebConfigError) -> WebConfig {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw WebConfigError(field: nil, "cannot read the file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw WebConfigError(field: nil, "not UTF-8 text")
        }
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        return try parse(yaml: text, directory: directory)
    }

    /// Parses web-config YAML; `directory` resolves relative file names.
    public static func parse(yaml: String, directory: String) throws(WebConfigError) -> WebConfig {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            throw WebConfigError(field: nil, "not valid YAML: \(Self.describe(error))")
        } catch {
            throw WebConfigError(field: nil, "not valid YAML")
        }
        let top = try StrictMapping(root, path: "", known: ["tls_server_config", "http_server_config", "basic_auth_users", "rate_limit"])
        try rejectRateLimit(top)
        let (headers, http2) = try parseHTTPServerConfig(top)
        return WebConfig(
            tls: try parseTLS(StrictMapping(top.node("tls_server_config"), path: "tls_server_config", known: tlsKeys),
                              directory: directory),
            users: try parseUsers(top), headers: headers, http2Requested: http2)
    }

    /// Where and why libyaml stopped, without the excerpt of the file that YamlError's own description quotes:
    /// that excerpt could be a password hash or an inline key.
    private static func describe(_ error: YamlError) -> String {
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            let where_ = context.map { " (\($0.text))" } ?? ""
            return "line \(mark.line), column \(mark.column): \(problem)\(where_)"
        case .reader(let problem, let offset, _, _):
            return "\(problem)\(offset.map { " at byte \($0)" } ?? "")"
        default:
            return "unreadable document"
        }
    }

    private static let tlsKeys: Set<String> = [
        "cert", "key", "client_ca", "cert_file", "key_file", "client_auth_type", "client_ca_file", "client_allowed_sans",
        "min_version", "max_version", "cipher_suites", "prefer_server_cipher_suites", "curve_preferences",
    ]

    /// `rate_limit` is accepted only when it limits nothing (absent, or `interval` 0), since we do not rate-limit.
    private static func rejectRateLimit(_ top: StrictMapping) throws(WebConfigError) {
        let limit = try StrictMapping(top.node("rate_limit"), path: "rate_limit", known: ["interval", "burst"])
        if let interval = try limit.string("interval"), !["0", "0s", "0ms"].contains(interval) {
            throw WebConfigError(field: limit.field("interval"), "rate limiting is not supported by this exporter; remove rate_limit")
        }
    }

    private static func parseHTTPServerConfig(_ top: StrictMapping) throws(WebConfigError) -> ([ResponseHeader], Bool) {
        let http = try StrictMapping(top.node("http_server_config"), path: "http_server_config", known: ["http2", "headers"])
        let http2 = try http.bool("http2") ?? false
        var headers: [ResponseHeader] = []
        for (name, node) in try http.freeMapping("headers") {
            let field = "\(http.field("headers")).\(name)"
            guard let allowed = AllowedHeaders.all[name] else {
                throw WebConfigError(field: field, "this header cannot be configured (allowed: \(AllowedHeaders.names))")
            }
            guard case .scalar(let scalar) = node else { throw WebConfigError(field: field, "must be a single value") }
            let value = StrictMapping.isNull(node) ? "" : scalar.string
            if let allowed, !value.isEmpty, !allowed.contains(value) {
                throw WebConfigError(field: field, "'\(value)' is not one of \(allowed.joined(separator: ", "))")
            }
            // A line break would let the value add headers of its own (response splitting).
            guard value.unicodeScalars.allSatisfy({ $0 == "\t" || ($0.value >= 0x20 && $0.value != 0x7F) }) else {
                throw WebConfigError(field: field, "must be one line of text without control characters")
            }
            if !value.isEmpty { headers.append(ResponseHeader(name: name, value: value)) }  // blank means unset
        }
        return (headers, http2)
    }

    private static func parseUsers(_ top: StrictMapping) throws(WebConfigError) -> [BasicAuthUser] {
        var users: [BasicAuthUser] = []
        for (name, node) in try top.freeMapping("basic_auth_users") {
            let field = "basic_auth_users.\(name)"
            // Basic auth sends "user:password": a colon in the name would split it wrongly, so no one could log in.
            guard !name.contains(":") else { throw WebConfigError(field: field, "a user name cannot contain ':'") }
            guard case .scalar(let scalar) = node, !StrictMapping.isNull(node), let hash = BcryptHash(scalar.string) else {
                throw WebConfigError(field: field, "not a bcrypt hash: expected $2a$, $2b$ or $2y$, a cost of 04 to 31 and "
                                     + "53 more characters (60 in all), e.g. from `htpasswd -nbBC 10 USER PASSWORD`")
            }
            users.append(BasicAuthUser(name: name, hash: hash))
        }
        return users
    }
}
