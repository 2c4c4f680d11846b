import NIOCore

extension ByteBuffer {
    /// Writes `value` in decimal without allocating a `String` (65k of these per exposition).
    mutating func writeDecimal(_ value: Int64) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var magnitude = value.magnitude
            var index = 20
            repeat {
                index -= 1
                digits[index] = UInt8(truncatingIfNeeded: magnitude % 10) &+ 0x30
                magnitude /= 10
            } while magnitude > 0
            if value < 0 { writeInteger(UInt8(ascii: "-")) }
            writeBytes(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(digits)[index...]))
        }
    }

    /// Writes `micros / 1_000_000` as an exact decimal (`1.5`, `0.000003`), so microsecond counters
    /// become seconds without floating-point noise.
    mutating func writeMicrosAsSeconds(_ micros: Int64) {
        if micros < 0 { writeInteger(UInt8(ascii: "-")) }
        let magnitude = micros.magnitude
        writeDecimal(Int64(magnitude / 1_000_000))
        var fraction = magnitude % 1_000_000
        guard fraction > 0 else { return }
        writeInteger(UInt8(ascii: "."))
        var width = 6
        while fraction % 10 == 0 {
            fraction /= 10
            width -= 1
        }
        var scale: UInt64 = 1
        for _ in 1..<width { scale *= 10 }
        while scale > fraction {
            writeInteger(UInt8(ascii: "0"))
            scale /= 10
        }
        writeDecimal(Int64(fraction))
    }
}
