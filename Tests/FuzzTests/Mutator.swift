/// Byte-level mutations in the style of libFuzzer's: flips, interesting bytes, cuts, copies and splices,
/// and number replacement aimed at lengths and counts.
enum Mutator {
    static let interestingBytes: [UInt8] = Array("\r\n+-:$*_#,(!=%~>|0123456789-.tfe ".utf8) + [0x00, 0x7F, 0x80, 0xFF]
    static let interestingNumbers = [
        "-1", "-2", "0", "1", "3", "8", "9", "63", "64", "65", "255", "256", "257", "16383", "16384", "65535", "65536",
        "2147483647", "4294967296", "9223372036854775807", "9223372036854775808", "-9223372036854775808",
        "-9223372036854775809", "18446744073709551615", "99999999999999999999999", "00000000000000000001", "+1", "-0",
        "", "1e5", "0x10", " 1",
    ]

    static func mutate(_ input: [UInt8], _ rng: inout FuzzRNG, splice: [UInt8] = [], rounds: ClosedRange<Int> = 1...4) -> [UInt8] {
        var bytes = input
        for _ in 0..<rng.int(rounds) {
            bytes = mutateOnce(bytes, &rng, splice: splice)
        }
        return bytes
    }

    private static func mutateOnce(_ input: [UInt8], _ rng: inout FuzzRNG, splice: [UInt8]) -> [UInt8] {
        var bytes = input
        if bytes.isEmpty { return [rng.pick(interestingBytes)] }
        let position = rng.int(0...(bytes.count - 1))
        switch rng.int(0...9) {
        case 0:
            bytes[position] ^= 1 << UInt8(rng.int(0...7))
        case 1:
            bytes[position] = rng.pick(interestingBytes)
        case 2:
            bytes.removeSubrange(rng.int(0...bytes.count)...)  // truncate
        case 3:
            let end = min(bytes.count, position + rng.int(1...8))
            bytes.removeSubrange(position..<end)
        case 4:
            bytes.insert(contentsOf: (0..<rng.int(1...4)).map { _ in rng.pick(interestingBytes) }, at: position)
        case 5:
            let end = min(bytes.count, position + rng.int(1...32))
            bytes.insert(contentsOf: bytes[position..<end], at: rng.int(0...bytes.count))
        case 6 where !splice.isEmpty:
            let from = rng.int(0...(splice.count - 1))
            let chunk = splice[from..<min(splice.count, from + rng.int(1...64))]
            if rng.oneIn(2) {
                bytes.insert(contentsOf: chunk, at: position)
            } else {
                bytes.replaceSubrange(position..<min(bytes.count, position + chunk.count), with: chunk)
            }
        case 7, 8:
            // Replace a run of digits (a length, count or integer) with an interesting number.
            let digits = bytes.indices.filter { bytes[$0] >= 0x30 && bytes[$0] <= 0x39 || bytes[$0] == 0x2D }
            guard let start = digits.isEmpty ? nil : rng.pick(digits) else { return bytes }
            var end = start + 1
            while end < bytes.count, bytes[end] >= 0x30 && bytes[end] <= 0x39 { end += 1 }
            bytes.replaceSubrange(start..<end, with: Array(rng.pick(interestingNumbers).utf8))
        default:
            // Swap two bytes.
            let other = rng.int(0...(bytes.count - 1))
            bytes.swapAt(position, other)
        }
        return bytes
    }

    /// Random cut points: the chunk sizes a socket might deliver `count` bytes in.
    static func chunks(_ count: Int, _ rng: inout FuzzRNG) -> [Int] {
        var sizes: [Int] = []
        var left = count
        // Byte-at-a-time reads only for small inputs: 70 KB one byte per call is minutes in a debug build.
        let style = rng.int(count > 4096 ? 2...3 : 0...3)
        while left > 0 {
            let size: Int
            switch style {
            case 0: size = 1
            case 1: size = rng.int(1...3)
            case 2: size = rng.int(1...max(1, count / 3))
            default: size = rng.int(1...64)
            }
            sizes.append(min(size, left))
            left -= min(size, left)
        }
        return sizes
    }
}
