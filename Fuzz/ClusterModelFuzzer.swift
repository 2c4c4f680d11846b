// libFuzzer harness for the text parsers in Sources/ClusterModel (coverage-guided, complements Tests/FuzzTests).
// Built by `make fuzz-libfuzzer` with the toolchain alone:
//   swiftc -sanitize=fuzzer,address -parse-as-library Sources/ClusterModel/*.swift Fuzz/ClusterModelFuzzer.swift
// The first input byte picks the parser; the rest is its text (invalid UTF-8 becomes U+FFFD, as from the wire).
// A broken invariant traps through `precondition`, which libFuzzer reports as a crash with the input saved.

@_cdecl("LLVMFuzzerTestOneInput")
public func clusterModelFuzzerTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let text = String(decoding: bytes.dropFirst(), as: UTF8.self)
    switch bytes[0] % 5 {
    case 0: fuzzClusterNodes(text)
    case 1: fuzzClusterNodesLine(text)
    case 2: fuzzInfo(text)
    case 3: fuzzAddress(text)
    default: fuzzSlotRange(text)
    }
    return 0
}

private func fuzzClusterNodes(_ text: String) {
    guard let topology = try? ClusterTopology(parsingClusterNodes: text) else { return }
    var owners = [Int](repeating: -1, count: SlotRanges.slotCount)
    var ids = Set<NodeID>()
    for (index, node) in topology.nodes.enumerated() {
        precondition(ids.insert(node.id).inserted, "duplicate node id accepted")
        checkNode(node)
        for range in node.slots {
            for slot in range.slots {
                precondition(owners[slot] == -1, "slot \(slot) owned twice")
                owners[slot] = index
            }
        }
    }
    var assigned = 0
    for slot in 0..<SlotRanges.slotCount {
        let expected = owners[slot] >= 0 ? topology.nodes[owners[slot]].id : nil
        precondition(topology.owner(ofSlot: slot)?.id == expected, "owner table disagrees at slot \(slot)")
        if expected != nil { assigned += 1 }
    }
    precondition(topology.assignedSlotCount == assigned, "assignedSlotCount disagrees")
    precondition(SlotRanges.count(topology.unassignedSlotRanges) == SlotRanges.slotCount - assigned, "unassigned ranges disagree")
}

private func fuzzClusterNodesLine(_ text: String) {
    do {
        checkNode(try ClusterNode(parsingClusterNodesLine: text, lineNumber: 7))
    } catch {
        precondition(error.line == 7, "error names the wrong line")
    }
}

private func checkNode(_ node: ClusterNode) {
    let hex = { (id: NodeID) in id.rawValue.utf8.count == 40 && id.rawValue.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) } }
    precondition(hex(node.id) && (node.primaryID.map(hex) ?? true), "node id not 40 lowercase hex")
    precondition(node.slots == node.slots.sorted(), "slots not sorted")
    if let address = node.address {
        precondition((1...65535).contains(address.port) && !address.host.isEmpty, "unconnectable address kept")
        _ = address.description
        _ = address.isLoopback
    }
    _ = (node.role, node.isConnectable, node.slotCount)
}

private func fuzzInfo(_ text: String) {
    let info = InfoReply(parsing: text)
    for field in info.fields {
        precondition(!field.key.isEmpty && !field.key.contains(":"), "bad INFO key")
        _ = (info.int(field.key), info.double(field.key), info.subfields(field.key))
    }
    for name in info.sectionNames { _ = info.fields(inSection: name) }
    precondition(info.keyspace.allSatisfy { $0.keys >= 0 } && info.totalKeys >= 0, "negative key count")
}

private func fuzzAddress(_ text: String) {
    _ = NodeAddress(host: text, port: 1).isLoopback
    guard let address = try? NodeAddress.parse(hostPort: text) else { return }
    precondition((1...65535).contains(address.port) && !address.host.isEmpty, "bad address accepted")
    let again = try? NodeAddress.parse(hostPort: address.description)
    precondition(again == address, "address does not round-trip through its description")
}

private func fuzzSlotRange(_ text: String) {
    let parts = text.split(separator: "&", omittingEmptySubsequences: false).map(String.init)
    let half = parts.count / 2
    if case .success(let query) = SlotRangeQuery.validate(startValues: Array(parts[..<half]), endValues: Array(parts[half...])) {
        precondition(0 <= query.start && query.start <= query.end && query.end <= 16383, "invalid range accepted")
    }
}
