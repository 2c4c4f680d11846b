import ClusterModel
import Testing

@Suite("INFO and CLUSTER INFO replies")
struct InfoReplyTests {
    @Test func primaryFixture() throws {
        let info = InfoReply(parsing: try Fixtures.text("info-everything-primary.txt"))
        #expect(info["valkey_version"] == "9.1.2")
        #expect(info["redis_version"] == "7.2.4")
        #expect(info["role"] == "master")
        #expect(NodeRole(rawValue: info["role"] ?? "") == .primary)
        #expect(info.int("used_memory") == 3_831_088)
        #expect(info.int("tcp_port") == 7000)
        #expect(info.int("uptime_in_seconds") == 61)
        #expect(info["config_file"] == "")  // present but empty
        #expect(info.int("used_memory_peak_perc") == nil)  // "86.95%"
        #expect(info.double("used_cpu_sys") == 0.738667)
        #expect(info["no_such_field"] == nil)
        #expect(info.sectionNames.first == "Server")
        #expect(info.sectionNames.contains("Cluster Info"))
        #expect(info.sectionNames.last == "Keyspace")
        #expect(info.keyspace == [KeyspaceEntry(db: 0, keys: 3341, expires: 0, averageTTL: 0)])
        #expect(info.totalKeys == 3341)
        #expect(info.subfields("listener0") == ["name": "tcp", "bind": "127.0.0.1", "port": "7000"])
        #expect(info.fields(inSection: "Cluster").map(\.key) == ["cluster_enabled"])
    }

    @Test func replicaFixture() throws {
        let info = InfoReply(parsing: try Fixtures.text("info-everything-replica.txt"))
        #expect(info["valkey_version"] == "9.1.2")
        #expect(info["role"] == "slave")
        #expect(info["master_link_status"] == "up")
        #expect(info.int("master_port") == 7000)
        #expect(info.int("second_repl_offset") == -1)
        #expect(info.keyspace.first?.keys == 3341)
        #expect(info.totalKeys == 3341)
    }

    @Test func clusterInfoSectionOfFixture() throws {
        let info = InfoReply(parsing: try Fixtures.text("info-everything-primary.txt"))
        let cluster = info.fields(inSection: "Cluster Info")
        #expect(cluster.first?.key == "cluster_state")
        #expect(cluster.count == 27)
        #expect(info["cluster_state"] == "ok")
        #expect(info.int("cluster_slots_assigned") == 16384)
        #expect(info.int("cluster_known_nodes") == 6)
        #expect(info.int("cluster_size") == 3)
        #expect(info.int("cluster_current_epoch") == 6)
    }

    @Test func clusterInfoReplyWithoutHeaders() throws {
        // A CLUSTER INFO reply is the "# Cluster Info" section without its header.
        let lines = try Fixtures.text("info-everything-primary.txt").split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
        let start = lines.firstIndex(of: "# Cluster Info")! + 1
        let body = lines[start...].prefix { !$0.isEmpty }.joined(separator: "\r\n") + "\r\n"
        let info = InfoReply(parsing: body)
        #expect(info.sectionNames.isEmpty)
        #expect(info.fields.count == 27)
        #expect(info.fields.allSatisfy { $0.section == nil })
        #expect(info["cluster_state"] == "ok")
        #expect(info.int("cluster_slots_ok") == 16384)
        #expect(info.int("cluster_slots_pfail") == 0)
        #expect(info.int("total_cluster_links_buffer_limit_exceeded") == 0)
    }

    @Test func crlfIsStripped() {
        let info = InfoReply(parsing: "# Server\r\nvalkey_version:9.1.2\r\nrole:master\r\n")
        #expect(info["valkey_version"] == "9.1.2")
        #expect(info["role"] == "master")
        #expect(info.sectionNames == ["Server"])
    }

    /// The parser works on bytes: multi-byte UTF-8 survives, tabs and CR are trailing whitespace, a bare `#` is
    /// an unnamed section, and a reply without a final newline keeps its last line.
    @Test func bytesLevelEdgeCases() {
        let info = InfoReply(parsing: "#\nexecutable:/opt/välkey/bin\t\r\n#  Clients\r\nconnected_clients:3")
        #expect(info.sectionNames == ["", "Clients"])
        #expect(info["executable"] == "/opt/välkey/bin")
        #expect(info.int("connected_clients") == 3)
        #expect(info.fields.map(\.section) == ["", "Clients"])
    }

    @Test func tolerantOfOddLines() {
        let info = InfoReply(parsing: "garbage line\n:novalue\nkey:a:b\nkey:second\nn: 5\nm:-7\n")
        #expect(info["key"] == "a:b")  // split at the first colon; first occurrence wins
        #expect(info.int("n") == nil)
        #expect(info.int("m") == -7)
        #expect(info.fields.count == 4)
    }

    @Test func severalDatabasesSortedAndSummed() {
        let info = InfoReply(parsing: """
            # Keyspace
            db10:keys=5,expires=1,avg_ttl=100
            db0:keys=3276,expires=0,avg_ttl=0,keys_with_volatile_items=0
            db2:keys=7,expires=2,avg_ttl=5000,subexpiry=0
            dbx:keys=1
            db3:expires=1
            """)
        #expect(info.keyspace == [
            KeyspaceEntry(db: 0, keys: 3276),
            KeyspaceEntry(db: 2, keys: 7, expires: 2, averageTTL: 5000),
            KeyspaceEntry(db: 10, keys: 5, expires: 1, averageTTL: 100),
        ])
        #expect(info.totalKeys == 3288)
    }

    @Test func emptyKeyspace() {
        let info = InfoReply(parsing: "# Keyspace\r\n")
        #expect(info.keyspace.isEmpty)
        #expect(info.totalKeys == 0)
        #expect(info.sectionNames == ["Keyspace"])
    }
}
