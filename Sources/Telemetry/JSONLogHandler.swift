import Foundation
public import Logging

/// A swift-log handler that writes one JSON object per line to standard error, for log shippers:
///
///     {"ts":"2026-11-23T20:31:02.118Z","level":"warning","logger":"tideline.run","message":"…","stage":"join","partition":"3"}
///
/// Keys: `ts` (UTC, milliseconds), `level`, `logger` (the label), `message`, then the handler's and the call's
/// metadata flattened (nested dictionaries as dotted keys, arrays as JSON arrays of strings). Metadata keys that
/// would shadow the fixed ones are prefixed with `meta.`. Thread-safe: each line is written with one `write(2)`.
public struct JSONLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    public let label: String
    private let sink: @Sendable (String) -> Void

    /// Writes to standard error.
    public init(label: String) {
        self.init(label: label) { line in FileHandle.standardError.write(Data(line.utf8)) }
    }

    /// Writes each line (newline included) to `sink`.
    public init(label: String, sink: @escaping @Sendable (String) -> Void) {
        self.label = label
        self.sink = sink
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let level = event.level, message = event.message, explicit = event.metadata
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let explicit { merged.merge(explicit) { _, new in new } }
        var out = "{\"ts\":" + Self.quoted(Self.timestamp(Date()))
        out += ",\"level\":" + Self.quoted(level.rawValue)
        out += ",\"logger\":" + Self.quoted(label)
        out += ",\"message\":" + Self.quoted(message.description)
        var flat: [(String, String)] = []
        for (key, value) in merged { Self.flatten(key, value, into: &flat) }
        for (key, value) in flat.sorted(by: { $0.0 < $1.0 }) {
            let name = ["ts", "level", "logger", "message"].contains(key) ? "meta." + key : key
            out += "," + Self.quoted(name) + ":" + value
        }
        out += "}\n"
        sink(out)
    }

    /// `key` → JSON value text; dictionaries become dotted keys.
    static func flatten(_ key: String, _ value: Logger.Metadata.Value, into out: inout [(String, String)]) {
        switch value {
        case .string(let s): out.append((key, quoted(s)))
        case .stringConvertible(let c): out.append((key, quoted(c.description)))
        case .array(let items): out.append((key, "[" + items.map { quoted($0.description) }.joined(separator: ",") + "]"))
        case .dictionary(let d): for (k, v) in d { flatten(key + "." + k, v, into: &out) }
        }
    }

    /// A JSON string literal (RFC 8259 escaping).
    static func quoted(_ s: String) -> String {
        var out = "\""
        out.reserveCapacity(s.utf8.count + 2)
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                out += "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count) + String(scalar.value, radix: 16)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    static func timestamp(_ date: Date) -> String {
        let ms = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        var t = time_t(ms / 1000)
        var parts = tm()
        gmtime_r(&t, &parts)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday),
                      Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), Int(ms % 1000))
    }
}
