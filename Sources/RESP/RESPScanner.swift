/// The incremental validator behind ``RESPTokenDecoder``.
///
/// It walks the bytes of one top-level reply exactly once, however many reads the reply arrives in:
/// between calls it keeps how many bytes are already validated (`offset`), a stack of the element counts
/// still expected by each open aggregate, and how far into an unfinished line it has already looked.
/// A new call continues from there, so a 584 KB reply fed in 1 KB reads costs O(reply size), not O(size²/read).
///
/// All offsets are relative to the first byte of the reply, which the caller must keep at the start of
/// the bytes it passes in until ``scan(_:)`` reports a complete reply (NIO may compact the buffer, which
/// is fine: it moves bytes, not their position relative to the reader index).
struct RESPScanner: Sendable {
    /// Where a complete reply sits in the scanned bytes: `skip` bytes of leading attributes, then the value.
    struct Completed: Sendable, Hashable {
        var skip: Int
        var length: Int
    }

    private struct Frame: Sendable {
        /// Elements still expected; an attribute's own entries are counted here but it never counts for its parent.
        var remaining: Int
        var isAttribute: Bool
    }

    private enum Pending: Sendable {
        /// Reading the header line of the item starting at `offset`; `checked` content bytes hold no CR or LF.
        case line(checked: Int)
        /// The header of a `$`, `!` or `=` item is valid; waiting for `length` payload bytes plus CRLF at `start`.
        case payload(kind: RESPTypeIdentifier, start: Int, length: Int)
    }

    let limits: RESPLimits
    /// Bytes of the reply validated so far; the next item starts here.
    private(set) var offset = 0
    /// Where the value starts once leading top-level attributes are skipped.
    private var valueStart = 0
    /// The innermost open aggregate, kept out of `stack` so the per-element bookkeeping is a field update,
    /// not an array access; meaningful only while `depth > 0`.
    private var current = Frame(remaining: 0, isAttribute: false)
    /// The open aggregates outside `current`.
    private var stack: [Frame] = []
    /// Open aggregates, `current` included.
    private var depth = 0
    private var pending = Pending.line(checked: 0)
    /// Bytes looked at or stepped over since creation, across replies. Only for tests that prove no re-scan.
    private(set) var bytesExamined = 0

    /// When set, whole `[integer, map]` entries inside aggregates are also read into ``counterEntries`` while
    /// they are validated (see ``scanCounterEntry(_:from:available:depth:limits:names:)``).
    let counterNames: CounterNames
    /// Whether `counterNames` were given.
    let readsCounterEntries: Bool
    /// Entries read so far in the reply in progress, in byte order; offsets from the reply's first byte.
    private(set) var counterEntries: [CounterEntry] = []

    init(limits: RESPLimits, counterNames: CounterNames? = nil) {
        self.limits = limits
        self.counterNames = counterNames ?? .unused
        self.readsCounterEntries = counterNames != nil
    }

    /// Hands over the finished reply's entries with offsets from the first byte of its value (`skip` bytes of
    /// leading attributes in): entries inside those attributes are dropped, since the token does not hold them.
    mutating func takeCounterEntries(skip: Int) -> CounterEntries? {
        guard readsCounterEntries, !counterEntries.isEmpty else { return nil }
        var entries = counterEntries
        counterEntries = []
        if skip > 0 {
            entries.removeAll { $0.offset < skip }
            for i in entries.indices { entries[i].offset -= skip }
        }
        return CounterEntries(names: counterNames, entries: entries)
    }

    /// True when no byte of a reply has been consumed yet (nothing is half-validated).
    var isAtReplyStart: Bool {
        if case .line(checked: 0) = self.pending, self.offset == 0 { return true }
        return false
    }

    /// Forgets the finished reply so the next one starts at offset 0. Keeps the examined-bytes counter.
    mutating func reset() {
        self.offset = 0
        self.valueStart = 0
        self.stack.removeAll(keepingCapacity: true)
        self.depth = 0
        self.pending = .line(checked: 0)
        self.counterEntries = []
    }

    /// Validates as far as `bytes` allows; returns where the reply is once it is complete, nil when more bytes are needed.
    ///
    /// `bytes` must begin with the reply's first byte and contain at least what earlier calls saw.
    /// After a non-nil result, call ``reset()`` before scanning the next reply.
    mutating func scan(_ bytes: UnsafeRawBufferPointer) throws(RESPParsingError) -> Completed? {
        while true {
            if case .line(checked: 0) = self.pending, let completed = self.scanCommonItems(bytes) { return completed }
            switch self.pending {
            case .line(let checked):
                guard let item = try self.scanLine(bytes, checked: checked) else { return nil }
                if let completed = try self.handleHeader(item, bytes) { return completed }
            case .payload(let kind, let start, let length):
                let end = start + length + 2
                guard end <= bytes.count else { return nil }
                self.bytesExamined += length + 2
                guard bytes[end - 2] == .cr, bytes[end - 1] == .lf else {
                    throw RESPParsingError(code: .missingCRLF, offset: end - 2)
                }
                if kind == .verbatimString, bytes[start + 3] != .colon {
                    throw RESPParsingError(code: .invalidVerbatimString, offset: start)
                }
                if let completed = self.finishItem(end: end, isAttribute: false) { return completed }
            }
        }
    }

    /// A header line found in full: its type, content range and the offset just past its CRLF.
    private struct Line {
        var kind: RESPTypeIdentifier
        var content: Range<Int>
        var end: Int
    }

    /// Finds the CRLF ending the line of the item at `offset`, resuming after the `checked` content bytes
    /// earlier calls already cleared. Stores its progress and returns nil when the line is not complete yet.
    private mutating func scanLine(_ bytes: UnsafeRawBufferPointer, checked: Int) throws(RESPParsingError) -> Line? {
        guard self.offset < bytes.count else { return nil }
        self.bytesExamined += 1
        guard let kind = RESPTypeIdentifier(rawValue: bytes[self.offset]) else {
            throw RESPParsingError(code: .invalidTypeMarker, offset: self.offset)
        }
        let contentStart = self.offset + 1
        let maxContent = kind.maxLineContentLength
        var index = contentStart + checked
        while index < bytes.count {
            let byte = bytes[index]
            self.bytesExamined += 1
            if byte == .cr { break }
            if byte == .lf { throw RESPParsingError(code: .missingCRLF, offset: index) }
            index += 1
            if index - contentStart > maxContent {
                throw RESPParsingError(code: Self.lineTooLongCode(kind), offset: self.offset)
            }
            if index + 2 > self.limits.maxReplySize {
                throw RESPParsingError(code: .replyTooLarge, offset: self.offset)
            }
        }
        // The CR, if found, stays unchecked until its LF has arrived, so a CR at the end of a read is looked at again.
        self.pending = .line(checked: index - contentStart)
        guard index + 1 < bytes.count else { return nil }
        self.bytesExamined += 1
        guard bytes[index + 1] == .lf else { throw RESPParsingError(code: .missingCRLF, offset: index) }
        index += 2
        guard index <= self.limits.maxReplySize else { throw RESPParsingError(code: .replyTooLarge, offset: self.offset) }
        return Line(kind: kind, content: contentStart..<(index - 2), end: index)
    }

    private static func lineTooLongCode(_ kind: RESPTypeIdentifier) -> RESPParsingError.Code {
        switch kind {
        case .integer: .invalidInteger
        case .boolean: .invalidBoolean
        case .null: .invalidNull
        default: .invalidLength
        }
    }

    /// Validates a complete header line and moves the state machine on; returns the reply if this finished it.
    private mutating func handleHeader(_ line: Line, _ bytes: UnsafeRawBufferPointer) throws(RESPParsingError) -> Completed? {
        let content = UnsafeRawBufferPointer(rebasing: bytes[line.content])
        let itemStart = self.offset
        switch line.kind {
        case .simpleString, .simpleError:
            break
        case .integer:
            guard RESPSyntax.parseInt64(content) != nil else { throw RESPParsingError(code: .invalidInteger, offset: itemStart) }
        case .double:
            guard RESPSyntax.isValidDouble(content) else { throw RESPParsingError(code: .invalidDouble, offset: itemStart) }
        case .boolean:
            guard content.count == 1, content[0] == UInt8(ascii: "t") || content[0] == UInt8(ascii: "f") else {
                throw RESPParsingError(code: .invalidBoolean, offset: itemStart)
            }
        case .null:
            guard content.isEmpty else { throw RESPParsingError(code: .invalidNull, offset: itemStart) }
        case .bigNumber:
            guard RESPSyntax.isValidBigNumber(content) else { throw RESPParsingError(code: .invalidBigNumber, offset: itemStart) }
        case .bulkString, .bulkError, .verbatimString:
            return try self.handleBlobHeader(line, length: RESPSyntax.parseLength(content))
        case .array, .set, .push, .map, .attribute:
            return try self.handleAggregateHeader(line, count: RESPSyntax.parseLength(content))
        }
        return self.finishItem(end: line.end, isAttribute: false)
    }

    private mutating func handleBlobHeader(_ line: Line, length: Int?) throws(RESPParsingError) -> Completed? {
        let itemStart = self.offset
        guard let length, length >= -1 else { throw RESPParsingError(code: .invalidLength, offset: itemStart) }
        if length == -1 {
            // `$-1` is the RESP2 null bulk string; RESP3 has no null bulk error or verbatim string.
            guard line.kind == .bulkString else { throw RESPParsingError(code: .invalidLength, offset: itemStart) }
            return self.finishItem(end: line.end, isAttribute: false)
        }
        guard length <= self.limits.maxBulkLength else { throw RESPParsingError(code: .bulkTooLong, offset: itemStart) }
        // Known from the header alone: reject now rather than wait for bytes we would refuse anyway.
        // Written as a subtraction so limits near Int.max cannot overflow (line.end never exceeds maxReplySize).
        guard length <= self.limits.maxReplySize - line.end - 2 else {
            throw RESPParsingError(code: .replyTooLarge, offset: itemStart)
        }
        if line.kind == .verbatimString, length < 4 {
            throw RESPParsingError(code: .invalidVerbatimString, offset: itemStart)
        }
        self.pending = .payload(kind: line.kind, start: line.end, length: length)
        return nil
    }

    private mutating func handleAggregateHeader(_ line: Line, count: Int?) throws(RESPParsingError) -> Completed? {
        let itemStart = self.offset
        guard let count, count >= -1 else { throw RESPParsingError(code: .invalidLength, offset: itemStart) }
        if count == -1 {
            // `*-1` is the RESP2 null array; the RESP3 aggregates have no null form.
            guard line.kind == .array else { throw RESPParsingError(code: .invalidLength, offset: itemStart) }
            return self.finishItem(end: line.end, isAttribute: false)
        }
        let perCount = line.kind.elementsPerCount ?? 1
        guard count <= self.limits.maxAggregateCount / perCount else {
            throw RESPParsingError(code: .aggregateTooLarge, offset: itemStart)
        }
        let elements = count * perCount
        // Every element takes at least 3 bytes (`_\r\n`), so an impossible count fails before we wait for it.
        guard elements <= (self.limits.maxReplySize - line.end) / 3 else {
            throw RESPParsingError(code: .replyTooLarge, offset: itemStart)
        }
        // Checked before the empty case so an empty aggregate counts as a nesting level too.
        guard self.depth < self.limits.maxDepth else { throw RESPParsingError(code: .tooDeep, offset: itemStart) }
        let isAttribute = line.kind == .attribute
        if elements == 0 {
            return self.finishItem(end: line.end, isAttribute: isAttribute)
        }
        self.push(Frame(remaining: elements, isAttribute: isAttribute))
        self.offset = line.end
        self.pending = .line(checked: 0)
        return nil
    }

    /// Records that the item ending at `end` is complete and closes every aggregate it completes in turn.
    /// Returns the reply when the top-level value is complete.
    private mutating func finishItem(end: Int, isAttribute: Bool) -> Completed? {
        self.offset = end
        self.pending = .line(checked: 0)
        var finishedAttribute = isAttribute
        while true {
            if finishedAttribute {
                // An attribute describes the value after it and is not an element of its parent. At top level
                // it is dropped: the reply handed out starts at the value it describes.
                if self.depth == 0 { self.valueStart = end }
                return nil
            }
            guard self.depth > 0 else {
                return Completed(skip: self.valueStart, length: end - self.valueStart)
            }
            self.current.remaining -= 1
            if self.current.remaining > 0 { return nil }
            finishedAttribute = self.current.isAttribute
            self.depth -= 1
            if self.depth > 0 { self.current = self.stack.removeLast() }
        }
    }

    private mutating func push(_ frame: Frame) {
        if self.depth > 0 { self.stack.append(self.current) }
        self.current = frame
        self.depth += 1
    }

    /// Validates, in one tight loop, the items that make up nearly all of a large reply (integers, bulk strings,
    /// array and map headers) for as long as each is complete in `bytes` and well inside every limit. At the
    /// first item that is anything else it stops and leaves that item to the general path above, which then
    /// accepts it or throws the exact error. So this loop never throws: it only accepts a subset of what the
    /// general path accepts, with the same result. A full SLOT-STATS reply is ~60k such items; the general path
    /// spends most of its time in per-item state changes this loop does not need.
    private mutating func scanCommonItems(_ bytes: UnsafeRawBufferPointer) -> Completed? {
        // Every item must end within the reply size limit, so bytes beyond it are as good as absent.
        let available = min(bytes.count, self.limits.maxReplySize)
        while self.offset < available {
            let start = self.offset
            let kind = bytes[start]
            if kind == RESPTypeIdentifier.array.rawValue, self.depth > 0, self.readsCounterEntries,
               let (end, record) = Self.scanCounterEntry(
                   bytes, from: start, available: available, depth: self.depth, limits: self.limits,
                   names: self.counterNames) {
                if self.counterEntries.isEmpty {
                    // The entries are the elements of the aggregate around the first one: size for them at once.
                    self.counterEntries.reserveCapacity(min(self.current.remaining, 16384))
                }
                self.counterEntries.append(CounterEntry(record: record, length: UInt32(end - start), offset: start))
                self.bytesExamined += end - start
                if self.current.remaining > 1 {
                    self.current.remaining -= 1
                    self.offset = end
                    continue
                }
                if let completed = self.finishItem(end: end, isAttribute: false) { return completed }
                continue
            }
            var index = start + 1
            if kind == .colon, index < available, bytes[index] == .minus { index += 1 }
            // Digits: at most 18, so neither an integer nor a length can overflow; longer ones take the general path.
            let digitsStart = index
            var value = 0
            while index < available, index - digitsStart < 19 {
                let digit = bytes[index] &- .zero
                guard digit < 10 else { break }
                value = value &* 10 &+ Int(digit)
                index += 1
            }
            let digits = index - digitsStart
            guard digits > 0, digits <= 18, index + 1 < available, bytes[index] == .cr, bytes[index + 1] == .lf else {
                return nil
            }
            let lineEnd = index + 2
            let end: Int
            switch kind {
            case .colon:
                end = lineEnd
            case RESPTypeIdentifier.bulkString.rawValue:
                guard value <= self.limits.maxBulkLength, value <= self.limits.maxReplySize - lineEnd - 2 else { return nil }
                end = lineEnd + value + 2
                guard end <= available, bytes[end - 2] == .cr, bytes[end - 1] == .lf else { return nil }
            case RESPTypeIdentifier.array.rawValue, RESPTypeIdentifier.map.rawValue:
                // The general path's limits, without its divisions: for a count c, per-count p and limit m,
                // c <= m / p exactly when c * p <= m (integers, p of 1 or 2), and likewise for the 3-byte minimum.
                let elements = kind == RESPTypeIdentifier.map.rawValue ? value &* 2 : value
                guard value > 0, value <= self.limits.maxAggregateCount, elements <= self.limits.maxAggregateCount,
                      elements &* 3 <= self.limits.maxReplySize - lineEnd, self.depth < self.limits.maxDepth
                else { return nil }
                self.bytesExamined += lineEnd - start
                self.push(Frame(remaining: elements, isAttribute: false))
                self.offset = lineEnd
                continue
            default:
                return nil
            }
            self.bytesExamined += end - start
            // The common case of finishItem inline: an element that leaves its aggregate still open.
            if self.depth > 0, self.current.remaining > 1 {
                self.current.remaining -= 1
                self.offset = end
                continue
            }
            if let completed = self.finishItem(end: end, isAttribute: false) { return completed }
        }
        return nil
    }
}
