import NIOCore

/// Shortcuts for the common questions callers ask of a reply, so they rarely need to switch over ``RESPToken/Value``.
extension RESPToken {
    /// The text of a simple string, bulk string, or verbatim string (without its `txt:`-style prefix), else nil.
    ///
    /// Bytes that are not valid UTF-8 are replaced with U+FFFD; use ``bytes`` for binary payloads.
    public var string: String? {
        self.bytes.map { String(buffer: $0) }
    }

    /// The payload of a simple string, bulk string, or verbatim string (without its format prefix), else nil.
    public var bytes: ByteBuffer? {
        switch self.value {
        case .simpleString(let buffer), .bulkString(let buffer):
            return buffer
        case .verbatimString(var buffer):
            // The scanner guaranteed at least four bytes: a three-character format and ':'.
            buffer.moveReaderIndex(forwardBy: 4)
            return buffer
        default:
            return nil
        }
    }

    /// An integer reply, or a simple/bulk string whose whole text is a decimal Int64 (`[+|-]digits`), else nil.
    ///
    /// Strings are accepted because RESP2 servers and some commands send numbers as text.
    public var int64: Int64? {
        switch self.value {
        case .integer(let value):
            return value
        case .simpleString(let buffer), .bulkString(let buffer):
            return RESPSyntax.parseInt64(buffer.readableBytesView)
        default:
            return nil
        }
    }

    /// A double reply, an integer, or a simple/bulk string in RESP double syntax (RESP2 sends doubles as bulk strings), else nil.
    public var double: Double? {
        switch self.value {
        case .double(let value):
            return value
        case .integer(let value):
            return Double(value)
        case .simpleString(let buffer), .bulkString(let buffer):
            let bytes = buffer.readableBytesView
            if let special = RESPSyntax.specialDouble(bytes) { return special }
            guard RESPSyntax.isValidDouble(bytes) else { return nil }
            return Double(String(buffer: buffer))
        default:
            return nil
        }
    }

    /// A RESP3 boolean, else nil.
    public var bool: Bool? {
        if case .boolean(let value) = self.value { return value }
        return nil
    }

    /// The text of a simple error (`-`) or bulk error (`!`), else nil. Invalid UTF-8 is replaced with U+FFFD.
    public var errorMessage: String? {
        switch self.value {
        case .simpleError(let buffer), .bulkError(let buffer):
            return String(buffer: buffer)
        default:
            return nil
        }
    }

    /// The first word of an error (`ERR`, `NOPERM`, `WRONGPASS`, `MOVED`, ...), else nil.
    ///
    /// Valkey puts a machine-readable code first by convention; callers map it to bounded reasons.
    public var errorCode: Substring? {
        guard let message = self.errorMessage else { return nil }
        return message.prefix { $0 != " " }
    }

    /// True for RESP3 `_` and the RESP2 nulls `$-1` and `*-1`.
    public var isNull: Bool {
        if case .null = self.value { return true }
        return false
    }

    /// The elements of an array, set or push, else nil.
    public var array: Array? {
        switch self.value {
        case .array(let array), .set(let array), .push(let array):
            return array
        default:
            return nil
        }
    }

    /// Key/value pairs from a RESP3 map, or from a RESP2 array of even length read as `key, value, key, value, ...`.
    ///
    /// Commands such as `CLUSTER SLOT-STATS` send the same data as a map under RESP3 and as a flat array under
    /// RESP2; this reads both. Nil for anything else, including an array of odd length.
    public var pairs: Map? {
        switch self.value {
        case .map(let map):
            return map
        case .array(let array) where array.count % 2 == 0:
            return Map(count: array.count / 2, elements: array.elements)
        default:
            return nil
        }
    }
}
