/// Why a user-supplied `host:port` was rejected. The description is meant to be shown to the user as is.
public struct NodeAddressParseError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The text that was given.
    public var input: String
    /// What is wrong with it, e.g. "missing port".
    public var reason: String

    /// Creates an error for `input`.
    public init(input: String, reason: String) {
        self.input = input
        self.reason = reason
    }

    /// "invalid address 'x': reason (expected host:port, or [ipv6]:port)".
    public var description: String {
        "invalid address '\(input)': \(reason) (expected host:port, or [ipv6]:port)"
    }
}

extension NodeAddress {
    /// Parses a user-supplied address such as the value of `--valkey-address`.
    ///
    /// Accepts `host:port`, `[ipv6]:port`, and, because Valkey itself prints IPv6 that way, an unbracketed
    /// IPv6 address followed by a port (`::1:7000`), split at the last colon. The port must be 1...65535.
    /// - Throws: `NodeAddressParseError` with a reason fit to show the user.
    public static func parse(hostPort: String) throws(NodeAddressParseError) -> NodeAddress {
        func fail(_ reason: String) -> NodeAddressParseError {
            NodeAddressParseError(input: hostPort, reason: reason)
        }
        let text = Substring(hostPort)
        guard !text.isEmpty else { throw fail("address is empty") }
        guard !text.contains(where: \.isWhitespace) else { throw fail("address contains whitespace") }
        guard !text.contains("/") else { throw fail("a URL is not an address; remove the scheme and path") }

        let host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { throw fail("missing ']' after IPv6 address") }
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else {
                throw fail(rest.isEmpty ? "missing port" : "expected ':' and a port after ']'")
            }
            portText = rest.dropFirst()
            guard !host.contains("[") else { throw fail("unbalanced brackets") }
        } else {
            guard let colon = text.lastIndex(of: ":") else { throw fail("missing port") }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            guard !host.contains("[") && !host.contains("]") else { throw fail("unbalanced brackets") }
        }
        guard !host.isEmpty else { throw fail("missing host") }
        guard !host.contains("@") else { throw fail("host must not contain '@'") }
        // DNS names and IP literals are printable ASCII. Anything else (a combining mark, say) can also merge with a
        // bracket or colon into one Character, so the address would not print back to text that parses the same.
        guard host.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { throw fail("host must be printable ASCII") }
        guard !portText.isEmpty else { throw fail("missing port") }
        guard let port = TextScanning.unsignedDecimal(portText, as: Int.self), (1...65535).contains(port) else {
            throw fail("port '\(portText)' is not a number between 1 and 65535")
        }
        return NodeAddress(host: String(host), port: port)
    }
}
