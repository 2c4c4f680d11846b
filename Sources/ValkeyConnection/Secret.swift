/// A password or other credential that must never be printed.
///
/// `description`, `debugDescription` and reflection all say `<redacted>`, so a secret that ends up in
/// string interpolation, a log line or a `dump` cannot leak its value. Read the value only where it is sent.
public struct Secret: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The secret value. Only the connection handshake reads it.
    public let value: String

    public init(_ value: String) { self.value = value }

    public var description: String { "<redacted>" }
    public var debugDescription: String { "<redacted>" }
    public var customMirror: Mirror { Mirror(reflecting: "<redacted>") }
}
