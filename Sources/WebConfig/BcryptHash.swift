/// A `basic_auth_users` password hash, checked to be a well-formed bcrypt hash when the file is read, so a typo
/// fails at start-up instead of locking every user out at the first request.
///
/// Printing one shows only its cost: the hash is a secret (it allows offline guessing of the password).
public struct BcryptHash: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// log2 of the rounds, 4...31.
    public let cost: Int
    /// The hash in the `$2b$` spelling, the form handed to the bcrypt verifier. Never log or print it.
    public let verifierForm: String

    /// Accepts `$2a$`, `$2b$` and `$2y$` hashes (htpasswd writes `$2y$`, Python's bcrypt `$2b$`): 60 characters,
    /// a two-digit cost, then 53 characters of bcrypt's base64 (22 of salt, 31 of hash).
    public init?(_ text: String) {
        let bytes = Array(text.utf8)
        guard bytes.count == 60, bytes[0] == UInt8(ascii: "$"), bytes[1] == UInt8(ascii: "2"),
              [UInt8(ascii: "a"), UInt8(ascii: "b"), UInt8(ascii: "y")].contains(bytes[2]),
              bytes[3] == UInt8(ascii: "$"), bytes[6] == UInt8(ascii: "$") else { return nil }
        let digits = bytes[4...5]
        guard digits.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else { return nil }
        let cost = Int(digits.first! - UInt8(ascii: "0")) * 10 + Int(digits.last! - UInt8(ascii: "0"))
        guard (4...31).contains(cost), bytes[7...].allSatisfy(Self.isBcryptBase64) else { return nil }
        self.cost = cost
        // $2y$ is PHP's name for the same algorithm as $2b$; the verifier we use only knows $2a$ and $2b$.
        self.verifierForm = bytes[2] == UInt8(ascii: "y") ? "$2b" + String(text.dropFirst(3)) : text
    }

    private static func isBcryptBase64(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "."), UInt8(ascii: "/"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return false
        }
    }

    public var description: String { "bcrypt hash (cost \(cost))" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["cost": cost]) }
}
