/// The first byte of every RESP2/RESP3 value.
///
/// Internal: callers see the typed ``RESPToken/Value`` instead; the marker byte is an encoding detail.
enum RESPTypeIdentifier: UInt8, Sendable {
    case simpleString = 0x2B  // +
    case simpleError = 0x2D  // -
    case integer = 0x3A  // :
    case bulkString = 0x24  // $
    case array = 0x2A  // *
    case null = 0x5F  // _
    case boolean = 0x23  // #
    case double = 0x2C  // ,
    case bigNumber = 0x28  // (
    case bulkError = 0x21  // !
    case verbatimString = 0x3D  // =
    case map = 0x25  // %
    case set = 0x7E  // ~
    case push = 0x3E  // >
    case attribute = 0x7C  // |

    /// The line after the marker is a decimal length (`$`, `!`, `=`) followed by a payload.
    var isBlob: Bool {
        switch self {
        case .bulkString, .bulkError, .verbatimString: true
        default: false
        }
    }

    /// Elements announced per unit of the header count, or nil for non-aggregates.
    /// Maps and attributes announce pairs, so each counts as two elements.
    var elementsPerCount: Int? {
        switch self {
        case .array, .set, .push: 1
        case .map, .attribute: 2
        default: nil
        }
    }

    /// The longest line content this type can legally have, so a header that never ends is rejected
    /// early instead of being buffered up to `maxReplySize`.
    /// 20 characters hold any Int64 with its sign (`-9223372036854775808`).
    var maxLineContentLength: Int {
        switch self {
        case .integer, .bulkString, .bulkError, .verbatimString, .array, .map, .set, .push, .attribute: 20
        case .boolean: 1
        case .null: 0
        case .simpleString, .simpleError, .double, .bigNumber: Int.max
        }
    }
}

extension UInt8 {
    static let cr: UInt8 = 0x0D
    static let lf: UInt8 = 0x0A
    static let colon: UInt8 = 0x3A
    static let plus: UInt8 = 0x2B
    static let minus: UInt8 = 0x2D
    static let zero: UInt8 = 0x30
    static let nine: UInt8 = 0x39
}
