import NIOCore

/// Writes commands the way every Valkey client sends them: a RESP array of bulk strings.
///
/// Bulk strings (not inline commands) keep arguments binary-safe: spaces, CRLF or quotes in an argument
/// cannot change the command.
public enum RESPCommandEncoder {
    /// Appends one command, e.g. `["CLUSTER", "SLOT-STATS"]`, as `*2\r\n$7\r\nCLUSTER\r\n$10\r\nSLOT-STATS\r\n`.
    /// Lengths are UTF-8 byte counts.
    public static func encode(_ arguments: [String], into buffer: inout ByteBuffer) {
        self.encode(arguments[...], into: &buffer)
    }

    /// Appends one command from any collection of string arguments.
    public static func encode(_ arguments: some Collection<String>, into buffer: inout ByteBuffer) {
        self.writeHeader(UInt8(ascii: "*"), arguments.count, into: &buffer)
        for argument in arguments {
            self.writeHeader(UInt8(ascii: "$"), argument.utf8.count, into: &buffer)
            buffer.writeString(argument)
            buffer.writeStaticString("\r\n")
        }
    }

    /// Appends one command whose arguments are raw bytes (binary keys or values).
    public static func encode(_ arguments: [ByteBuffer], into buffer: inout ByteBuffer) {
        self.writeHeader(UInt8(ascii: "*"), arguments.count, into: &buffer)
        for argument in arguments {
            self.writeHeader(UInt8(ascii: "$"), argument.readableBytes, into: &buffer)
            buffer.writeImmutableBuffer(argument)
            buffer.writeStaticString("\r\n")
        }
    }

    /// Returns one command as a new buffer.
    public static func encode(_ arguments: [String], allocator: ByteBufferAllocator = ByteBufferAllocator()) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: arguments.reduce(16) { $0 + $1.utf8.count + 16 })
        self.encode(arguments, into: &buffer)
        return buffer
    }

    private static func writeHeader(_ marker: UInt8, _ value: Int, into buffer: inout ByteBuffer) {
        buffer.writeInteger(marker)
        buffer.writeString(String(value))
        buffer.writeStaticString("\r\n")
    }
}
