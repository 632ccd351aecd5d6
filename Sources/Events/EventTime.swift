/// A point in event time: milliseconds since the Unix epoch, UTC.
///
/// Accepted in events as an RFC 3339 string (`2026-11-23T10:08:09.123Z`, any offset, any number of
/// fractional digits, truncated to milliseconds) or as epoch milliseconds (an integer). Always written as
/// RFC 3339 in UTC with exactly three fractional digits.
public struct EventTime: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var milliseconds: Int64

    public init(milliseconds: Int64) { self.milliseconds = milliseconds }

    /// The accepted range: 0001-01-01T00:00:00Z … 9999-12-31T23:59:59.999Z.
    public static let minimum = EventTime(milliseconds: -62_135_596_800_000)
    public static let maximum = EventTime(milliseconds: 253_402_300_799_999)

    public static func < (a: EventTime, b: EventTime) -> Bool { a.milliseconds < b.milliseconds }

    public var description: String { rfc3339 }

    /// RFC 3339 in UTC with milliseconds, e.g. `2026-11-23T10:08:09.123Z`.
    public var rfc3339: String {
        var bytes = [UInt8]()
        bytes.reserveCapacity(24)
        appendRFC3339(to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends the RFC 3339 form (24 bytes, `YYYY-MM-DDTHH:MM:SS.mmmZ`) to a byte buffer in one append.
    public func appendRFC3339(to out: inout [UInt8]) {
        var buffer: (UInt64, UInt64, UInt64) = (0, 0, 0)
        withUnsafeMutableBytes(of: &buffer) { b in
            writeRFC3339(to: b.baseAddress!.assumingMemoryBound(to: UInt8.self))
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: b[0 ..< Self.rfc3339Length]))
        }
    }

    /// Bytes in the RFC 3339 form `writeRFC3339(to:)` and `appendRFC3339(to:)` produce.
    public static let rfc3339Length = 24

    /// Writes the RFC 3339 form (`rfc3339Length` bytes, `YYYY-MM-DDTHH:MM:SS.mmmZ`) at `p`, which must have room.
    @inline(__always)
    public func writeRFC3339(to p: UnsafeMutablePointer<UInt8>) {
        var cache = RFC3339DayCache()
        writeRFC3339(to: p, cache: &cache)
    }

    /// `writeRFC3339(to:)`, taking the date part from `cache` when the day is the one it holds (times written
    /// one after another are mostly on the same day) and refreshing it otherwise.
    @inline(__always)
    public func writeRFC3339(to p: UnsafeMutablePointer<UInt8>, cache: inout RFC3339DayCache) {
        let ms = milliseconds
        var days = ms / 86_400_000
        var rem = ms % 86_400_000
        if rem < 0 { rem += 86_400_000; days -= 1 }
        if days != cache.day { cache.set(day: days, civil: Self.civil(fromDays: days)) }
        withUnsafeBytes(of: cache.date) { p.update(from: $0.baseAddress!.assumingMemoryBound(to: UInt8.self), count: 11) }
        let secondsOfDay = Int(rem / 1000)
        let millis = Int(rem % 1000)
        @inline(__always) func two(_ at: Int, _ v: Int) { p[at] = UInt8(0x30 + v / 10); p[at + 1] = UInt8(0x30 + v % 10) }
        two(11, secondsOfDay / 3600); p[13] = UInt8(ascii: ":")
        two(14, secondsOfDay / 60 % 60); p[16] = UInt8(ascii: ":"); two(17, secondsOfDay % 60)
        p[19] = UInt8(ascii: "."); p[20] = UInt8(0x30 + millis / 100); two(21, millis % 100)
        p[23] = UInt8(ascii: "Z")
    }

    /// Parses RFC 3339 (`YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)`; `t`, `z` and a space separator accepted).
    public init?(rfc3339 text: String) {
        var copy = text
        let parsed = copy.withUTF8 { Self.parse(UnsafeRawBufferPointer($0)) }
        guard let parsed else { return nil }
        self = parsed
    }

    /// Parses RFC 3339 from raw bytes.
    @inline(__always)
    public static func parse(_ s: UnsafeRawBufferPointer) -> EventTime? {
        let n = s.count
        guard n >= 20 else { return nil }
        func digit(_ i: Int) -> Int? {
            let c = s[i]
            return c >= 0x30 && c <= 0x39 ? Int(c - 0x30) : nil
        }
        func num(_ i: Int, _ len: Int) -> Int? {
            var v = 0
            for k in 0..<len { guard let d = digit(i + k) else { return nil }; v = v * 10 + d }
            return v
        }
        guard let year = num(0, 4), s[4] == UInt8(ascii: "-"), let month = num(5, 2), s[7] == UInt8(ascii: "-"),
              let day = num(8, 2), s[10] == UInt8(ascii: "T") || s[10] == UInt8(ascii: "t") || s[10] == UInt8(ascii: " "),
              let hour = num(11, 2), s[13] == UInt8(ascii: ":"), let minute = num(14, 2), s[16] == UInt8(ascii: ":"),
              let second = num(17, 2)
        else { return nil }
        guard year >= 1, (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year),
              hour < 24, minute < 60, second <= 60 else { return nil }
        var i = 19
        var millis = 0
        if i < n && s[i] == UInt8(ascii: ".") {
            i += 1
            let start = i
            while i < n, let d = digit(i) {
                if i - start < 3 { millis = millis * 10 + d }
                i += 1
            }
            guard i > start else { return nil }
            for _ in 0..<max(0, 3 - (i - start)) { millis *= 10 }
        }
        guard i < n else { return nil }
        var offsetMinutes = 0
        if s[i] == UInt8(ascii: "Z") || s[i] == UInt8(ascii: "z") {
            i += 1
        } else if s[i] == UInt8(ascii: "+") || s[i] == UInt8(ascii: "-") {
            let sign = s[i] == UInt8(ascii: "-") ? -1 : 1
            guard i + 6 <= n, let oh = num(i + 1, 2), s[i + 3] == UInt8(ascii: ":"), let om = num(i + 4, 2), oh < 24, om < 60 else { return nil }
            offsetMinutes = sign * (oh * 60 + om)
            i += 6
        } else {
            return nil
        }
        guard i == n else { return nil }
        let days = Self.days(fromCivil: Int64(year), month, day)
        let seconds = days * 86_400 + Int64(hour * 3600 + minute * 60 + second) - Int64(offsetMinutes * 60)
        let time = EventTime(milliseconds: seconds * 1000 + Int64(millis))
        guard time >= minimum, time <= maximum else { return nil }
        return time
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 for a proleptic Gregorian date (H. Hinnant's algorithm).
    static func days(fromCivil year: Int64, _ month: Int, _ day: Int) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let m = Int64(month)
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + Int64(day) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civil(fromDays days: Int64) -> (Int64, Int, Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = Int(doy - (153 * mp + 2) / 5 + 1)
        let m = Int(mp < 10 ? mp + 3 : mp - 9)
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }
}

extension JSONScanner {
    /// Reads a timestamp: an RFC 3339 string or integral epoch milliseconds.
    @inline(__always)
    mutating func readTime(field: @autoclosure () -> String) throws(EventDecodingError) -> EventTime {
        guard let c = peek() else { throw malformed("value expected, found end of input") }
        if c == UInt8(ascii: "\"") {
            let start = position
            // Fast path: parse the bytes between the quotes in place (timestamps never need unescaping).
            var end = position + 1
            while end < count, base[end] != UInt8(ascii: "\""), base[end] != UInt8(ascii: "\\"), end - position <= 64 { end += 1 }
            if end < count, base[end] == UInt8(ascii: "\"") {
                if let parsed = EventTime.parse(UnsafeRawBufferPointer(start: base + position + 1, count: end - position - 1)) {
                    position = end + 1
                    return parsed
                }
            }
            let text = try readString(field: field())
            var copy = text
            let parsed = copy.withUTF8 { EventTime.parse(UnsafeRawBufferPointer($0)) }
            guard let parsed else {
                position = start
                throw error(.invalidField, field(), "expected an RFC 3339 timestamp such as 2026-11-23T10:08:09.123Z, found \"\(text.prefix(40))\"")
            }
            return parsed
        }
        if c == UInt8(ascii: "-") || (c >= 0x30 && c <= 0x39) {
            let start = position
            let value = try readNumber(field: field())
            guard value == value.rounded(), value >= Double(EventTime.minimum.milliseconds), value <= Double(EventTime.maximum.milliseconds) else {
                position = start
                throw error(.invalidField, field(), "epoch milliseconds must be an integer between years 1 and 9999")
            }
            return EventTime(milliseconds: Int64(value))
        }
        throw error(.invalidField, field(), "expected an RFC 3339 string or epoch milliseconds, found \(describeValueAtPosition())")
    }
}

/// The date part (`YYYY-MM-DDT`) of the last day `EventTime.writeRFC3339(to:cache:)` wrote, so that a run of
/// times on one day converts days to a civil date once. A plain value: no clock, no sharing.
public struct RFC3339DayCache: Sendable {
    var day: Int64 = .min
    /// `YYYY-MM-DDT` in the first 11 bytes.
    var date: (UInt64, UInt64) = (0, 0)

    public init() {}

    mutating func set(day: Int64, civil: (Int64, Int, Int)) {
        self.day = day
        let (y, m, d) = civil
        withUnsafeMutableBytes(of: &date) { b in
            @inline(__always) func two(_ at: Int, _ v: Int) { b[at] = UInt8(0x30 + v / 10); b[at + 1] = UInt8(0x30 + v % 10) }
            let year = Int(y)
            b[0] = UInt8(0x30 + year / 1000 % 10); b[1] = UInt8(0x30 + year / 100 % 10); two(2, year % 100)
            b[4] = UInt8(ascii: "-"); two(5, m); b[7] = UInt8(ascii: "-"); two(8, d)
            b[10] = UInt8(ascii: "T")
        }
    }
}
