/// One database line of INFO's `# Keyspace` section: `db0:keys=3341,expires=0,avg_ttl=0`.
public struct KeyspaceEntry: Hashable, Sendable {
    /// The database number.
    public var db: Int
    /// Keys in the database.
    public var keys: Int64
    /// Keys with an expiry set.
    public var expires: Int64
    /// Average TTL in milliseconds of keys with an expiry (0 when none).
    public var averageTTL: Int64

    /// Creates an entry; expires and TTL default to 0 as when Valkey prints them as 0.
    public init(db: Int, keys: Int64, expires: Int64 = 0, averageTTL: Int64 = 0) {
        self.db = db
        self.keys = keys
        self.expires = expires
        self.averageTTL = averageTTL
    }
}

extension InfoReply {
    /// Every `dbN:keys=...` line, sorted by database number.
    ///
    /// Valkey 9 allows several databases in cluster mode, so key counts come from here rather than `DBSIZE`,
    /// which only counts the selected database. Unknown subfields (e.g. `keys_with_volatile_items`) are ignored;
    /// a line without a valid `keys=` is skipped.
    public var keyspace: [KeyspaceEntry] {
        var entries: [KeyspaceEntry] = []
        var seen: Set<Int> = []
        for field in fields where field.key.hasPrefix("db") {
            // First occurrence wins, as for every other field, so a repeated line is not counted twice.
            guard let db = TextScanning.unsignedDecimal(field.key.dropFirst(2), as: Int.self), seen.insert(db).inserted
            else { continue }
            let parts = Self.subfields(of: field.value)
            // A key count is a plain non-negative number; a signed or garbled one is skipped like a missing one.
            guard let keys = parts["keys"].flatMap({ TextScanning.unsignedDecimal($0, as: Int64.self) }) else { continue }
            entries.append(KeyspaceEntry(
                db: db,
                keys: keys,
                expires: parts["expires"].flatMap { Int64($0) } ?? 0,
                averageTTL: parts["avg_ttl"].flatMap { Int64($0) } ?? 0))
        }
        return entries.sorted { $0.db < $1.db }
    }

    /// Keys across all databases; saturates at `Int64.max` rather than trapping on absurd counts from a peer.
    public var totalKeys: Int64 {
        keyspace.reduce(0) { total, entry in
            let (sum, overflow) = total.addingReportingOverflow(entry.keys)
            return overflow ? .max : sum
        }
    }
}
