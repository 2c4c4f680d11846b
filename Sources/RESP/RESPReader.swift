#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A forward-only cursor over the bytes of a validated token, for walking large replies without
/// building a `ByteBuffer` slice per element.
///
/// A full `CLUSTER SLOT-STATS` reply has ~100k elements; reading it through `RESPToken.value` costs a
/// slice and a header parse per element, the reader costs a few pointer reads. The bytes were validated
/// when the token was decoded, so the reader only has to trust the framing, not re-check it.
///
/// It points into the token's storage: use it only inside `RESPToken.withReader`, never store it.
public struct RESPReader {
    // Internal, not private: RESPReader+CounterRecord.swift reads the same bytes.
    let raw: UnsafeRawBufferPointer
    var index: Int
    /// Entries the decoder already read from these bytes, for ``nextCounterRecord(_:)``; empty unless the reader
    /// came from ``RESPToken/withReader(counterNames:_:)`` with the names they were read with.
    let counterEntries: UnsafeBufferPointer<CounterEntry>
    /// The first of `counterEntries` that may still lie ahead of the cursor.
    var counterEntryCursor = 0

    /// One element's header, read by `next()`.
    public enum Element {
        /// `*`, `~`, `>` with their element count, `%` with its pair count. RESP2 null arrays never appear here (`null`).
        case array(count: Int)
        case map(count: Int)
        case integer(Int64)
        /// Simple or bulk string (or verbatim text, prefix included); read its bytes with `bytesEqual`.
        case string(Range<Int>)
        /// An error reply, simple or bulk.
        case error(Range<Int>)
        case null
        /// Anything else (double, boolean, big number): skipped.
        case other
    }

    init(_ raw: UnsafeRawBufferPointer, counterEntries: UnsafeBufferPointer<CounterEntry> = .init(start: nil, count: 0)) {
        self.raw = raw
        self.index = 0
        self.counterEntries = counterEntries
    }

    /// Whether the cursor has reached the end of the token.
    public var isAtEnd: Bool { index >= raw.count }

    /// Reads the next element's header and moves past it (and past the payload of a string). Attributes
    /// in front of an element are skipped. Returns nil at the end of the token.
    public mutating func next() -> Element? {
        // Dispatches on the raw type byte and reads numbers in the same pass that finds the line's CR:
        // a SLOT-STATS reply is ~60k elements, so per-element work is what this reader costs.
        while index < raw.count {
            let kind = raw[index]
            switch kind {
            case 0x3A:  // ':' integer
                return .integer(readInteger())
            case 0x24, 0x3D, 0x21:  // '$' bulk string, '=' verbatim string, '!' bulk error
                let count = readLength()
                if count < 0 { return .null }
                let payload = index..<(index + count)
                index += count + 2
                return kind == 0x21 ? .error(payload) : .string(payload)
            case 0x2A, 0x7E, 0x3E:  // '*' array, '~' set, '>' push
                let count = readLength()
                return count < 0 ? .null : .array(count: count)
            case 0x25:  // '%' map
                return .map(count: readLength())
            case 0x7C:  // '|' attribute: skipped with everything in it
                let pairs = readLength()
                for _ in 0..<(pairs * 2) { skipValue() }
            case 0x2B:  // '+' simple string
                return .string(readLine())
            case 0x2D:  // '-' simple error
                return .error(readLine())
            case 0x5F:  // '_' null
                _ = readLine()
                return .null
            default:  // boolean, double, big number
                _ = readLine()
                return .other
            }
        }
        return nil
    }

    /// Skips one whole element, nested elements included.
    public mutating func skipValue() {
        switch next() {
        case .array(let count): for _ in 0..<count { skipValue() }
        case .map(let count): for _ in 0..<(count * 2) { skipValue() }
        default: break
        }
    }

    /// Whether the bytes in `range` (from a `.string` or `.error`) equal `expected`.
    public func bytesEqual(_ range: Range<Int>, _ expected: [UInt8]) -> Bool {
        guard range.count == expected.count else { return false }
        var i = range.lowerBound
        for byte in expected {
            if raw[i] != byte { return false }
            i += 1
        }
        return true
    }

    /// Whether the bytes in `range` equal the ASCII text `expected`, compared in one `memcmp`.
    public func bytesEqual(_ range: Range<Int>, _ expected: StaticString) -> Bool {
        guard range.count == expected.utf8CodeUnitCount, range.upperBound <= raw.count else { return false }
        if range.isEmpty { return true }
        return memcmp(raw.baseAddress! + range.lowerBound, expected.utf8Start, range.count) == 0
    }

    /// The bytes in `range` as text.
    public func string(_ range: Range<Int>) -> String {
        String(decoding: UnsafeRawBufferPointer(rebasing: raw[range]), as: UTF8.self)
    }

    /// The content of the line at `index` (after its type byte); moves past its CRLF.
    private mutating func readLine() -> Range<Int> {
        var cr = index + 1
        while raw[cr] != 0x0D { cr += 1 }
        let content = (index + 1)..<cr
        index = cr + 2
        return content
    }

    /// The validated length or count on the line at `index` (`-1` or digits); moves past its CRLF.
    mutating func readLength() -> Int {
        var i = index + 1
        if raw[i] == 0x2D {
            _ = readLine()
            return -1
        }
        var value = 0
        while raw[i] != 0x0D {
            value = value &* 10 &+ Int(raw[i] &- 0x30)
            i += 1
        }
        index = i + 2
        return value
    }

    /// The validated integer on the line at `index` (optional sign, digits that fit); moves past its CRLF.
    mutating func readInteger() -> Int64 {
        var i = index + 1
        var negative = false
        if raw[i] == 0x2D || raw[i] == 0x2B {
            negative = raw[i] == 0x2D
            i += 1
        }
        // Accumulated negatively so Int64.min fits; the scanner already rejected overflow.
        var value: Int64 = 0
        while raw[i] != 0x0D {
            value = value &* 10 &- Int64(raw[i] &- 0x30)
            i += 1
        }
        index = i + 2
        return negative ? value : 0 &- value
    }
}

extension RESPToken {
    /// Walks this token's bytes with a `RESPReader`; the first `next()` returns the token's own header.
    public func withReader<Result>(_ body: (inout RESPReader) throws -> Result) rethrows -> Result {
        try base.withUnsafeReadableBytes { raw in
            var reader = RESPReader(raw)
            return try body(&reader)
        }
    }

    /// Like ``withReader(_:)``, for a reader whose ``RESPReader/nextCounterRecord(_:)`` is called with `counterNames`
    /// only: entries the decoder already read with the same names are then taken as they are, not read again.
    public func withReader<Result>(
        counterNames: CounterNames, _ body: (inout RESPReader) throws -> Result
    ) rethrows -> Result {
        guard let counterEntries, counterEntries.names == counterNames else { return try withReader(body) }
        return try base.withUnsafeReadableBytes { raw in
            try counterEntries.entries.withUnsafeBufferPointer { entries in
                var reader = RESPReader(raw, counterEntries: entries)
                return try body(&reader)
            }
        }
    }
}
