import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Every fuzz property lives in this one serialized suite: the crash reporter below keeps the input being
/// tried in a process-wide slot, which only works if one property runs at a time.
@Suite(.serialized) struct FuzzTests {}

/// Campaign settings from the environment, so CI runs a short campaign and `make fuzz` a long one.
///
/// - `FUZZ_ITERATIONS`: iterations per property (default 2000).
/// - `FUZZ_SEED`: base seed, decimal or `0x` hex (default: random, printed).
/// - `FUZZ_ITERATION`: run only this iteration of each property, to replay a failure quickly.
enum FuzzConfig {
    static let iterations: Int = {
        let text = ProcessInfo.processInfo.environment["FUZZ_ITERATIONS"] ?? ""
        return Int(text).map { max(1, $0) } ?? 2000
    }()

    static let seed: UInt64 = {
        let text = ProcessInfo.processInfo.environment["FUZZ_SEED"] ?? ""
        if text.hasPrefix("0x"), let value = UInt64(text.dropFirst(2), radix: 16) { return value }
        if let value = UInt64(text) { return value }
        return UInt64.random(in: 0...UInt64.max)
    }()

    static let onlyIteration: Int? = {
        ProcessInfo.processInfo.environment["FUZZ_ITERATION"].flatMap { Int($0) }
    }()
}

/// xoshiro256** seeded through SplitMix64: fast, and the same sequence on every platform for a given seed,
/// which `SystemRandomNumberGenerator` cannot give.
struct FuzzRNG: RandomNumberGenerator {
    private var state: (UInt64, UInt64, UInt64, UInt64)

    init(seed: UInt64) {
        var s = seed
        func splitMix() -> UInt64 {
            s &+= 0x9E37_79B9_7F4A_7C15
            var z = s
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        state = (splitMix(), splitMix(), splitMix(), splitMix())
    }

    mutating func next() -> UInt64 {
        let result = ((state.1 &* 5) << 7 | (state.1 &* 5) >> 57) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = state.3 << 45 | state.3 >> 19
        return result
    }

    /// A uniform integer in `range`.
    mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &self) }
    /// True with probability `1/n`.
    mutating func oneIn(_ n: Int) -> Bool { Int.random(in: 0..<n, using: &self) == 0 }
    /// A random element of a non-empty collection.
    mutating func pick<C: Collection>(_ items: C) -> C.Element { items.randomElement(using: &self)! }
    /// Random bytes.
    mutating func bytes(count: Int) -> [UInt8] { (0..<count).map { _ in UInt8.random(in: 0...255, using: &self) } }
}

/// One property's campaign: runs `body` once per iteration with an RNG derived from (seed, property, iteration),
/// so any single iteration replays with `FUZZ_SEED=<seed> FUZZ_ITERATION=<n>`.
struct FuzzCampaign {
    let name: String
    let seed: UInt64
    private(set) var iteration = 0
    private(set) var failures = 0
    private var input: [UInt8] = []
    private let sourceLocation: SourceLocation

    /// Failures reported per property before the rest are dropped (one bug tends to fail every iteration).
    static let maxReportedFailures = 5

    static func run(
        _ name: String,
        iterations: Int = FuzzConfig.iterations,
        sourceLocation: SourceLocation = #_sourceLocation,
        _ body: (inout FuzzCampaign, inout FuzzRNG) throws -> Void
    ) {
        CrashReporter.installOnce()
        var campaign = FuzzCampaign(name: name, seed: FuzzConfig.seed, sourceLocation: sourceLocation)
        let range = FuzzConfig.onlyIteration.map { $0...$0 } ?? 0...(iterations - 1)
        let clock = ContinuousClock()
        let start = clock.now
        print("[fuzz] \(name): \(range.count) iterations, FUZZ_SEED=0x\(String(FuzzConfig.seed, radix: 16))")
        for iteration in range {
            campaign.iteration = iteration
            campaign.input = []
            var rng = FuzzRNG(seed: FuzzConfig.seed ^ Self.hash(name) ^ (UInt64(iteration) &* 0x9E37_79B9_7F4A_7C15))
            CrashReporter.begin(name: name, seed: FuzzConfig.seed, iteration: iteration)
            do {
                try body(&campaign, &rng)
            } catch {
                campaign.fail("unexpected error \(error)")
            }
            CrashReporter.end()
            if campaign.failures >= Self.maxReportedFailures { break }
        }
        print("[fuzz] \(name): done in \(clock.now - start), \(campaign.failures) failure(s)")
    }

    /// Records the input of this iteration, for failure messages and the crash report.
    mutating func setInput(_ bytes: [UInt8]) {
        input = bytes
        CrashReporter.setInput(bytes)
    }

    mutating func setInput(_ text: String) { setInput(Array(text.utf8)) }

    /// Records a failure naming everything needed to replay it.
    mutating func fail(_ message: String, sourceLocation: SourceLocation? = nil) {
        failures += 1
        guard failures <= Self.maxReportedFailures else { return }
        let replay = "FUZZ_SEED=0x\(String(seed, radix: 16)) FUZZ_ITERATION=\(iteration) swift test --filter FuzzTests"
        Issue.record(
            "\(name) iteration \(iteration): \(message)\n  input (\(input.count) bytes): \(Self.describe(input))\n  replay: \(replay)",
            sourceLocation: sourceLocation ?? self.sourceLocation)
    }

    /// `check(condition, "what")`: fails the iteration with context unless `condition` holds.
    mutating func check(
        _ condition: Bool, _ message: @autoclosure () -> String, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        if !condition { fail(message(), sourceLocation: sourceLocation) }
    }

    /// Printable form of an input: Swift string-literal escapes, cut at 600 bytes.
    static func describe(_ bytes: [UInt8]) -> String {
        var text = "\""
        for byte in bytes.prefix(600) {
            switch byte {
            case UInt8(ascii: "\r"): text += "\\r"
            case UInt8(ascii: "\n"): text += "\\n"
            case UInt8(ascii: "\t"): text += "\\t"
            case UInt8(ascii: "\""): text += "\\\""
            case UInt8(ascii: "\\"): text += "\\\\"
            case 0x20..<0x7F: text.append(Character(Unicode.Scalar(byte)))
            default: text += "\\x" + (byte < 16 ? "0" : "") + String(byte, radix: 16)
            }
        }
        return text + (bytes.count > 600 ? "\"..." : "\"")
    }

    /// FNV-1a, so each property draws different inputs from the same base seed.
    static func hash(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in text.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3 }
        return hash
    }
}

/// On a trap (the failure a fuzzer is after, which kills the test process before any `Issue` is reported),
/// prints the property, seed, iteration and input, then hands the signal back to the previous handler
/// (Swift's backtracer, which prints the stack).
enum CrashReporter {
    #if os(Linux)
    // Swift traps are SIGILL (x86_64 ud2) or SIGTRAP (arm64 brk); bad memory access is SIGSEGV/SIGBUS. Not SIGABRT:
    // glibc's abort() resets it to the default action after a handler returns, so the backtracer would miss it.
    private static let signals: [Int32] = [SIGILL, SIGTRAP, SIGSEGV, SIGBUS]
    private static let capacity = 4096
    // Written only by the serialized fuzz suite's one running property, read only by the signal handler of the
    // thread that traps: plain C memory, because Swift globals with initialisers are not async-signal-safe.
    nonisolated(unsafe) private static var previous: UnsafeMutablePointer<sigaction> = .allocate(capacity: 65)
    nonisolated(unsafe) private static var report: UnsafeMutablePointer<UInt8> = .allocate(capacity: 4 * 4096 + 512)
    nonisolated(unsafe) private static var headerLength = 0
    nonisolated(unsafe) private static var inputBytes: UnsafeMutablePointer<UInt8> = .allocate(capacity: 4096)
    nonisolated(unsafe) private static var inputLength = 0
    nonisolated(unsafe) private static var active = false
    nonisolated(unsafe) private static var installed = false

    static func installOnce() {
        guard !installed else { return }
        installed = true
        for signal in signals {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { signal in CrashReporter.handle(signal) }
            sigemptyset(&action.sa_mask)
            action.sa_flags = 0
            sigaction(signal, &action, previous + Int(signal))
        }
    }

    static func begin(name: String, seed: UInt64, iteration: Int) {
        let header = "\n[fuzz] CRASH in property \(name) at iteration \(iteration)"
            + " (replay: FUZZ_SEED=0x\(String(seed, radix: 16)) FUZZ_ITERATION=\(iteration) swift test --filter FuzzTests)\n"
            + "[fuzz] (if another suite crashed concurrently, the input below is unrelated)\n[fuzz] input: "
        let bytes = Array(header.utf8.prefix(500))
        for (i, byte) in bytes.enumerated() { report[i] = byte }
        headerLength = bytes.count
        inputLength = 0
        active = true
    }

    static func setInput(_ bytes: [UInt8]) {
        let count = min(bytes.count, capacity)
        for i in 0..<count { inputBytes[i] = bytes[i] }
        inputLength = count
    }

    static func end() { active = false }

    private static func handle(_ signal: Int32) {
        if active {
            active = false
            var length = headerLength
            // No allocation in a signal handler: nibbles are turned into hex digits arithmetically.
            func hex(_ nibble: UInt8) -> UInt8 { nibble < 10 ? nibble + 48 : nibble + 87 }
            for i in 0..<inputLength {
                let byte = inputBytes[i]
                if byte >= 0x20, byte < 0x7F, byte != UInt8(ascii: "\\") {
                    report[length] = byte
                    length += 1
                } else {
                    report[length] = UInt8(ascii: "\\")
                    report[length + 1] = UInt8(ascii: "x")
                    report[length + 2] = hex(byte >> 4)
                    report[length + 3] = hex(byte & 15)
                    length += 4
                }
            }
            report[length] = UInt8(ascii: "\n")
            _ = write(2, report, length + 1)
        }
        // Restore the previous handler and return: the trapping instruction runs again and reaches it.
        sigaction(signal, previous + Int(signal), nil)
    }
    #else
    static func installOnce() {}
    static func begin(name: String, seed: UInt64, iteration: Int) {}
    static func setInput(_ bytes: [UInt8]) {}
    static func end() {}
    #endif
}
