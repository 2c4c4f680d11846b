/// Comparisons whose duration does not depend on where two byte strings first differ, so response times do not
/// reveal how much of a user name an attacker has guessed.
enum ConstantTime {
    /// True when `a` and `b` are equal. Every byte of the longer one is visited whatever the contents; only the
    /// lengths (not secret here: the attacker chose one of them) shape the running time.
    static func equal(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt64(truncatingIfNeeded: a.count ^ b.count)
        for index in 0..<max(a.count, b.count) {
            let x = index < a.count ? a[index] : 0
            let y = index < b.count ? b[index] : 0
            difference |= UInt64(x ^ y)
        }
        return difference == 0
    }
}
