import NIOCore

/// Serialises a `JSONValue` compactly into a `ByteBuffer` (RFC 8259 escaping).
public enum JSONWriter {
    public static func write(_ value: JSONValue, into buffer: inout ByteBuffer) {
        switch value {
        case .object(let members):
            buffer.writeInteger(UInt8(ascii: "{"))
            for (index, (key, member)) in members.enumerated() {
                if index > 0 { buffer.writeInteger(UInt8(ascii: ",")) }
                writeString(key, into: &buffer)
                buffer.writeInteger(UInt8(ascii: ":"))
                write(member, into: &buffer)
            }
            buffer.writeInteger(UInt8(ascii: "}"))
        case .array(let items):
            buffer.writeInteger(UInt8(ascii: "["))
            for (index, item) in items.enumerated() {
                if index > 0 { buffer.writeInteger(UInt8(ascii: ",")) }
                write(item, into: &buffer)
            }
            buffer.writeInteger(UInt8(ascii: "]"))
        case .string(let string):
            writeString(string, into: &buffer)
        case .int(let number):
            buffer.writeString(String(number))
        case .double(let number):
            if number.isFinite {
                // Whole numbers print as "26", others with Swift's shortest round-trip form ("45.2").
                if number == number.rounded(), abs(number) < 1e15 {
                    buffer.writeString(String(Int64(number)))
                } else {
                    buffer.writeString(String(number))
                }
            } else {
                buffer.writeString("null")
            }
        case .bool(let flag):
            buffer.writeString(flag ? "true" : "false")
        case .raw(var bytes):
            buffer.writeBuffer(&bytes)
        case .null:
            buffer.writeString("null")
        }
    }

    /// The document as a string (tests, logs).
    public static func string(_ value: JSONValue) -> String {
        var buffer = ByteBuffer()
        write(value, into: &buffer)
        return String(buffer: buffer)
    }

    private static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    static func writeString(_ string: String, into buffer: inout ByteBuffer) {
        buffer.writeInteger(UInt8(ascii: "\""))
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "\""): buffer.writeStaticString("\\\"")
            case UInt8(ascii: "\\"): buffer.writeStaticString("\\\\")
            case UInt8(ascii: "\n"): buffer.writeStaticString("\\n")
            case UInt8(ascii: "\r"): buffer.writeStaticString("\\r")
            case UInt8(ascii: "\t"): buffer.writeStaticString("\\t")
            case 0..<0x20, 0x7f:
                buffer.writeStaticString("\\u00")
                buffer.writeInteger(hex[Int(byte >> 4)])
                buffer.writeInteger(hex[Int(byte & 0xf)])
            default:
                buffer.writeInteger(byte)
            }
        }
        buffer.writeInteger(UInt8(ascii: "\""))
    }
}
