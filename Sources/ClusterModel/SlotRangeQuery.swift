/// The validated `start_slot` / `end_slot` query of `GET /api/cluster/slot-stats`.
///
/// Request input ends up as `CLUSTER SLOT-STATS SLOTSRANGE` arguments, so it is checked here, strictly,
/// before anything talks to Valkey.
public struct SlotRangeQuery: Hashable, Sendable {
    /// The first slot requested.
    public var start: Int
    /// The last slot requested (inclusive).
    public var end: Int

    /// Creates a query without validation; use `validate(startValues:endValues:)` for request input.
    public init(start: Int, end: Int) {
        self.start = start
        self.end = end
    }

    /// The requested slots as a range.
    public var slotRange: SlotRange { SlotRange(start, end) }

    /// The URL query parameter for the first slot.
    public static let startParameter = "start_slot"
    /// The URL query parameter for the last slot.
    public static let endParameter = "end_slot"

    /// Validates the query items of GET /api/cluster/slot-stats: `startValues`/`endValues` are all values given for
    /// start_slot / end_slot (empty = absent). Absent start = 0, absent end = 16383. Errors: a parameter repeated, not a
    /// plain base-10 integer (reject "+1", " 1", "1.0", "0x1", "", overlong digit strings), out of 0...16383, start > end.
    ///
    /// Leading zeros are accepted within five digits ("00100" is 100); anything longer cannot be a slot.
    public static func validate(startValues: [String], endValues: [String]) -> Result<SlotRangeQuery, SlotRangeQueryError> {
        let start: Int
        let end: Int
        switch parse(startValues, parameter: startParameter, default: 0) {
        case .success(let value): start = value
        case .failure(let error): return .failure(error)
        }
        switch parse(endValues, parameter: endParameter, default: SlotRanges.slotCount - 1) {
        case .success(let value): end = value
        case .failure(let error): return .failure(error)
        }
        guard start <= end else {
            return .failure(SlotRangeQueryError(
                parameter: startParameter,
                message: "\(startParameter) (\(start)) must not be greater than \(endParameter) (\(end))"))
        }
        return .success(SlotRangeQuery(start: start, end: end))
    }

    private static func parse(_ values: [String], parameter: String, default defaultValue: Int) -> Result<Int, SlotRangeQueryError> {
        guard values.count <= 1 else {
            return .failure(SlotRangeQueryError(parameter: parameter, message: "\(parameter) must be given at most once"))
        }
        guard let text = values.first else { return .success(defaultValue) }
        // Five digits is the longest spelling of 16383; the cap also keeps huge inputs from being scanned.
        guard text.utf8.count <= 5, let slot = TextScanning.unsignedDecimal(text, as: Int.self),
              SlotRanges.validSlots.contains(slot)
        else {
            return .failure(SlotRangeQueryError(
                parameter: parameter, message: "\(parameter) must be an integer between 0 and 16383"))
        }
        return .success(slot)
    }
}

/// Why a slot-stats query was rejected; `message` is user-facing and names the parameter.
public struct SlotRangeQueryError: Error, Sendable, Hashable {
    /// The offending query parameter, `start_slot` or `end_slot`.
    public var parameter: String
    /// For the user, e.g. "start_slot must be an integer between 0 and 16383".
    public var message: String

    /// Creates an error for `parameter`.
    public init(parameter: String, message: String) {
        self.parameter = parameter
        self.message = message
    }
}
