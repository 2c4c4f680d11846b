import NIOCore

/// Splits an inbound byte stream into complete ``RESPToken``s, one top-level reply at a time.
///
/// Progress on an unfinished reply is kept between calls, so a large reply arriving in many reads is
/// validated once in total rather than from its start on every read. A reply that begins with a RESP3
/// attribute (`|`) is returned as the value after the attribute; the attribute is dropped.
///
/// Use it with `ByteToMessageHandler`. It assumes every call passes the same cumulative buffer whose unread
/// part starts at the reply in progress, which is what `ByteToMessageHandler` does.
public struct RESPTokenDecoder: NIOSingleStepByteToMessageDecoder, Sendable {
    public typealias InboundOut = RESPToken

    private var scanner: RESPScanner

    /// Creates a decoder that rejects replies exceeding `limits`.
    public init(limits: RESPLimits = .default) {
        self.scanner = RESPScanner(limits: limits)
    }

    /// Bytes looked at so far, to let tests prove that partial replies are not re-scanned.
    var bytesExamined: Int { self.scanner.bytesExamined }

    /// Returns the next complete reply, or nil when more bytes are needed.
    /// - Throws: ``RESPParsingError``; the stream cannot be resynchronised after it.
    public mutating func decode(buffer: inout ByteBuffer) throws(RESPParsingError) -> RESPToken? {
        guard let completed = try self.scanner.scan(buffer) else { return nil }
        self.scanner.reset()
        buffer.moveReaderIndex(forwardBy: completed.skip)
        return RESPToken(validated: buffer.readSlice(length: completed.length)!)
    }

    /// Like ``decode(buffer:)``, but at end of stream a partial reply is an error instead of a wait.
    /// - Throws: ``RESPParsingError`` with code ``RESPParsingError/Code/truncated`` when `seenEOF` and bytes remain.
    public mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws(RESPParsingError) -> RESPToken? {
        if let token = try self.decode(buffer: &buffer) { return token }
        if seenEOF, buffer.readableBytes > 0 {
            throw RESPParsingError(code: .truncated, offset: buffer.readableBytes)
        }
        return nil
    }
}
