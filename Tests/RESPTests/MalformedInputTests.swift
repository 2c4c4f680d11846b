import NIOCore
import Testing

@testable import RESP

@Suite("Malformed input")
struct MalformedInputTests {
    @Test func badTypeByte() {
        expectError("?x\r\n", .invalidTypeMarker, offset: 0)
        expectError("OK\r\n", .invalidTypeMarker)
        expectError("\r\n", .invalidTypeMarker)
        expectError("*2\r\n:1\r\nx\r\n", .invalidTypeMarker, offset: 8)
    }

    @Test func missingCRLF() {
        expectError("+OK\n", .missingCRLF, offset: 3)
        expectError("+OK\rX", .missingCRLF, offset: 3)
        expectError(":1\r\r\n", .missingCRLF)
        expectError("$3\r\nabcXY", .missingCRLF, offset: 7)
        expectError("$3\r\nab\r\n\r\n", .missingCRLF)
        expectError("*1\n:1\r\n", .missingCRLF)
        expectError("-ERR a\nb\r\n", .missingCRLF)
    }

    @Test func nonNumericOrNegativeLengths() {
        expectError("$abc\r\n", .invalidLength)
        expectError("$\r\n", .invalidLength)
        expectError("$+3\r\nabc\r\n", .invalidLength)
        expectError("$ 3\r\n", .invalidLength)
        expectError("*x\r\n", .invalidLength)
        expectError("$-2\r\n", .invalidLength, offset: 0)
        expectError("*-2\r\n", .invalidLength)
        expectError("$-0\r\n", .invalidLength)
        // Only RESP2's `$-1` and `*-1` are nulls; the RESP3 types have no negative form.
        expectError("!-1\r\n", .invalidLength)
        expectError("=-1\r\n", .invalidLength)
        expectError("%-1\r\n", .invalidLength)
        expectError("~-1\r\n", .invalidLength)
        expectError(">-1\r\n", .invalidLength)
        expectError("|-1\r\n", .invalidLength)
    }

    @Test func badIntegers() {
        expectError(":9223372036854775808\r\n", .invalidInteger)
        expectError(":-9223372036854775809\r\n", .invalidInteger)
        expectError(":99999999999999999999\r\n", .invalidInteger)
        expectError(":\r\n", .invalidInteger)
        expectError(":-\r\n", .invalidInteger)
        expectError(":12a\r\n", .invalidInteger)
        expectError(":1.0\r\n", .invalidInteger)
    }

    @Test func badBooleansNullsAndBigNumbers() {
        expectError("#x\r\n", .invalidBoolean)
        expectError("#T\r\n", .invalidBoolean)
        expectError("#\r\n", .invalidBoolean)
        expectError("#tt\r\n", .invalidBoolean)
        expectError("_x\r\n", .invalidNull)
        expectError("(\r\n", .invalidBigNumber)
        expectError("(-\r\n", .invalidBigNumber)
        expectError("(12a\r\n", .invalidBigNumber)
    }

    @Test func badDoubles() {
        for text in ["abc", "", "1e", "1e+", "0x1p3", "infinity", "INF", "NaN", ".", "-", "1.2.3", "1 ", "--1", "e5"] {
            expectError(",\(text)\r\n", .invalidDouble)
        }
    }

    @Test func badVerbatimStrings() {
        expectError("=3\r\ntxt\r\n", .invalidVerbatimString)
        expectError("=5\r\ntxt-a\r\n", .invalidVerbatimString)
        expectError("=0\r\n\r\n", .invalidVerbatimString)
    }

    @Test func truncatedAtEOF() throws {
        for input in ["+OK", "+OK\r", "$5\r\nhel", "$5\r\nhello", "$5\r\nhello\r", "*2\r\n:1\r\n", "%1\r\n+k\r\n", "|1\r\n+a\r\n+b\r\n", ":"] {
            var buffer = bytes(input)
            var decoder = RESPTokenDecoder()
            #expect(try decoder.decode(buffer: &buffer) == nil, "\(input.debugDescription) is incomplete, not an error")
            #expect(throws: RESPParsingError(code: .truncated, offset: input.utf8.count)) {
                _ = try decoder.decodeLast(buffer: &buffer, seenEOF: true)
            }
        }
    }

    @Test func errorDescriptionNamesCodeAndOffset() {
        let error = RESPParsingError(code: .missingCRLF, offset: 7)
        #expect(error.description == "RESP parsing error: missing CRLF at byte 7")
        #expect(RESPParsingError.Code.bulkTooLong != .aggregateTooLarge)
    }

    /// Every prefix of arbitrary bytes must end in a value, a wait, or an error: never a trap.
    @Test func garbageNeverCrashes() {
        var generator = SplitMix64(seed: 0x5EED)
        let alphabet = Array("+-:$*_#,(!=%~>|0123456789-\r\nabtf.e".utf8)
        for _ in 0..<2000 {
            let length = Int(generator.next() % 40)
            let input = (0..<length).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] }
            var buffer = ByteBuffer(bytes: input)
            var decoder = RESPTokenDecoder(limits: RESPLimits(maxBulkLength: 16, maxAggregateCount: 16, maxDepth: 4, maxReplySize: 64))
            while let token = try? decoder.decode(buffer: &buffer) {
                // Reading the value walks the validated bytes again; it must agree with the validation.
                _ = "\(token.value)"
                _ = token.array.map { Array($0) }
                _ = token.pairs.map { Array($0) }
            }
        }
    }
}

/// A small deterministic generator so the garbage test is reproducible.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { self.state = seed }
    mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
