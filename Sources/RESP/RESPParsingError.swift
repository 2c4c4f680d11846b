/// A reply that is not valid RESP, or that exceeds ``RESPLimits``.
///
/// After this error the byte stream cannot be resynchronised; the connection should be closed.
public struct RESPParsingError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong. A struct over a private enum so new codes can be added without breaking callers' switches.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: Sendable, Hashable {
            case invalidTypeMarker, invalidLength, bulkTooLong, aggregateTooLarge, tooDeep, replyTooLarge
            case invalidInteger, invalidDouble, invalidBoolean, invalidBigNumber, invalidNull
            case invalidVerbatimString, missingCRLF, truncated
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The first byte of a value is not one of `+ - : $ * _ # , ( ! = % ~ > |`.
        public static let invalidTypeMarker = Code(.invalidTypeMarker)
        /// A length or count is not a decimal number, or is negative other than the RESP2 null `$-1` / `*-1`.
        public static let invalidLength = Code(.invalidLength)
        /// A bulk length is above ``RESPLimits/maxBulkLength``.
        public static let bulkTooLong = Code(.bulkTooLong)
        /// An aggregate count is above ``RESPLimits/maxAggregateCount``.
        public static let aggregateTooLarge = Code(.aggregateTooLarge)
        /// Aggregates are nested deeper than ``RESPLimits/maxDepth``.
        public static let tooDeep = Code(.tooDeep)
        /// The reply is, or announces that it will be, larger than ``RESPLimits/maxReplySize``.
        public static let replyTooLarge = Code(.replyTooLarge)
        /// An integer (`:`) is not a decimal number or does not fit in Int64.
        public static let invalidInteger = Code(.invalidInteger)
        /// A double (`,`) is not a decimal number, `inf`, `-inf` or `nan`.
        public static let invalidDouble = Code(.invalidDouble)
        /// A boolean (`#`) is not `t` or `f`.
        public static let invalidBoolean = Code(.invalidBoolean)
        /// A big number (`(`) is not an optional sign followed by digits.
        public static let invalidBigNumber = Code(.invalidBigNumber)
        /// A null (`_`) has content before its CRLF.
        public static let invalidNull = Code(.invalidNull)
        /// A verbatim string (`=`) does not start with a three-character format and `:`.
        public static let invalidVerbatimString = Code(.invalidVerbatimString)
        /// A line does not end in CRLF, a bare CR or LF appears in a line, or a payload is not followed by CRLF.
        public static let missingCRLF = Code(.missingCRLF)
        /// The stream ended in the middle of a reply.
        public static let truncated = Code(.truncated)

        public var description: String {
            switch self.base {
            case .invalidTypeMarker: "invalid type marker"
            case .invalidLength: "invalid length"
            case .bulkTooLong: "bulk string too long"
            case .aggregateTooLarge: "aggregate too large"
            case .tooDeep: "aggregates nested too deeply"
            case .replyTooLarge: "reply too large"
            case .invalidInteger: "invalid integer"
            case .invalidDouble: "invalid double"
            case .invalidBoolean: "invalid boolean"
            case .invalidBigNumber: "invalid big number"
            case .invalidNull: "invalid null"
            case .invalidVerbatimString: "invalid verbatim string"
            case .missingCRLF: "missing CRLF"
            case .truncated: "truncated reply"
            }
        }
    }

    /// What went wrong.
    public var code: Code
    /// The byte offset of the problem, counted from the first byte of the top-level reply being decoded.
    public var offset: Int

    /// Creates an error.
    public init(code: Code, offset: Int) {
        self.code = code
        self.offset = offset
    }

    public var description: String {
        "RESP parsing error: \(self.code) at byte \(self.offset)"
    }
}
