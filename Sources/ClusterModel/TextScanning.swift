/// Small text helpers shared by the reply parsers.
///
/// Valkey replies are ASCII in practice, but they reach us as `String`, where `"\r\n"` is a *single*
/// `Character`. Splitting on `"\n"` alone would therefore leave CRLF replies as one giant line, so
/// line splitting here treats both `"\n"` and `"\r\n"` as terminators.
enum TextScanning {
    /// The lines of `text`, without terminators. A final terminator does not produce an extra empty line.
    static func lines(_ text: String) -> [Substring] {
        var lines = text.split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == "\r\n" }
        if lines.last?.isEmpty == true {
            lines.removeLast()
        }
        return lines
    }

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
