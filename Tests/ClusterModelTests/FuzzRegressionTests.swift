import ClusterModel
import Testing

/// Inputs the FuzzTests campaigns found; each once crashed or broke a documented invariant.
@Suite("Fuzz regressions")
struct FuzzRegressionTests {
    /// `totalKeys` trapped on arithmetic overflow (crashing `/api/cluster/nodes/metrics`) when a node reported
    /// key counts summing past Int64.max; negative counts were accepted and made the total negative.
    @Test func keyspaceTotalNeitherOverflowsNorGoesNegative() {
        let huge = InfoReply(parsing: "# Keyspace\r\ndb0:keys=9223372036854775807,expires=0,avg_ttl=0\r\ndb1:keys=1,expires=0,avg_ttl=0\r\n")
        #expect(huge.totalKeys == .max)

        let negative = InfoReply(parsing: "# Keyspace\r\ndb0:keys=-1,expires=0,avg_ttl=0\r\ndb1:keys=+5\r\ndb2:keys=7\r\n")
        #expect(negative.keyspace.map(\.db) == [2])
        #expect(negative.totalKeys == 7)
    }

    /// A host that is not printable ASCII parsed, but its description did not parse back: a combining mark merged
    /// with the added bracket into one Character. A `[` inside brackets printed as an unbalanced bracket.
    @Test(arguments: ["\u{301}::1", "\u{301}:::1", "é:7000", "[a[b]:1", "ho\u{0}st:1"])
    func addressesThatDoNotRoundTripAreRejected(input: String) {
        #expect(throws: NodeAddressParseError.self) { try NodeAddress.parse(hostPort: input) }
    }

    @Test(arguments: ["127.0.0.1:7000", "[::1]:7000", "::1:7000", "[fe80::1%eth0]:6379", "valkey-0.valkey.svc:6379"])
    func addressesRoundTrip(input: String) throws {
        let address = try NodeAddress.parse(hostPort: input)
        let again = try NodeAddress.parse(hostPort: address.description)
        #expect(again == address)
    }
}
