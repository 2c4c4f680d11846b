/// Validators for the content of one RESP line (the bytes between the type marker and CRLF).
///
/// Shared by the incremental scanner (on raw read bytes) and by ``RESPToken`` (on validated slices),
/// so both agree exactly on what is legal.
enum RESPSyntax {
    /// Parses `[+|-]digits` into Int64, rejecting empty input, other characters and overflow.
    static func parseInt64<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> Int64? {
        var index = bytes.startIndex
        guard index != bytes.endIndex else { return nil }
        var negative = false
        if bytes[index] == .minus || bytes[index] == .plus {
            negative = bytes[index] == .minus
            index = bytes.index(after: index)
            guard index != bytes.endIndex else { return nil }
        }
        // Accumulate negatively so Int64.min parses without overflowing on the way.
        var value: Int64 = 0
        while index != bytes.endIndex {
            let byte = bytes[index]
            guard byte >= .zero, byte <= .nine else { return nil }
            let (shifted, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (next, overflow2) = shifted.subtractingReportingOverflow(Int64(byte - .zero))
            guard !overflow1, !overflow2 else { return nil }
            value = next
            index = bytes.index(after: index)
        }
        if negative { return value }
        let (positive, overflow) = Int64(0).subtractingReportingOverflow(value)
        return overflow ? nil : positive
    }

    /// Parses a length or count: plain digits, or exactly `-1` (returned as -1, the RESP2 null).
    /// Any other sign, or a value that does not fit in Int, is rejected.
    static func parseLength<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> Int? {
        if bytes.elementsEqual("-1".utf8) { return -1 }
        guard let first = bytes.first, first != .minus, first != .plus else { return nil }
        guard let value = parseInt64(bytes) else { return nil }
        return Int(exactly: value)
    }

    /// A big number is an optional sign followed by one or more digits.
    static func isValidBigNumber<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> Bool {
        var digits = bytes[...]
        if let first = digits.first, first == .minus || first == .plus { digits = digits.dropFirst() }
        return !digits.isEmpty && digits.allSatisfy { $0 >= .zero && $0 <= .nine }
    }

    /// `inf`, `+inf`, `-inf`, `nan`, or `[+|-](digits[.digits*] | .digits)[(e|E)[+|-]digits]`.
    ///
    /// Stricter than `Double(String)`, which would also accept hex floats and `infinity`.
    static func isValidDouble<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> Bool {
        if specialDouble(bytes) != nil { return true }
        var rest = bytes[...]
        if let first = rest.first, first == .minus || first == .plus { rest = rest.dropFirst() }
        let integerDigits = rest.prefix { $0 >= .zero && $0 <= .nine }.count
        rest = rest.dropFirst(integerDigits)
        var fractionDigits = 0
        if rest.first == UInt8(ascii: ".") {
            rest = rest.dropFirst()
            fractionDigits = rest.prefix { $0 >= .zero && $0 <= .nine }.count
            rest = rest.dropFirst(fractionDigits)
        }
        guard integerDigits + fractionDigits > 0 else { return false }
        if let e = rest.first, e == UInt8(ascii: "e") || e == UInt8(ascii: "E") {
            rest = rest.dropFirst()
            if let sign = rest.first, sign == .minus || sign == .plus { rest = rest.dropFirst() }
            let exponentDigits = rest.prefix { $0 >= .zero && $0 <= .nine }.count
            guard exponentDigits > 0 else { return false }
            rest = rest.dropFirst(exponentDigits)
        }
        return rest.isEmpty
    }

    /// The value of the spellings Valkey uses for non-finite doubles, else nil.
    static func specialDouble<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> Double? {
        if bytes.elementsEqual("inf".utf8) || bytes.elementsEqual("+inf".utf8) { return .infinity }
        if bytes.elementsEqual("-inf".utf8) { return -.infinity }
        if bytes.elementsEqual("nan".utf8) { return .nan }
        return nil
    }
}
