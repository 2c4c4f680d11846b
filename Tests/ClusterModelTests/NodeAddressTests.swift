import ClusterModel
import Testing

@Suite("Node addresses")
struct NodeAddressTests {
    @Test(arguments: [
        ("127.0.0.1:7000", "127.0.0.1", 7000),
        ("localhost:6379", "localhost", 6379),
        ("valkey-0.valkey.svc:6379", "valkey-0.valkey.svc", 6379),
        ("[::1]:7000", "::1", 7000),
        ("[2001:db8::1]:65535", "2001:db8::1", 65535),
        ("::1:7000", "::1", 7000),  // unbracketed IPv6, as Valkey prints it: split at the last colon
        ("host:1", "host", 1),
    ])
    func accepted(input: String, host: String, port: Int) throws {
        let address = try NodeAddress.parse(hostPort: input)
        #expect(address.host == host)
        #expect(address.port == port)
        #expect(address.busPort == nil && address.hostname == nil)
    }

    @Test(arguments: [
        ("", "address is empty"),
        ("localhost", "missing port"),
        ("localhost:", "missing port"),
        (":7000", "missing host"),
        ("[::1]", "missing port"),
        ("[::1]:", "missing port"),
        ("[::1]7000", "expected ':' and a port after ']'"),
        ("[::1:7000", "missing ']' after IPv6 address"),
        ("[]:7000", "missing host"),
        ("::1]:7000", "unbalanced brackets"),
        ("host:0", "port '0' is not a number between 1 and 65535"),
        ("host:65536", "port '65536' is not a number between 1 and 65535"),
        ("host:+1", "port '+1' is not a number between 1 and 65535"),
        ("host:-1", "port '-1' is not a number between 1 and 65535"),
        ("host:abc", "port 'abc' is not a number between 1 and 65535"),
        ("host:99999999999999999999999", "port '99999999999999999999999' is not a number between 1 and 65535"),
        ("host :7000", "address contains whitespace"),
        ("redis://host:7000", "a URL is not an address; remove the scheme and path"),
        ("user@host:7000", "host must not contain '@'"),
    ])
    func rejected(input: String, reason: String) {
        #expect(throws: NodeAddressParseError(input: input, reason: reason)) {
            try NodeAddress.parse(hostPort: input)
        }
    }

    @Test func errorDescriptionIsReadable() {
        let error = NodeAddressParseError(input: "localhost", reason: "missing port")
        #expect(error.description == "invalid address 'localhost': missing port (expected host:port, or [ipv6]:port)")
    }

    @Test func description() {
        #expect(NodeAddress(host: "127.0.0.1", port: 7000, busPort: 17000, hostname: "n1").description == "127.0.0.1:7000")
        #expect(NodeAddress(host: "::1", port: 7100).description == "[::1]:7100")
        #expect(NodeAddress(host: "2001:db8::1", port: 1).description == "[2001:db8::1]:1")
        #expect(NodeAddress(host: "node-1.example.test", port: 6379).description == "node-1.example.test:6379")
    }

    @Test(arguments: [
        ("127.0.0.1", true), ("127.255.255.254", true), ("127.1.2.3", true), ("localhost", true), ("LOCALHOST", true),
        ("localhost.", true), ("::1", true), ("0:0:0:0:0:0:0:1", true), ("0000::0001", true), ("::1%lo", true),
        ("::ffff:127.0.0.1", true),
        ("128.0.0.1", false), ("10.0.0.1", false), ("0.0.0.0", false), ("127.0.0", false), ("127.0.0.256", false),
        ("::", false), ("::2", false), ("1::1", false), ("::ffff:10.0.0.1", false), ("example.com", false),
        ("127.example.com", false), ("notlocalhost", false), ("", false), (":::1", false),
    ])
    func loopback(host: String, expected: Bool) {
        #expect(NodeAddress(host: host, port: 1).isLoopback == expected)
    }
}
