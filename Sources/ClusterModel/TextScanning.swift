/// Small text helpers shared by the reply parsers.
///
/// Valkey replies are ASCII in practice, but they reach us as `String`, where `"\r\n"` is a *single*
/// `Character`. Splitting on `"\n"` alone would therefore leave CRLF replies as one giant line, so
/// line splitting here treats both `"\n"` and `"\r\n"` as terminators.
enum TextScanning {
    /// The lines of `text`, without terminators. A final terminator does not produce an extra empty line.
    static func lines(_ text: String) -> [Substring] {
        var lines: [Substring]
        if isASCII(text) {
            // Byte for byte the same split: in ASCII text a Character is one byte, except CRLF, which ends a
            // line like LF. Splitting by Character costs a grapheme break per byte, the bulk of parsing a
            // 1000-node CLUSTER NODES reply.
            let pieces = text.utf8.split(separator: lf, omittingEmptySubsequences: false)
            lines = pieces.indices.map { index in
                // A CR ends a line only right before its LF; the last piece has none after it.
                let piece = pieces[index]
                return Substring(index < pieces.count - 1 && piece.last == cr ? piece.dropLast() : piece)
            }
        } else {
            lines = text.split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == "\r\n" }
        }
        if lines.last?.isEmpty == true {
            lines.removeLast()
        }
        return lines
    }

    /// The whitespace-separated fields of `text`, as `text.split(whereSeparator: \.isWhitespace)` gives them.
    static func fields(_ text: Substring) -> [Substring] {
        guard isASCII(text) else { return text.split(whereSeparator: \.isWhitespace) }
        return text.utf8.split(whereSeparator: isASCIIWhitespace).map { Substring($0) }
    }

    /// Whether `text` is empty or only whitespace, as `text.allSatisfy(\.isWhitespace)` says.
    static func isBlank(_ text: Substring) -> Bool {
        guard isASCII(text) else { return text.allSatisfy(\.isWhitespace) }
        return text.utf8.allSatisfy(isASCIIWhitespace)
    }

    /// Space, tab, LF, VT, FF, CR: what `Character.isWhitespace` says of ASCII.
    static func isASCIIWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || (byte >= 0x09 && byte <= 0x0D)
    }

    private static func isASCII(_ text: some StringProtocol) -> Bool { text.utf8.allSatisfy { $0 < 0x80 } }

    private static let lf = UInt8(ascii: "\n")
    private static let cr = UInt8(ascii: "\r")

    /// Parses a plain non-negative base-10 integer: ASCII digits only, no sign, no whitespace, no
    /// separators. Swift's `Int("+5")` accepts a sign, which none of our wire formats allow.
    /// Returns nil on overflow.
    static func unsignedDecimal<T: FixedWidthInteger>(_ text: some StringProtocol, as type: T.Type = T.self) -> T? {
        guard !text.isEmpty else { return nil }
        var value: T = 0
        for byte in text.utf8 {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            let (shifted, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (added, overflow2) = shifted.addingReportingOverflow(T(byte - UInt8(ascii: "0")))
            guard !overflow1, !overflow2 else { return nil }
            value = added
        }
        return value
    }
}
