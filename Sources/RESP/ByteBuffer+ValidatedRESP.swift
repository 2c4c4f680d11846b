import NIOCore

/// Readers for bytes the scanner has already validated.
///
/// They trust the input (a validated token can only be built inside this module), which is why a failure
/// here is a programming error and traps rather than throws.
extension ByteBuffer {
    /// The header of the validated item at `index`: its type, its line content, and the offset just past the line.
    func validatedHeader(at index: Int) -> (kind: RESPTypeIdentifier, content: ByteBuffer, end: Int) {
        let kind = RESPTypeIdentifier(rawValue: self.getInteger(at: index, as: UInt8.self)!)!
        let view = self.readableBytesView
        let contentStart = index + 1
        let cr = view[(contentStart - self.readerIndex + view.startIndex)...].firstIndex(of: .cr)!
        let contentEnd = cr - view.startIndex + self.readerIndex
        let content = self.getSlice(at: contentStart, length: contentEnd - contentStart)!
        return (kind, content, contentEnd + 2)
    }

    /// The length (or count) in a validated header's content.
    static func validatedLength(_ content: ByteBuffer) -> Int {
        RESPSyntax.parseLength(content.readableBytesView)!
    }

    /// The number of bytes taken by the one validated item at the reader index. If that item is an attribute,
    /// only the attribute is measured, not the value it describes.
    func validatedItemLength() -> Int {
        // One counter is enough: nested attributes add their entries but, not being elements, give back
        // the slot they took from their parent.
        var index = self.readerIndex
        var remaining = 1
        var isFirst = true
        while remaining > 0 {
            let header = self.validatedHeader(at: index)
            remaining -= 1
            index = header.end
            if header.kind.isBlob {
                let length = Self.validatedLength(header.content)
                if length >= 0 { index += length + 2 }
            } else if let perCount = header.kind.elementsPerCount {
                let count = Self.validatedLength(header.content)
                if count > 0 { remaining += count * perCount }
                if header.kind == .attribute, !isFirst { remaining += 1 }
            }
            isFirst = false
        }
        return index - self.readerIndex
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
