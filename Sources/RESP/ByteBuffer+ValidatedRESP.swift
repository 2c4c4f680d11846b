import NIOCore

/// Readers for bytes the scanner has already validated.
///
/// They trust the input (a validated token can only be built inside this module), which is why a failure
/// here is a programming error and traps rather than throws.
extension ByteBuffer {
    /// The header of the validated item at `index`: its type, its line content, and the offset just past the line.
    func validatedHeader(at index: Int) -> (kind: RESPTypeIdentifier, content: ByteBuffer, end: Int) {
        // Raw-pointer scanning: the generic `readableBytesView` path is ten times slower in debug builds, and
        // a full SLOT-STATS reply walks ~100k headers.
        let (kind, contentEnd) = self.withUnsafeReadableBytes { raw -> (RESPTypeIdentifier, Int) in
            let offset = index - self.readerIndex
            var cr = offset + 1
            while raw[cr] != .cr { cr += 1 }
            return (RESPTypeIdentifier(rawValue: raw[offset])!, cr + self.readerIndex)
        }
        let contentStart = index + 1
        let content = self.getSlice(at: contentStart, length: contentEnd - contentStart)!
        return (kind, content, contentEnd + 2)
    }

    /// The length (or count) in a validated header's content.
    static func validatedLength(_ content: ByteBuffer) -> Int {
        content.withUnsafeReadableBytes { raw in validatedLength(raw, from: 0, to: raw.count) }
    }

    /// A validated length is `-1` or plain digits that fit an `Int`.
    private static func validatedLength(_ raw: UnsafeRawBufferPointer, from start: Int, to end: Int) -> Int {
        if raw[start] == .minus { return -1 }
        var value = 0
        for i in start..<end { value = value &* 10 &+ Int(raw[i] &- .zero) }
        return value
    }

    /// A validated integer (`:` content): optional sign and digits that fit an `Int64`.
    static func validatedInteger(_ content: ByteBuffer) -> Int64 {
        content.withUnsafeReadableBytes { raw in
            var index = 0
            var negative = false
            if raw[0] == .minus || raw[0] == .plus {
                negative = raw[0] == .minus
                index = 1
            }
            // Accumulate negatively so Int64.min fits; the scanner already rejected overflow.
            var value: Int64 = 0
            while index < raw.count {
                value = value &* 10 &- Int64(raw[index] &- .zero)
                index += 1
            }
            return negative ? value : 0 &- value
        }
    }

    /// The number of bytes taken by the one validated item at the reader index. If that item is an attribute,
    /// only the attribute is measured, not the value it describes.
    func validatedItemLength() -> Int {
        self.withUnsafeReadableBytes { raw in
            // One counter is enough: nested attributes add their entries but, not being elements, give back
            // the slot they took from their parent.
            var index = 0
            var remaining = 1
            var isFirst = true
            while remaining > 0 {
                let kind = RESPTypeIdentifier(rawValue: raw[index])!
                var cr = index + 1
                while raw[cr] != .cr { cr += 1 }
                let contentStart = index + 1
                remaining -= 1
                index = cr + 2
                if kind.isBlob {
                    let length = Self.validatedLength(raw, from: contentStart, to: cr)
                    if length >= 0 { index += length + 2 }
                } else if let perCount = kind.elementsPerCount {
                    let count = Self.validatedLength(raw, from: contentStart, to: cr)
                    if count > 0 { remaining += count * perCount }
                    if kind == .attribute, !isFirst { remaining += 1 }
                }
                isFirst = false
            }
            return index
        }
    }

    /// Reads the next element of a validated aggregate, skipping attributes in front of it.
    mutating func readValidatedElement() -> RESPToken? {
        while self.readableBytes > 0 {
            let length = self.validatedItemLength()
            let slice = self.readSlice(length: length)!
            if slice.getInteger(at: slice.readerIndex, as: UInt8.self) != RESPTypeIdentifier.attribute.rawValue {
                return RESPToken(validated: slice)
            }
        }
        return nil
    }
}
