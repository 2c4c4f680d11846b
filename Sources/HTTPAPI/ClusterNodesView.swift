import ClusterModel
import Collector

/// Builds the node objects of `/api/cluster/nodes` from a topology.
enum ClusterNodesView {
    static func node(_ node: ClusterNode, in topology: ClusterTopology) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("nodeId", .string(node.id.rawValue)),
            ("nodeAddress", .string(node.address?.description)),
            ("role", .string(node.role.rawValue)),
            ("status", .string(node.linkState.rawValue)),
        ]
        if node.role == .primary {
            members.append(("slots", .string(SlotRanges.format(node.slots))))
        }
        if let primary = node.primaryID {
            members.append(("masterNodeId", .string(primary.rawValue)))
        }
        members.append(("flags", .array(node.flags.map(JSONValue.string))))
        if node.role == .primary {
            members.append(("replicas", .array(topology.replicas(of: node.id).map { .string($0.id.rawValue) })))
        }
        if let hostname = node.address?.hostname {
            members.append(("hostname", .string(hostname)))
        }
        return .object(members)
    }
}
