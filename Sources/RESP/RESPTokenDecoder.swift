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
    /// How large this connection's large replies have been lately (0 until one is seen): a monitoring client
    /// asks the same thing every cycle, so this sizes the buffer for the next one.
    private var largeReplyHint = 0
    /// Whether the buffer was already sized for the reply in progress.
    private var reservedForReply = false
    /// Replies at least this large count as large; smaller ones fit the first read or two anyway.
    static let largeReply = 32 * 1024

    /// Creates a decoder that rejects replies exceeding `limits`.
    ///
    /// With `counterNames`, `[integer, map]` entries (the shape of every `CLUSTER SLOT-STATS` entry) are read while
    /// they are validated and kept with the token, for ``RESPToken/withReader(counterNames:_:)``.
    public init(limits: RESPLimits = .default, counterNames: CounterNames? = nil) {
        self.scanner = RESPScanner(limits: limits, counterNames: counterNames)
    }

    /// Bytes looked at so far, to let tests prove that partial replies are not re-scanned.
    var bytesExamined: Int { self.scanner.bytesExamined }

    /// Returns the next complete reply, or nil when more bytes are needed.
    /// - Throws: ``RESPParsingError``; the stream cannot be resynchronised after it.
    public mutating func decode(buffer: inout ByteBuffer) throws(RESPParsingError) -> RESPToken? {
        guard let completed = try self.scanner.scan(buffer) else {
            self.reserveForReplyInProgress(&buffer)
            return nil
        }
        let size = completed.skip + completed.length
        if size >= Self.largeReply { self.largeReplyHint = max(size, self.largeReplyHint - self.largeReplyHint / 4) }
        self.reservedForReply = false
        let entries = self.scanner.takeCounterEntries(skip: completed.skip)
        self.scanner.reset()
        buffer.moveReaderIndex(forwardBy: completed.skip)
        return RESPToken(validated: buffer.readSlice(length: completed.length)!, counterEntries: entries)
    }

    /// Once a reply in progress has outgrown a read, grows the buffer in one step to the size large replies have had
    /// lately, instead of letting every read that does not fit double it (a 600 KB SLOT-STATS reply in 64 KB reads
    /// was copied five times over, ~1 MB of `memmove` per reply). Never beyond the reply size limit.
    private mutating func reserveForReplyInProgress(_ buffer: inout ByteBuffer) {
        guard !self.reservedForReply, self.largeReplyHint > 0, buffer.readableBytes >= Self.largeReply / 2 else { return }
        self.reservedForReply = true
        let wanted = min(self.largeReplyHint + self.largeReplyHint / 8, self.scanner.limits.maxReplySize)
        if wanted > buffer.readableBytes + buffer.writableBytes {
            buffer.reserveCapacity(minimumWritableBytes: wanted - buffer.readableBytes)
        }
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
