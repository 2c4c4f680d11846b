import ClusterModel

extension NodeAddress {
    /// Just `host:port`: the identity of a connection. A seed given as `127.0.0.1:7000` and the same node
    /// discovered as `127.0.0.1:7000@17000,name` must share one connection, not open two.
    var endpoint: NodeAddress { NodeAddress(host: host, port: port) }
}
