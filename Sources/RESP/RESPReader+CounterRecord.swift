/// Up to four counter names a ``RESPReader/nextCounterRecord(_:)`` looks for, each compared as whole
/// 8-byte words: a full `CLUSTER SLOT-STATS` reply carries ~22k names, and a `memcmp` call per name cost more
/// than reading the rest of the entry.
public struct CounterNames: Sendable, Equatable {
    /// A name as its length and the four 8-byte words at ``wordOffset(_:length:)``: overlapping for names
    /// shorter than 32 bytes, so every compare is four full loads with no loop. Length 0 marks an unused slot.
    fileprivate struct Name: Sendable, Equatable {
        var length = 0
        var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

        static func == (lhs: Name, rhs: Name) -> Bool {
            lhs.length == rhs.length && lhs.words.0 == rhs.words.0 && lhs.words.1 == rhs.words.1
                && lhs.words.2 == rhs.words.2 && lhs.words.3 == rhs.words.3
        }
    }

    /// The names live in a class so that a `CounterNames` is one reference: the scanner's hot loop passes it per
    /// entry, and copying 160 bytes of tuples each time went through `memmove`.
    private final class Storage: Sendable {
        let names: (Name, Name, Name, Name)
        let headers: (Header, Header, Header, Header)
        init(_ names: (Name, Name, Name, Name), headers: (Header, Header, Header, Header)) {
            self.names = names
            self.headers = headers
        }
    }

    /// A name as it stands in a map of integers: `$<length>\r\n<name>\r\n:`, from the bulk string's type byte to
    /// its value's. The scanner compares a whole header in five overlapping 8-byte loads where reading it piece by
    /// piece (length digits, CRLFs, then the name) cost most of an entry. Length 0 marks an unused slot.
    fileprivate struct Header: Sendable {
        var length = 0
        var nameLength = 0
        var words: (UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0)

        /// Names of 8 to 32 bytes make headers of 14 to 40 bytes: five words cover any of them.
        init(name bytes: UnsafeRawBufferPointer) {
            let encoded = Array("$\(bytes.count)\r\n".utf8) + Array(bytes) + Array("\r\n:".utf8)
            length = encoded.count
            nameLength = bytes.count
            encoded.withUnsafeBytes { raw in
                func word(_ i: Int) -> UInt64 {
                    raw.loadUnaligned(fromByteOffset: CounterNames.wordOffset(i, length: raw.count), as: UInt64.self)
                }
                words = (word(0), word(1), word(2), word(3), word(4))
            }
        }

        init() {}
    }

    private let storage: Storage
    fileprivate var names: (Name, Name, Name, Name) { storage.names }

    /// Names that match nothing: what a scanner that reads no entries holds.
    static let unused = CounterNames(
        storage: Storage((Name(), Name(), Name(), Name()), headers: (Header(), Header(), Header(), Header())))

    private init(storage: Storage) {
        self.storage = storage
    }

    public static func == (lhs: CounterNames, rhs: CounterNames) -> Bool {
        lhs.storage === rhs.storage
            || (lhs.names.0 == rhs.names.0 && lhs.names.1 == rhs.names.1 && lhs.names.2 == rhs.names.2
                && lhs.names.3 == rhs.names.3)
    }

    /// - Parameter names: 1 to 4 ASCII names, each 8 to 32 bytes long (a shorter name would need a load from
    ///   before its first byte).
    public init(_ names: [StaticString]) {
        precondition((1...4).contains(names.count), "CounterNames holds 1 to 4 names")
        var built = [Name](repeating: Name(), count: 4)
        var headers = [Header](repeating: Header(), count: 4)
        for (position, name) in names.enumerated() {
            let bytes = UnsafeRawBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount)
            precondition((8...32).contains(bytes.count), "a counter name must be 8 to 32 bytes long")
            func word(_ i: Int) -> UInt64 {
                bytes.loadUnaligned(fromByteOffset: Self.wordOffset(i, length: bytes.count), as: UInt64.self)
            }
            built[position] = Name(length: bytes.count, words: (word(0), word(1), word(2), word(3)))
            headers[position] = Header(name: bytes)
        }
        self.storage = Storage(
            (built[0], built[1], built[2], built[3]), headers: (headers[0], headers[1], headers[2], headers[3]))
    }

    /// The length of name `position`'s whole header (`$<length>\r\n<name>\r\n:`) when the bytes at `start` are
    /// exactly it and its name is at most `maxBulkLength` long; 0 otherwise (also for an unused or out-of-range
    /// position). The bytes from `start` to `available` must be readable.
    @inline(__always)
    func headerLength(
        of position: Int, in raw: UnsafeRawBufferPointer, at start: Int, available: Int, maxBulkLength: Int
    ) -> Int {
        let header: Header
        switch position {
        case 0: header = storage.headers.0
        case 1: header = storage.headers.1
        case 2: header = storage.headers.2
        case 3: header = storage.headers.3
        default: return 0
        }
        let length = header.length
        // Wrapping arithmetic: every offset is within `available`, and overflow checks were a third of the loop.
        guard length > 0, available &- start >= length, header.nameLength <= maxBulkLength else { return 0 }
        func word(_ i: Int) -> UInt64 {
            raw.loadUnaligned(fromByteOffset: start &+ Self.wordOffset(i, length: length), as: UInt64.self)
        }
        // One combined test, no early exits: the five loads are independent and the branch is nearly always taken.
        let differ = (word(0) ^ header.words.0) | (word(1) ^ header.words.1) | (word(2) ^ header.words.2)
            | (word(3) ^ header.words.3) | (word(4) ^ header.words.4)
        return differ == 0 ? length : 0
    }

    /// Which of the names the `length` bytes at `start` of `raw` are, if any.
    @inline(__always)
    func position(in raw: UnsafeRawBufferPointer, at start: Int, length: Int) -> Int? {
        guard length >= 8, length <= 32, start + length <= raw.count else { return nil }
        let names = storage.names
        // The length picks the candidates (the SLOT-STATS names all differ in length); only then are words loaded.
        let candidate: Int
        if names.0.length == length { candidate = 0 }
        else if names.1.length == length { candidate = 1 }
        else if names.2.length == length { candidate = 2 }
        else if names.3.length == length { candidate = 3 }
        else { return nil }
        func word(_ i: Int) -> UInt64 {
            raw.loadUnaligned(fromByteOffset: start + Self.wordOffset(i, length: length), as: UInt64.self)
        }
        let words = (word(0), word(1), word(2), word(3))
        func equal(_ name: Name) -> Bool {
            name.length == length && name.words.0 == words.0 && name.words.1 == words.1
                && name.words.2 == words.2 && name.words.3 == words.3
        }
        // Names of equal length are each tried, from the first candidate on.
        if candidate <= 0, equal(names.0) { return 0 }
        if candidate <= 1, equal(names.1) { return 1 }
        if candidate <= 2, equal(names.2) { return 2 }
        if equal(names.3) { return 3 }
        return nil
    }

    /// Where word `i` of `length` (at least 8) bytes starts: 8-byte steps, the last ones overlapping so that no
    /// load passes the end. Names use words 0..<4 (8...32 bytes), headers 0..<5 (14...40 bytes).
    @inline(__always)
    fileprivate static func wordOffset(_ i: Int, length: Int) -> Int { min(8 &* i, length &- 8) }
}

/// One `[integer, {name: integer, ...}]` entry read by ``RESPReader/nextCounterRecord(_:)``.
public struct CounterRecord: Sendable {
    /// The entry's first element (the slot number of a SLOT-STATS entry).
    public var key: Int64 = 0
    /// The value of each of the ``CounterNames``, by position; meaningful where `found` has the bit set.
    public var values: (Int64, Int64, Int64, Int64) = (0, 0, 0, 0)
    /// Bit `i` set: name `i` was in the entry.
    public var found: UInt8 = 0

    /// Records `value` for the name at `position` (0..<4); a repeated name keeps its last value.
    @inline(__always)
    mutating func set(_ value: Int64, at position: Int) {
        switch position {
        case 0: values.0 = value
        case 1: values.1 = value
        case 2: values.2 = value
        default: values.3 = value
        }
        found |= 1 << position
    }
}

extension RESPReader {
    /// Reads one `[integer, map]` entry in a single tight pass, the shape of every `CLUSTER SLOT-STATS` entry:
    /// a 2-element array of an integer and, in RESP3, a map of bulk-string names to integers, or in RESP2 a flat
    /// even-length array of the same. Names not in `names` are skipped; a repeated name keeps its last value.
    ///
    /// Returns nil, with the cursor left anywhere, on any other shape (attributes, simple strings, a value that is
    /// not an integer...): the caller then reads the entry again with ``next()`` to say what is wrong with it.
    ///
    /// On a reader from ``RESPToken/withReader(counterNames:_:)``, `names` must be the names given there: an entry
    /// the decoder already read at the cursor is returned without reading its bytes again.
    public mutating func nextCounterRecord(_ names: CounterNames) -> CounterRecord? {
        if let entry = takeCounterEntry() { return entry }
        guard remaining(4), byte(0) == 0x2A, byte(1) == 0x32, byte(2) == 0x0D else { return nil }  // "*2\r\n"
        index += 4
        guard remaining(1), byte(0) == 0x3A else { return nil }  // ':' key
        var record = CounterRecord()
        record.key = readInteger()
        guard remaining(1) else { return nil }
        let pairs: Int
        switch byte(0) {
        case 0x25:  // '%' map; the scanner never passes a negative length, but a trap here would cost the process
            guard remaining(2), byte(1) != 0x2D else { return nil }
            pairs = readLength()
        case 0x2A:  // '*' RESP2 flat array; "*-1" (null) is not a map
            guard remaining(2), byte(1) != 0x2D else { return nil }
            let count = readLength()
            guard count % 2 == 0 else { return nil }
            pairs = count / 2
        default: return nil
        }
        for _ in 0..<pairs {
            guard remaining(2), byte(0) == 0x24, byte(1) != 0x2D else { return nil }  // '$' bulk name, not null
            let length = readLength()
            let nameStart = index
            index += length + 2
            guard remaining(1), byte(0) == 0x3A else { return nil }  // ':' value
            let value = readInteger()
            guard let position = names.position(in: raw, at: nameStart, length: length) else { continue }
            record.set(value, at: position)
        }
        return record
    }

    /// The entry the decoder read at the cursor, if any, with the cursor moved past it.
    private mutating func takeCounterEntry() -> CounterRecord? {
        // The reader only moves forward, so entries behind the cursor are passed for good.
        while counterEntryCursor < counterEntries.count, counterEntries[counterEntryCursor].offset < index {
            counterEntryCursor += 1
        }
        guard counterEntryCursor < counterEntries.count, counterEntries[counterEntryCursor].offset == index else {
            return nil
        }
        let entry = counterEntries[counterEntryCursor]
        counterEntryCursor += 1
        index += Int(entry.length)
        return entry.record
    }

    /// Whether at least `count` bytes remain from the cursor.
    private func remaining(_ count: Int) -> Bool { index + count <= raw.count }

    /// The byte `offset` bytes past the cursor (which `remaining` has checked).
    private func byte(_ offset: Int) -> UInt8 { raw[index + offset] }
}
