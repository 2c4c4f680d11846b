import Testing

@testable import ClusterModel

/// The byte-level paths of TextScanning must say exactly what the Character-level definitions say: every string
/// over an alphabet of the bytes that matter (CR, LF, tab, space, a letter), and a few non-ASCII ones.
@Suite("Text scanning")
struct TextScanningTests {
    static let alphabet: [Character] = ["\r", "\n", "\t", " ", "a", "\u{0B}"]

    /// Every string of up to `length` characters from `alphabet` (6^5 + ... = 9331 strings for 5).
    static func strings(upTo length: Int) -> [String] {
        var all = [""]
        var level = [""]
        for _ in 0..<length {
            level = level.flatMap { prefix in alphabet.map { prefix + String($0) } }
            all += level
        }
        return all
    }

    static let nonASCII = ["a\u{00A0}b\n", "\u{00A0}\n\u{2003}", "é\r\nx", "a\u{0301} b\r\n", " \u{0301}\n"]

    @Test func linesMatchTheCharacterSplit() {
        for text in Self.strings(upTo: 5) + Self.nonASCII {
            var expected = text.split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == "\r\n" }
            if expected.last?.isEmpty == true { expected.removeLast() }
            #expect(TextScanning.lines(text).map(String.init) == expected.map(String.init), "\(Array(text.utf8))")
        }
    }

    @Test func fieldsAndBlanksMatchTheCharacterDefinitions() {
        for text in Self.strings(upTo: 5) + Self.nonASCII {
            let line = Substring(text)
            #expect(TextScanning.fields(line).map(String.init) == line.split(whereSeparator: \.isWhitespace).map(String.init),
                    "\(Array(text.utf8))")
            #expect(TextScanning.isBlank(line) == line.allSatisfy(\.isWhitespace), "\(Array(text.utf8))")
        }
    }
}
