import Foundation
import HummingbirdBcrypt
import NIOPosix
import WebConfig

/// Checks HTTP basic-auth credentials against the `basic_auth_users` of the web config.
///
/// Timing does not tell which users exist: the user name is compared with every configured name in constant time,
/// and bcrypt always runs, for an unknown user against a hash of the highest configured cost. bcrypt runs on one
/// thread of its own, so a flood of wrong passwords takes at most one core from serving and collecting.
public final class BasicAuthenticator: Sendable {
    private let users: [(name: [UInt8], hash: String)]
    /// What an unknown user's password is checked against: one of the configured hashes with the highest cost, so
    /// the work is the same as for a real user. Its result is never used to let anyone in.
    private let decoyHash: String
    private let cache: VerificationCache

    /// One thread, created at the first check and kept for the process's life (a global is never deinitialised,
    /// which NIOThreadPool requires of a pool that is not shut down).
    private static let bcryptPool: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        return pool
    }()

    /// Longest password bcrypt is given. The C implementation keeps the length of a `$2a$` key in a byte, so
    /// 255 bytes and more would wrap; real passwords are far shorter (bcrypt reads 72 bytes at most anyway).
    static let maximumPasswordBytes = 254

    /// - Parameter users: at least one (without users there is no authentication to do).
    public init(users: [BasicAuthUser], cacheTTL: Duration = .seconds(60)) {
        precondition(!users.isEmpty, "BasicAuthenticator needs at least one user")
        self.users = users.map { (Array($0.name.utf8), $0.hash.verifierForm) }
        self.decoyHash = users.max { $0.hash.cost < $1.hash.cost }!.hash.verifierForm
        self.cache = VerificationCache(ttl: cacheTTL)
    }

    /// Whether an `Authorization` header value carries the credentials of a configured user.
    public func authenticate(authorization: String?) async -> Bool {
        guard let authorization, let credentials = Self.basicCredentials(authorization) else { return false }
        return await verify(user: credentials.user, password: credentials.password)
    }

    /// The user and password of a `Basic` authorization value (RFC 7617), split at the first colon; nil when the
    /// value is not Basic or not base64.
    static func basicCredentials(_ value: String) -> (user: [UInt8], password: [UInt8])? {
        let prefix = "basic "
        guard value.utf8.count > prefix.utf8.count, value.prefix(prefix.count).lowercased() == prefix,
              let decoded = Data(base64Encoded: String(value.dropFirst(prefix.count)).trimmingCharacters(in: .whitespaces))
        else { return nil }
        let bytes = Array(decoded)
        guard let colon = bytes.firstIndex(of: UInt8(ascii: ":")) else { return nil }
        return (Array(bytes[..<colon]), Array(bytes[(colon + 1)...]))
    }

    func verify(user: [UInt8], password: [UInt8]) async -> Bool {
        let cacheKey = cache.key(user: user, password: password)
        if cache.contains(cacheKey) { return true }
        var matched: Int?
        for (index, candidate) in users.enumerated() {
            // No early exit: every configured name is compared, whether or not an earlier one matched.
            let equal = ConstantTime.equal(candidate.name, user)
            matched = equal ? index : matched
        }
        let hash = matched.map { users[$0].hash } ?? decoyHash
        // bcrypt takes a C string: a NUL would cut the password short, and so would bytes that are not UTF-8 in a
        // Swift String. Such a password fails, after the same bcrypt work as any other.
        let text = String(validating: password, as: UTF8.self)
        let usable = text != nil && !password.contains(0) && password.count <= Self.maximumPasswordBytes
        let candidate = usable ? text! : ""
        let passed = (try? await Self.bcryptPool.runIfActive { Bcrypt.verify(candidate, hash: hash) }) ?? false
        let granted = passed && usable && matched != nil
        if granted { cache.insert(cacheKey) }
        return granted
    }
}
