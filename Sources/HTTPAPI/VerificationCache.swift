import Crypto
import Foundation
import Synchronization

/// Credentials that passed bcrypt recently, so a scraper sending the same user and password every 15 s pays for
/// bcrypt (tens of milliseconds of CPU at cost 10) about once per `ttl` instead of on every request.
///
/// Entries are keyed by HMAC-SHA-256 of the user and password under a random key made at start-up: neither the
/// password nor an unkeyed hash of it (which could be guessed offline from a memory dump) is kept. Bounded: the
/// oldest entry makes room for a new one.
final class VerificationCache: Sendable {
    private let key = SymmetricKey(size: .bits256)
    private let ttl: Duration
    private let capacity: Int
    private let entries = Mutex<[Data: ContinuousClock.Instant]>([:])

    init(ttl: Duration, capacity: Int = 64) {
        self.ttl = ttl
        self.capacity = capacity
    }

    /// The cache key of a credential pair. The user's length goes first so that ("ab", "c") and ("a", "bc") differ.
    func key(user: [UInt8], password: [UInt8]) -> Data {
        var message = withUnsafeBytes(of: UInt64(user.count).bigEndian) { Data($0) }
        message.append(contentsOf: user)
        message.append(contentsOf: password)
        return Data(HMAC<SHA256>.authenticationCode(for: message, using: key))
    }

    /// Whether `key` was verified less than `ttl` ago.
    func contains(_ key: Data, now: ContinuousClock.Instant = .now) -> Bool {
        entries.withLock { entries in
            guard let added = entries[key] else { return false }
            if now - added < ttl { return true }
            entries[key] = nil
            return false
        }
    }

    func insert(_ key: Data, now: ContinuousClock.Instant = .now) {
        entries.withLock { entries in
            if entries[key] == nil, entries.count >= capacity {
                entries = entries.filter { now - $0.value < ttl }
                if entries.count >= capacity, let oldest = entries.min(by: { $0.value < $1.value }) {
                    entries[oldest.key] = nil
                }
            }
            entries[key] = now
        }
    }
}
