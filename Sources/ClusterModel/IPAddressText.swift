/// Just enough textual IP parsing to decide whether a host is loopback, without a resolver or libc.
enum IPAddressText {
    static func isLoopback(_ host: String) -> Bool {
        var host = host.lowercased()
        if host.hasSuffix(".") { host.removeLast() }  // "localhost." is the same name, fully qualified
        // Only the exact name: subdomains of .localhost are not reliably mapped to loopback by every resolver.
        if host == "localhost" { return true }
        if let octets = ipv4Octets(Substring(host)) { return octets[0] == 127 }
        // Zone ids ("::1%lo") do not change which address it is.
        let address = host.split(separator: "%", maxSplits: 1, omittingEmptySubsequences: false)[0]
        guard let groups = ipv6Groups(address) else { return false }
        if groups == [0, 0, 0, 0, 0, 0, 0, 1] { return true }
        // IPv4-mapped (::ffff:127.0.0.1) reaches the IPv4 loopback.
        return groups[0..<5].allSatisfy { $0 == 0 } && groups[5] == 0xFFFF && groups[6] >> 8 == 127
    }

    /// The four octets of a dotted-quad IPv4 address, or nil.
    static func ipv4Octets(_ text: Substring) -> [UInt8]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var octets: [UInt8] = []
        for part in parts {
            guard part.utf8.count <= 3, let octet = TextScanning.unsignedDecimal(part, as: UInt8.self) else { return nil }
            octets.append(octet)
        }
        return octets
    }

    /// The eight 16-bit groups of an IPv6 address (with `::` expanded and a trailing dotted quad
    /// converted), or nil if the text is not IPv6.
    static func ipv6Groups(_ text: Substring) -> [UInt16]? {
        guard text.contains(":") else { return nil }
        let halves = text.split(separator: "::", maxSplits: 1, omittingEmptySubsequences: false)
        guard halves.count <= 2, !(halves.count == 2 && halves[1].contains("::")) else { return nil }
        guard let head = groups(halves[0]) else { return nil }
        if halves.count == 1 {
            return head.count == 8 ? head : nil
        }
        guard let tail = groups(halves[1]), head.count + tail.count < 8 else { return nil }
        return head + Array(repeating: 0, count: 8 - head.count - tail.count) + tail
    }

    private static func groups(_ text: Substring) -> [UInt16]? {
        if text.isEmpty { return [] }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        var result: [UInt16] = []
        for (index, part) in parts.enumerated() {
            if index == parts.count - 1, part.contains("."), let octets = ipv4Octets(part) {
                result.append(UInt16(octets[0]) << 8 | UInt16(octets[1]))
                result.append(UInt16(octets[2]) << 8 | UInt16(octets[3]))
            } else {
                guard (1...4).contains(part.utf8.count), part.allSatisfy(\.isHexDigit), let group = UInt16(part, radix: 16) else { return nil }
                result.append(group)
            }
        }
        return result
    }
}
