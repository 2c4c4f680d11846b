import Foundation

/// Human-readable renderings shared by the JSON API and logs. Locale-independent and thread-safe.
public enum Formatting {
    private static let byteUnits = ["B", "KB", "MB", "GB", "TB", "PB"]

    /// A byte count in 1024-based units with at most one decimal, trailing ".0" dropped:
    /// 0 -> "0B", 1023 -> "1023B", 1024 -> "1KB", 1536 -> "1.5KB", 2252341248 -> "2.1GB", 8589934592 -> "8GB".
    /// A value that rounds up to 1024 of a unit moves to the next unit ("1MB", not "1024KB"). Negative
    /// values get a leading "-".
    public static func bytes(_ n: Int64) -> String {
        if n < 0 {
            return "-" + bytes(n == .min ? .max : -n)
        }
        if n < 1024 {
            return "\(n)B"
        }
        var value = Double(n)
        var unit = 0
        while unit < byteUnits.count - 1 && value >= 1024 {
            value /= 1024
            unit += 1
        }
        var tenths = (value * 10).rounded()
        if tenths >= 10240 && unit < byteUnits.count - 1 {
            tenths = (value / 1024 * 10).rounded()
            unit += 1
        }
        let whole = Int64(tenths) / 10
        let fraction = Int64(tenths) % 10
        return fraction == 0 ? "\(whole)\(byteUnits[unit])" : "\(whole).\(fraction)\(byteUnits[unit])"
    }

    /// An uptime as "<days>d <hours>h", always both parts: 61 -> "0d 0h", 309600 -> "3d 14h".
    /// Minutes and seconds are dropped (not rounded); negative input is treated as 0.
    public static func uptime(seconds: Int64) -> String {
        let seconds = max(0, seconds)
        return "\(seconds / 86_400)d \(seconds % 86_400 / 3_600)h"
    }

    /// A UTC timestamp in whole seconds, e.g. "2025-01-08T22:32:00Z". Fractions of a second are truncated
    /// toward the past.
    ///
    /// Computed arithmetically (proleptic Gregorian calendar) instead of through a shared `DateFormatter`,
    /// which is not safe to use from several threads and depends on the process locale.
    public static func iso8601(_ date: Date) -> String {
        let total = Int64(date.timeIntervalSince1970.rounded(.down))
        let (days, secondOfDay) = total.floorDivided(by: 86_400)
        let (year, month, day) = civilDate(daysSinceEpoch: days)
        let hour = secondOfDay / 3_600
        let minute = secondOfDay % 3_600 / 60
        let second = secondOfDay % 60
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(hour, 2)):\(pad(minute, 2)):\(pad(second, 2))Z"
    }

    /// Year, month, day for a day count since 1970-01-01; Howard Hinnant's `civil_from_days`.
    private static func civilDate(daysSinceEpoch: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let shifted = daysSinceEpoch + 719_468  // days since 0000-03-01, so leap days fall at the end of a year
        let (era, dayOfEra) = shifted.floorDivided(by: 146_097)
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153  // 0 = March
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day)
    }

    private static func pad(_ value: Int64, _ width: Int) -> String {
        let digits = String(value.magnitude)
        let padded = String(repeating: "0", count: max(0, width - digits.count)) + digits
        return value < 0 ? "-" + padded : padded
    }
}

extension Int64 {
    /// Quotient and non-negative remainder, rounding toward negative infinity (dates before 1970).
    fileprivate func floorDivided(by divisor: Int64) -> (quotient: Int64, remainder: Int64) {
        let remainder = self % divisor
        return remainder < 0 ? (self / divisor - 1, remainder + divisor) : (self / divisor, remainder)
    }
}
