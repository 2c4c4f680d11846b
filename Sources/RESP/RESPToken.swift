import NIOCore

/// One complete RESP2 or RESP3 value, as the exact bytes it arrived in.
///
/// A token is a validated slice of the buffer the decoder read into: building it copies nothing, and
/// ``value`` and the accessors interpret the bytes only when asked. Two tokens are equal when their bytes are.
public struct RESPToken: Sendable, Hashable {
    /// The exact bytes of one complete, already-validated value (for a reply that began with an attribute,
    /// the bytes of the value after it).
    public let base: ByteBuffer
    /// Entries the decoder read while validating, when it was asked to (see ``RESPTokenDecoder/init(limits:counterNames:)``).
    let counterEntries: CounterEntries?

    /// Wraps bytes that ``RESPScanner`` has validated as exactly one value. Internal: nothing outside the
    /// module can produce such a guarantee, and every reader here relies on it.
    init(validated base: ByteBuffer, counterEntries: CounterEntries? = nil) {
        self.base = base
        self.counterEntries = counterEntries
    }

    public static func == (lhs: RESPToken, rhs: RESPToken) -> Bool { lhs.base == rhs.base }

    public func hash(into hasher: inout Hasher) { hasher.combine(base) }

    /// Decodes one complete value from the start of `buffer`, for tests and small fixed inputs.
    ///
    /// On success the value's bytes are consumed from `buffer`; when `buffer` holds only part of a value
    /// this returns nil and leaves `buffer` untouched. A top-level attribute is consumed and skipped, as
    /// ``RESPTokenDecoder`` does. Unlike the decoder this re-scans from the start on every call, so use the
    /// decoder for data that arrives in pieces.
    /// - Throws: ``RESPParsingError`` when the bytes are not valid RESP or exceed `limits`.
    public init?(validating buffer: inout ByteBuffer, limits: RESPLimits = .default) throws(RESPParsingError) {
        var scanner = RESPScanner(limits: limits)
        guard let completed = try scanner.scan(buffer) else { return nil }
        buffer.moveReaderIndex(forwardBy: completed.skip)
        self.init(validated: buffer.readSlice(length: completed.length)!)
    }

    /// A typed view of a token.
    public enum Value: Sendable, Hashable {
        /// `+` text without CR or LF.
        case simpleString(ByteBuffer)
        /// `-` error text, conventionally starting with an upper-case code such as `ERR` or `NOPERM`.
        case simpleError(ByteBuffer)
        /// `$` binary-safe payload.
        case bulkString(ByteBuffer)
        /// `!` binary-safe error payload (RESP3).
        case bulkError(ByteBuffer)
        /// `=` payload including its three-character format and `:`, e.g. `txt:...` (RESP3).
        case verbatimString(ByteBuffer)
        /// `:` signed 64-bit integer.
        case integer(Int64)
        /// `,` double, including infinities and NaN (RESP3).
        case double(Double)
        /// `#t` / `#f` (RESP3).
        case boolean(Bool)
        /// `(` arbitrary-precision integer digits with optional sign, as sent (RESP3).
        case bigNumber(ByteBuffer)
        /// RESP3 `_`, and the RESP2 null bulk string `$-1` and null array `*-1`.
        case null
        /// `*` ordered elements.
        case array(RESPToken.Array)
        /// `~` unordered distinct elements (RESP3).
        case set(RESPToken.Array)
        /// `>` out-of-band push message (RESP3).
        case push(RESPToken.Array)
        /// `%` key/value pairs (RESP3).
        case map(RESPToken.Map)
        /// `|` metadata about the value that follows it (RESP3). The decoder never returns an attribute as a
        /// token and aggregates skip them, so this appears only for a token built directly from attribute bytes.
        case attribute(RESPToken.Map)
    }
}
