import ClusterModel
import Foundation
import Testing

@Suite("Formatting")
struct FormattingTests {
    static let byteCases: [(Int64, String)] = [
        (0, "0B"),
        (1, "1B"),
        (512, "512B"),
        (1023, "1023B"),
        (1024, "1KB"),
        (1536, "1.5KB"),
        (1075, "1KB"),  // 1.0498 rounds to 1.0
        (1076, "1.1KB"),  // 1.0508 rounds to 1.1
        (10 * 1024, "10KB"),
        (1_048_575, "1MB"),  // 1023.999KB rounds to 1024KB, shown as the next unit
        (1_048_576, "1MB"),
        (3_831_088, "3.7MB"),
        (1_073_741_824, "1GB"),
        (2_252_341_248, "2.1GB"),
        (8_589_934_592, "8GB"),
        (1_099_511_627_776, "1TB"),
        (1_125_899_906_842_624, "1PB"),
        (1_152_921_504_606_846_976, "1024PB"),  // no unit beyond PB
        (Int64.max, "8192PB"),
        (-1536, "-1.5KB"),
    ]

    @Test(arguments: byteCases)
    func bytes(value: Int64, expected: String) {
        #expect(Formatting.bytes(value) == expected)
    }

    static let uptimeCases: [(Int64, String)] = [
        (0, "0d 0h"),
        (61, "0d 0h"),
        (3_599, "0d 0h"),
        (3_600, "0d 1h"),
        (86_399, "0d 23h"),
        (86_400, "1d 0h"),
        (3 * 86_400 + 14 * 3_600 + 59 * 60, "3d 14h"),
        (400 * 86_400, "400d 0h"),
        (-5, "0d 0h"),
    ]

    @Test(arguments: uptimeCases)
    func uptime(seconds: Int64, expected: String) {
        #expect(Formatting.uptime(seconds: seconds) == expected)
    }

    static let iso8601Cases: [(Double, String)] = [
        (0, "1970-01-01T00:00:00Z"),
        (1_736_375_520, "2025-01-08T22:32:00Z"),
        (1_736_375_520.999, "2025-01-08T22:32:00Z"),  // whole seconds, truncated
        (951_782_400, "2000-02-29T00:00:00Z"),  // leap day
        (1_709_251_199, "2024-02-29T23:59:59Z"),
        (1_795_385_301, "2026-11-22T22:08:21Z"),
        (4_102_444_800, "2100-01-01T00:00:00Z"),
        (-1, "1969-12-31T23:59:59Z"),
        (-0.5, "1969-12-31T23:59:59Z"),
    ]

    @Test(arguments: iso8601Cases)
    func iso8601(seconds: Double, expected: String) {
        #expect(Formatting.iso8601(Date(timeIntervalSince1970: seconds)) == expected)
    }

    @Test func iso8601AgreesWithFoundation() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<1_000 {
            let date = Date(timeIntervalSince1970: Double(Int64.random(in: 0...4_102_444_800, using: &generator)))
            #expect(Formatting.iso8601(date) == date.formatted(.iso8601))
        }
    }

    @Test func iso8601IsSafeFromManyTasks() async {
        let date = Date(timeIntervalSince1970: 1_736_375_520)
        await withTaskGroup(of: String.self) { group in
            for _ in 0..<64 {
                group.addTask { Formatting.iso8601(date) }
            }
            for await result in group {
                #expect(result == "2025-01-08T22:32:00Z")
            }
        }
    }
}
