import NIOCore

extension RESPToken {
    /// The typed view of the token, computed from ``base`` on each access.
    public var value: Value {
        let header = self.base.validatedHeader(at: self.base.readerIndex)
        var rest = self.base
        rest.moveReaderIndex(to: header.end)
        switch header.kind {
        case .simpleString: return .simpleString(header.content)
        case .simpleError: return .simpleError(header.content)
        case .bigNumber: return .bigNumber(header.content)
        case .null: return .null
        case .boolean: return .boolean(header.content.getInteger(at: header.content.readerIndex, as: UInt8.self) == UInt8(ascii: "t"))
        case .integer: return .integer(ByteBuffer.validatedInteger(header.content))
        case .double: return .double(Self.validatedDouble(header.content))
        case .bulkString, .bulkError, .verbatimString:
            let length = ByteBuffer.validatedLength(header.content)
            guard length >= 0 else { return .null }
            let payload = rest.getSlice(at: rest.readerIndex, length: length)!
            switch header.kind {
            case .bulkString: return .bulkString(payload)
            case .bulkError: return .bulkError(payload)
            default: return .verbatimString(payload)
            }
        case .array, .set, .push, .map, .attribute:
            let count = ByteBuffer.validatedLength(header.content)
            guard count >= 0 else { return .null }
            let elements = rest.slice()
            switch header.kind {
            case .array: return .array(Array(count: count, elements: elements))
            case .set: return .set(Array(count: count, elements: elements))
            case .push: return .push(Array(count: count, elements: elements))
            case .map: return .map(Map(count: count, elements: elements))
            default: return .attribute(Map(count: count, elements: elements))
            }
        }
    }

    private static func validatedDouble(_ content: ByteBuffer) -> Double {
        let bytes = content.readableBytesView
        if let special = RESPSyntax.specialDouble(bytes) { return special }
        // The scanner admitted only plain decimal syntax, which Double(String) parses exactly.
        return Double(String(decoding: bytes, as: UTF8.self))!
    }
}
