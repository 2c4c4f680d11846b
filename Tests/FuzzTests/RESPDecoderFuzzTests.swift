import NIOCore
import Testing

@testable import RESP

/// Limits small enough that random and mutated inputs hit every one of them.
let smallLimitSets: [RESPLimits] = [
    RESPLimits(maxBulkLength: 64, maxAggregateCount: 8, maxDepth: 4, maxReplySize: 256),
    RESPLimits(maxBulkLength: 3, maxAggregateCount: 2, maxDepth: 2, maxReplySize: 40),
    RESPLimits(maxBulkLength: 0, maxAggregateCount: 0, maxDepth: 1, maxReplySize: 5),
    RESPLimits(maxBulkLength: 1 << 20, maxAggregateCount: 1000, maxDepth: 8, maxReplySize: .max),
    .default,
]

extension FuzzTests {
    /// Valid values (one to three, pipelined) decode to exactly their bytes, whole or in any split, with the
    /// typed view, iteration and `RESPReader` agreeing with what was encoded.
    @Test func respValidValuesWholeAndSplit() {
        FuzzCampaign.run("resp.valid-values") { c, rng in
            let generator = RESPGenerator()
            let models = (0..<rng.int(1...3)).map { _ in generator.value(&rng) }
            let bytes = models.flatMap(\.encoded)
            c.setInput(bytes)

            let whole = RESPDecodeHarness.decode(bytes, limits: .default, rng: &rng)
            c.check(whole.anomaly == nil, whole.anomaly ?? "")
            c.check(whole.end == .needsMore(remaining: 0), "valid input did not decode completely: \(whole.summary)")
            c.check(whole.tokens == models.map(\.withoutLeadingAttributes.encoded), "token bytes differ from the values' bytes")
            c.check(whole.consumed == models.map(\.encoded.count), "consumed \(whole.consumed), expected \(models.map(\.encoded.count))")
            for (token, model) in zip(whole.decoded, models) {
                if let problem = RESPDecodeHarness.compare(token, model) { c.fail("typed view: \(problem)") }
                if let problem = RESPDecodeHarness.compareReader(token, model) { c.fail("RESPReader: \(problem)") }
                if let problem = RESPDecodeHarness.walk(token, limits: .default) { c.fail(problem) }
            }
            // RESPToken(validating:) is the non-incremental path; it must agree with the decoder.
            var buffer = ByteBuffer(bytes: bytes)
            if let token = try? RESPToken(validating: &buffer), let first = whole.tokens.first {
                c.check(Array(token.base.readableBytesView) == first, "RESPToken(validating:) disagrees with the decoder")
            } else {
                c.fail("RESPToken(validating:) rejected a valid value")
            }

            let chunks = Mutator.chunks(bytes.count, &rng)
            let split = RESPDecodeHarness.decode(bytes, chunks: chunks, limits: .default, rng: &rng)
            c.check(split.anomaly == nil, split.anomaly ?? "")
            c.check(split == whole, "fed in \(chunks.count) reads \(chunks.prefix(20)): \(split.summary); whole: \(whole.summary)")
            // Progress is kept between reads: no re-scan of the partial reply (at most a marker and a CR per call).
            c.check(
                split.bytesExamined <= whole.bytesExamined + 2 * split.calls,
                "split feed examined \(split.bytesExamined) bytes in \(split.calls) calls, whole \(whole.bytesExamined)")
        }
    }

    /// With small limits, a valid value decodes exactly when it is within every limit, and otherwise is an
    /// error: never a crash, a huge allocation or an endless wait.
    @Test func respLimitsAreErrors() {
        FuzzCampaign.run("resp.limits") { c, rng in
            let generator = RESPGenerator(maxDepth: 5, maxElements: 6, allowLarge: false)
            let model = rng.oneIn(8) ? RESPGenerator.deep(rng.int(0...8), &rng) : generator.value(&rng)
            let bytes = model.encoded
            c.setInput(bytes)
            let limits = RESPLimits(
                maxBulkLength: rng.int(0...20), maxAggregateCount: rng.int(0...10), maxDepth: rng.int(0...6),
                maxReplySize: rng.int(0...300))
            let stats = LimitStats(model)
            let fits = stats.maxBulk <= limits.maxBulkLength && stats.maxCount <= limits.maxAggregateCount
                && stats.depth <= limits.maxDepth && bytes.count <= limits.maxReplySize
            let chunks = rng.oneIn(2) ? nil : Mutator.chunks(bytes.count, &rng)
            let run = RESPDecodeHarness.decode(bytes, chunks: chunks, limits: limits, rng: &rng)
            c.check(run.anomaly == nil, run.anomaly ?? "")
            if fits {
                c.check(run.end == .needsMore(remaining: 0) && run.tokens.count == 1, "within \(limits) (\(stats)) but: \(run.summary)")
            } else {
                guard case .error(let error) = run.end, run.tokens.isEmpty else {
                    c.fail("exceeds \(limits) (\(stats), \(bytes.count) bytes) but: \(run.summary)")
                    return
                }
                let limitCodes: [RESPParsingError.Code] = [.bulkTooLong, .aggregateTooLarge, .tooDeep, .replyTooLarge]
                c.check(limitCodes.contains(error.code), "exceeding a limit gave \(error)")
            }
        }
    }

    /// Deep nesting against the default limits: exactly `maxDepth` levels decode, one more is `tooDeep`.
    @Test func respDeepNesting() {
        FuzzCampaign.run("resp.deep", iterations: max(1, FuzzConfig.iterations / 10)) { c, rng in
            let model = RESPGenerator.deep(rng.int(28...40), &rng)
            let bytes = model.encoded
            c.setInput(bytes)
            let run = RESPDecodeHarness.decode(bytes, chunks: Mutator.chunks(bytes.count, &rng), limits: .default, rng: &rng)
            if model.depth <= RESPLimits.default.maxDepth {
                c.check(run.tokens.count == 1, "depth \(model.depth) should decode: \(run.summary)")
            } else {
                var tooDeep = false
                if case .error(let error) = run.end, error.code == .tooDeep { tooDeep = true }
                c.check(tooDeep && run.tokens.isEmpty, "depth \(model.depth) should be tooDeep: \(run.summary)")
            }
        }
    }

    /// Mutated valid values (flips, cuts, splices, huge or negative lengths): the same outcome whole or split,
    /// every token within the limits and safe to read through every accessor.
    @Test func respMutatedValues() {
        FuzzCampaign.run("resp.mutated") { c, rng in
            let generator = RESPGenerator(maxDepth: 4, maxElements: 4, allowLarge: false)
            let models = (0..<rng.int(1...2)).map { _ in generator.value(&rng) }
            let donor = generator.value(&rng).encoded
            let bytes = Mutator.mutate(models.flatMap(\.encoded), &rng, splice: donor)
            c.setInput(bytes)
            checkArbitraryBytes(bytes, &c, &rng)
        }
    }

    /// Random bytes, uniform and biased to the RESP alphabet.
    @Test func respRandomBytes() {
        FuzzCampaign.run("resp.random-bytes") { c, rng in
            let count = rng.int(0...80)
            let bytes = rng.oneIn(3)
                ? rng.bytes(count: count)
                : (0..<count).map { _ in rng.pick(Mutator.interestingBytes) }
            c.setInput(bytes)
            checkArbitraryBytes(bytes, &c, &rng)
        }
    }

    private func checkArbitraryBytes(_ bytes: [UInt8], _ c: inout FuzzCampaign, _ rng: inout FuzzRNG) {
        let limits = rng.pick(smallLimitSets)
        let whole = RESPDecodeHarness.decode(bytes, limits: limits, rng: &rng)
        c.check(whole.anomaly == nil, whole.anomaly ?? "")
        for (token, consumed) in zip(whole.decoded, whole.consumed) {
            c.check(consumed <= limits.maxReplySize, "a reply of \(consumed) bytes passed maxReplySize \(limits.maxReplySize)")
            if let problem = RESPDecodeHarness.walk(token, limits: limits) { c.fail(problem) }
        }
        let chunks = Mutator.chunks(bytes.count, &rng)
        let split = RESPDecodeHarness.decode(bytes, chunks: chunks, limits: limits, rng: &rng)
        c.check(split.anomaly == nil, split.anomaly ?? "")
        c.check(split == whole, "limits \(limits), reads \(chunks.prefix(20)): split \(split.summary); whole \(whole.summary)")

        // The one-shot RESPToken(validating:) must agree with the decoder on the first reply.
        var buffer = ByteBuffer(bytes: bytes)
        do {
            let token = try RESPToken(validating: &buffer, limits: limits)
            c.check(
                token.map { Array($0.base.readableBytesView) } == whole.tokens.first,
                "RESPToken(validating:) gave \(String(describing: token)), the decoder \(whole.summary)")
        } catch {
            c.check(whole.tokens.isEmpty && whole.end == .error(error), "RESPToken(validating:) threw \(error), the decoder \(whole.summary)")
        }
    }
}

/// The largest bulk, aggregate count and depth in a model, to predict which limits it meets.
struct LimitStats: CustomStringConvertible {
    var maxBulk = 0
    var maxCount = 0
    var depth = 0

    init(_ model: RESPModel) {
        depth = model.depth
        visit(model)
    }

    private mutating func visit(_ model: RESPModel) {
        switch model {
        case .bulkString(let payload?), .bulkError(let payload), .verbatim(let payload):
            maxBulk = max(maxBulk, payload.count)
        case .array(let elements), .set(let elements), .push(let elements):
            maxCount = max(maxCount, elements.count)
            elements.forEach { visit($0) }
        case .map(let pairs):
            maxCount = max(maxCount, pairs.count * 2)
            pairs.forEach { visit($0.0); visit($0.1) }
        case .attributed(let pairs, let value):
            maxCount = max(maxCount, pairs.count * 2)
            pairs.forEach { visit($0.0); visit($0.1) }
            visit(value)
        default:
            break
        }
    }

    var description: String { "bulk \(maxBulk), count \(maxCount), depth \(depth)" }
}
