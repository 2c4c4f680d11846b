import ClusterModel
import Testing

/// One test per row of the CLUSTER NODES table in `reference/README.md`.
@Suite("CLUSTER NODES lines")
struct ClusterNodeLineTests {
    static let id7000 = NodeID("b897b6a6954bb471cb17532e870eaf0f95297f4e")!
    static let id7001 = NodeID("be155b5f2d3968d99a2e135c24b8efaf6f2a14bb")!

    private func parse(_ line: String) throws -> ClusterNode {
        try ClusterNode(parsingClusterNodesLine: line)
    }

    private func parseError(_ line: String) -> ClusterNodesParseError? {
        do {
            _ = try ClusterNode(parsingClusterNodesLine: line, lineNumber: 3)
            return nil
        } catch {
            return error
        }
    }

    @Test func myselfPrimary() throws {
        let node = try parse("b897b6a6954bb471cb17532e870eaf0f95297f4e 127.0.0.1:7000@17000 myself,master - 0 0 1 connected 0-5460")
        #expect(node.id == Self.id7000)
        #expect(node.address == NodeAddress(host: "127.0.0.1", port: 7000, busPort: 17000))
        #expect(node.flags == ["myself", "master"])
        #expect(node.role == .primary)
        #expect(node.isMyself)
        #expect(node.primaryID == nil)
        #expect(node.pingSent == 0 && node.pongReceived == 0)
        #expect(node.configEpoch == 1)
        #expect(node.linkState == .connected)
        #expect(node.slots == [SlotRange(0, 5460)])
        #expect(node.slotCount == 5461)
        #expect(node.migrations.isEmpty)
        #expect(node.isConnectable)
        #expect(!node.isFailed && !node.isPossiblyFailed && !node.isHandshake && !node.hasNoAddress && !node.noFailover)
    }

    @Test func replica() throws {
        let node = try parse("fc857912d0adb5ee0a7bdd9e3355af4256daa218 127.0.0.1:7004@17004 slave b897b6a6954bb471cb17532e870eaf0f95297f4e 0 1795385264143 1 connected")
        #expect(node.role == .replica)
        #expect(!node.isMyself)
        #expect(node.primaryID == Self.id7000)
        #expect(node.pongReceived == 1_795_385_264_143)
        #expect(node.configEpoch == 1)
        #expect(node.slots.isEmpty)
        #expect(node.address?.description == "127.0.0.1:7004")
    }

    @Test func hostnameAfterAddress() throws {
        let node = try parse("be155b5f2d3968d99a2e135c24b8efaf6f2a14bb 127.0.0.1:7001@17001,node-7001.example.test master - 0 1795385375095 2 connected 5461-10922")
        #expect(node.address == NodeAddress(host: "127.0.0.1", port: 7001, busPort: 17001, hostname: "node-7001.example.test"))
        #expect(node.address?.description == "127.0.0.1:7001")
        #expect(node.slots == [SlotRange(5461, 10922)])
    }

    @Test func emptyHostnameAndAuxFieldsAreIgnored() throws {
        let node = try parse("be155b5f2d3968d99a2e135c24b8efaf6f2a14bb 127.0.0.1:7001@17001,,shard-id=abc master - 0 0 2 connected")
        #expect(node.address?.hostname == nil)
        #expect(node.address?.busPort == 17001)
    }

    @Test func noFailover() throws {
        let node = try parse("a19ca0b997a0620497cbbe1f805e5aa00c8db705 127.0.0.1:7005@17005 slave,nofailover be155b5f2d3968d99a2e135c24b8efaf6f2a14bb 0 1795385375095 2 connected")
        #expect(node.noFailover)
        #expect(node.role == .replica)
        #expect(node.primaryID == Self.id7001)
        #expect(node.flags == ["slave", "nofailover"])
    }

    @Test func migratingMarkerIsNotOwnership() throws {
        let node = try parse("b897b6a6954bb471cb17532e870eaf0f95297f4e 127.0.0.1:7000@17000 myself,master - 0 0 1 connected 0-5460 [100->-be155b5f2d3968d99a2e135c24b8efaf6f2a14bb]")
        #expect(node.slots == [SlotRange(0, 5460)])
        #expect(node.migrations == [SlotMigration(slot: 100, direction: .migrating, peer: Self.id7001)])
    }

    @Test func importingMarkersAreNotOwnership() throws {
        let node = try parse("be155b5f2d3968d99a2e135c24b8efaf6f2a14bb 127.0.0.1:7001@17001 myself,master - 0 0 2 connected 5461-10922 [100-<-b897b6a6954bb471cb17532e870eaf0f95297f4e] [200-<-b897b6a6954bb471cb17532e870eaf0f95297f4e]")
        #expect(node.slots == [SlotRange(5461, 10922)])
        #expect(node.migrations == [
            SlotMigration(slot: 100, direction: .importing, peer: Self.id7000),
            SlotMigration(slot: 200, direction: .importing, peer: Self.id7000),
        ])
    }

    @Test func splitRangesAndSingleSlots() throws {
        let source = try parse("b897b6a6954bb471cb17532e870eaf0f95297f4e 127.0.0.1:7000@17000 myself,master - 0 0 1 connected 0-99 101-1999 2101-5460")
        #expect(source.slots == [SlotRange(0, 99), SlotRange(101, 1999), SlotRange(2101, 5460)])
        #expect(source.slotCount == 100 + 1899 + 3360)
        let destination = try parse("be155b5f2d3968d99a2e135c24b8efaf6f2a14bb 127.0.0.1:7001@17001 master - 0 0 7 connected 100 5461-10922")
        #expect(destination.slots == [SlotRange(slot: 100), SlotRange(5461, 10922)])
        #expect(SlotRanges.format(destination.slots) == "100,5461-10922")
    }

    @Test func slotsAreSortedWhenListedOutOfOrder() throws {
        let node = try parse("be155b5f2d3968d99a2e135c24b8efaf6f2a14bb 127.0.0.1:7001@17001 master - 0 0 7 connected 5461-10922 100")
        #expect(node.slots == [SlotRange(slot: 100), SlotRange(5461, 10922)])
    }

    @Test func handshake() throws {
        let node = try parse("5214734ec359577079d8e6a3de9a171033d22a61 127.0.0.1:7999@17999 handshake - 0 0 0 disconnected")
        #expect(node.isHandshake)
        #expect(node.role == .unknown)
        #expect(node.configEpoch == 0)
        #expect(node.linkState == .disconnected)
        #expect(node.address?.port == 7999)
        #expect(!node.isConnectable)
    }

    @Test func possiblyFailedWithConnectedLink() throws {
        let node = try parse("7a3da3018911828288ae05b5d7cde4f2bbf045b4 127.0.0.1:7002@17002 master,fail? - 1795385399074 1795385398067 3 connected 10923-16383")
        #expect(node.isPossiblyFailed)
        #expect(!node.isFailed)
        #expect(node.linkState == .connected)
        #expect(node.pingSent == 1_795_385_399_074)
        #expect(node.slots == [SlotRange(10923, 16383)])
        #expect(node.isConnectable)
    }

    @Test func failedAfterFailover() throws {
        let node = try parse("7a3da3018911828288ae05b5d7cde4f2bbf045b4 127.0.0.1:7002@17002 master,fail - 1795385399074 1795385398067 8 connected")
        #expect(node.isFailed)
        #expect(!node.isPossiblyFailed)
        #expect(node.role == .primary)
        #expect(node.configEpoch == 8)
        #expect(node.slots.isEmpty)
    }

    @Test func noAddress() throws {
        let node = try parse("a19ca0b997a0620497cbbe1f805e5aa00c8db705 :0@0 slave,fail,noaddr,nofailover be155b5f2d3968d99a2e135c24b8efaf6f2a14bb 1795385419134 1795385418121 7 disconnected")
        #expect(node.address == nil)
        #expect(node.hasNoAddress && node.isFailed && node.noFailover)
        #expect(node.role == .replica)
        #expect(node.primaryID == Self.id7001)
        #expect(node.linkState == .disconnected)
        #expect(!node.isConnectable)
    }

    @Test func emptyPrimaryWithCustomBusPort() throws {
        let node = try parse("da254f7cd84c169fc6daade35e6a4ca271fd1e78 127.0.0.1:7006@27006 master - 0 1795385431000 0 connected")
        #expect(node.address == NodeAddress(host: "127.0.0.1", port: 7006, busPort: 27006))
        #expect(node.role == .primary)
        #expect(node.slots.isEmpty)
        #expect(node.configEpoch == 0)
    }

    @Test func ipv6WithoutBrackets() throws {
        let node = try parse("665351983ca7ae80330d31a4f3ea391d84449b67 ::1:7100@17100 myself,master - 0 0 1 connected 0-5460")
        #expect(node.address?.host == "::1")
        #expect(node.address?.port == 7100)
        #expect(node.address?.busPort == 17100)
        #expect(node.address?.description == "[::1]:7100")
        #expect(node.address?.isLoopback == true)
    }

    @Test func fullIPv6WithoutBrackets() throws {
        let node = try parse("665351983ca7ae80330d31a4f3ea391d84449b67 2001:db8::7:7100@17100 master - 0 0 1 connected")
        #expect(node.address?.host == "2001:db8::7")
        #expect(node.address?.port == 7100)
    }

    @Test func noAddressPrimaryStillOwningSlots() throws {
        let node = try parse("752d150249c157c7cb312b6b056517bbbecb42d2 :0@0 master,noaddr - 1658754833817 1658754833000 3 disconnected 5461-10922")
        #expect(node.address == nil)
        #expect(node.role == .primary)
        #expect(node.slots == [SlotRange(5461, 10922)])
        #expect(!node.isConnectable)
    }

    @Test func legacyAddressWithoutBusPort() throws {
        let node = try parse("e839a12fbed631de867016f636d773e644562e72 127.0.0.0:6379 myself,master - 0 1658755601000 1 connected 0-5460")
        #expect(node.address == NodeAddress(host: "127.0.0.0", port: 6379, busPort: nil))
        #expect(node.slots == [SlotRange(0, 5460)])
    }

    @Test func noFlags() throws {
        let node = try parse("e839a12fbed631de867016f636d773e644562e72 127.0.0.1:6379@16379 noflags - 0 0 0 connected")
        #expect(node.flags.isEmpty)
        #expect(node.role == .unknown)
    }

    @Test func unknownFlagsAreKept() throws {
        let node = try parse("e839a12fbed631de867016f636d773e644562e72 127.0.0.1:6379@16379 master,shiny-new-flag - 0 0 0 connected")
        #expect(node.flags == ["master", "shiny-new-flag"])
        #expect(node.role == .primary)
    }

    @Test func portZeroHasNoAddress() throws {
        let node = try parse("e839a12fbed631de867016f636d773e644562e72 127.0.0.1:0@0 master - 0 0 0 connected")
        #expect(node.address == nil)
        #expect(!node.isConnectable)
    }

    @Test func toleratesCarriageReturn() throws {
        let node = try parse("e839a12fbed631de867016f636d773e644562e72 127.0.0.1:6379@16379 master - 0 0 1 connected 0-10\r")
        #expect(node.slots == [SlotRange(0, 10)])
    }

    // MARK: malformed lines: each must fail with a reason, never trap or half-parse

    @Test func missingLinkState() {
        let error = parseError("e839a12fbed631de867016f636d773e644562e72 127.0.0.1:6379@16379 master - 0 0 1")
        #expect(error?.line == 3)
        #expect(error?.reason.contains("missing link-state") == true)
    }

    @Test func addressWithoutPort() {
        let error = parseError("e839a12fbed631de867016f636d773e644562e72 127.0.0.0@31001 myself,master - 0 0 1 connected 0-5460")
        #expect(error?.reason == "invalid address '127.0.0.0@31001': missing port")
    }

    @Test(arguments: [
        ("e839a12fbed631de867016f636d773e644562e7 127.0.0.1:6379@16379 master - 0 0 1 connected", "invalid node id"),
        ("E839A12FBED631DE867016F636D773E644562E72 127.0.0.1:6379@16379 master - 0 0 1 connected", "invalid node id"),
        ("e839a12fbed631de867016f636d773e644562e72 127.0.0.1:6379@16379 slave xyz 0 0 1 connected", "invalid primary id"),
        ("e839a12fbed631de867016f636d773e644562e72 127.0.0.1:6379@16379 master - x 0 1 connected", "invalid ping-sent"),
        ("e839a12fbed631de867016f636d773e644562e72 127.0.0.1:6379@16379 master - -1 0 1 connected", "invalid ping-sent"),
        ("e839a12fbed631de867016f636d773e644562e72 127.0.0.1:6379@16379 master - 0 +5 1 connected", "invalid pong-recv"),
        ("e839a12fbed631de867016f636d773e644562e72 127.0.0.1:6379@16379 master - 0 0 1.5 connected", "invalid config-epoch"),
        ("e839a12fbed631de867016f636d773e644562e72 127.0.0.1:6379@16379 master - 0 0 1 linked", "invalid link-state"),
        ("e839a12fbed631de867016f636d773e644562e72 127.0.0.1:6379@16379 master - 0 0 1 connected 16384", "out of range"),
        ("e839a12fbed631de867016f636d773e644562e72 127.0.0.1:6379@16379 master - 0 0 1 connected 0-16384", "out of range"),
        ("e839a12fbed631de867016f636d773e644562e72 127.0.0.1:6379@16379 master - 0 0 1 connected 10-5", "starts after it ends"),
        ("e839a12fbed631de867016f636d773e644562e72 127.0.0.1:6379@16379 master - 0 0 1 connected 1-", "invalid slot"),
        ("e839a12fbed631de867016f636d773e644562e72 127.0.0.1:6379@16379 master - 0 0 1 connected abc", "invalid slot"),
        ("e839a12fbed631de867016f636d773e644562e72 127.0.0.1:6379@16379 master - 0 0 1 connected [100->-zz]", "migration marker"),
        ("e839a12fbed631de867016f636d773e644562e72 127.0.0.1:6379@16379 master - 0 0 1 connected [100=>e839a12fbed631de867016f636d773e644562e72]", "migration marker"),
        ("e839a12fbed631de867016f636d773e644562e72 127.0.0.1:6379@16379 master - 0 0 1 connected [100->-e839a12fbed631de867016f636d773e644562e72", "migration marker"),
        ("e839a12fbed631de867016f636d773e644562e72 127.0.0.1:99999@16379 master - 0 0 1 connected", "invalid address"),
        ("e839a12fbed631de867016f636d773e644562e72 127.0.0.1:6379@x master - 0 0 1 connected", "bus port"),
        ("e839a12fbed631de867016f636d773e644562e72 127.0.0.1:6379@16379 master,,fail - 0 0 1 connected", "empty flag"),
        ("", "missing node id"),
    ])
    func malformed(line: String, reasonFragment: String) {
        let error = parseError(line)
        #expect(error?.line == 3)
        #expect(error?.reason.contains(reasonFragment) == true, "\(String(describing: error))")
    }
}
