/// A forward-only cursor over the bytes of a validated token, for walking large replies without
/// building a `ByteBuffer` slice per element.
///
/// A full `CLUSTER SLOT-STATS` reply has ~100k elements; reading it through `RESPToken.value` costs a
/// slice and a header parse per element, the reader costs a few pointer reads. The bytes were validated
/// when the token was decoded, so the reader only has to trust the framing, not re-check it.
///
/// It points into the token's storage: use it only inside `RESPToken.withReader`, never store it.
public struct RESPReader {
    private let raw: UnsafeRawBufferPointer
    private var index: Int

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

    init(_ raw: UnsafeRawBufferPointer) {
        self.raw = raw
        self.index = 0
    }

    /// Whether the cursor has reached the end of the token.
    public var isAtEnd: Bool { index >= raw.count }

    /// Reads the next element's header and moves past it (and past the payload of a string). Attributes
    /// in front of an element are skipped. Returns nil at the end of the token.
    public mutating func next() -> Element? {
        while index < raw.count {
            let kind = raw[index]
            var cr = index + 1
            while raw[cr] != 0x0D { cr += 1 }
            let content = (index + 1)..<cr
            index = cr + 2
            switch RESPTypeIdentifier(rawValue: kind)! {
            case .array, .set, .push:
                let count = length(content)
                return count < 0 ? .null : .array(count: count)
            case .map:
                return .map(count: length(content))
            case .attribute:
                let pairs = length(content)
                for _ in 0..<(pairs * 2) { skipValue() }
            case .integer:
                return .integer(integer(content))
            case .simpleString:
                return .string(content)
            case .simpleError:
                return .error(content)
            case .bulkString, .verbatimString, .bulkError:
                let count = length(content)
                if count < 0 { return .null }
                let payload = index..<(index + count)
                index += count + 2
                return kind == RESPTypeIdentifier.bulkError.rawValue ? .error(payload) : .string(payload)
            case .null:
                return .null
            case .boolean, .double, .bigNumber:
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

    /// The bytes in `range` as text.
    public func string(_ range: Range<Int>) -> String {
        String(decoding: UnsafeRawBufferPointer(rebasing: raw[range]), as: UTF8.self)
    }

    private func length(_ content: Range<Int>) -> Int {
        if raw[content.lowerBound] == 0x2D { return -1 }
        var value = 0
        for i in content { value = value &* 10 &+ Int(raw[i] &- 0x30) }
        return value
    }

    private func integer(_ content: Range<Int>) -> Int64 {
        var i = content.lowerBound
        var negative = false
        if raw[i] == 0x2D || raw[i] == 0x2B {
            negative = raw[i] == 0x2D
            i += 1
        }
        var value: Int64 = 0
        while i < content.upperBound {
            value = value &* 10 &- Int64(raw[i] &- 0x30)
            i += 1
        }
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
}
