public import Events
import Foundation

/// Reads exported event logs (JSON Lines: one prediction or label event per line) for a backtest without a broker.
///
/// A file holds one kind of event: predictions or labels, named by a `predictions:` or `labels:` prefix on the
/// path, or else taken from its first line that decodes as either. Blank lines are skipped; a line that does not
/// decode is kept as a `MalformedLine` with its number and the decoder's error (the report lists them), so nothing
/// is dropped silently.
public enum EventLogFile {
    public enum Kind: String, Sendable { case predictions, labels }

    /// A line (or a broker record: `file` is `topic/partition`, `line` the offset) that did not decode.
    public struct MalformedLine: Sendable, Hashable, Codable {
        public var file: String
        public var line: Int
        public var error: String
        public init(file: String, line: Int, error: String) { self.file = file; self.line = line; self.error = error }
    }

    public struct Contents: Sendable {
        public var events: [BacktestEvent] = []
        public var malformed: [MalformedLine] = []
        public var kinds: [String: Kind] = [:]
        public init() {}
    }

    public enum ReadError: Error, CustomStringConvertible, Sendable {
        case unreadable(String, String)
        case noEvents(String)
        public var description: String {
            switch self {
            case .unreadable(let f, let why): "--input \(f): cannot read the file: \(why)"
            case .noEvents(let f): "--input \(f): no line decodes as a prediction or a label event; prefix the path with predictions: or labels: to say which it holds"
            }
        }
    }

    /// Reads every input (`[predictions:|labels:]path`), numbering sources in the order given.
    public static func read(_ inputs: [String], limits: EventLimits = .default) throws(ReadError) -> Contents {
        var out = Contents()
        for (index, input) in inputs.enumerated() {
            var kind: Kind?
            var path = input
            for k in [Kind.predictions, .labels] where input.hasPrefix(k.rawValue + ":") {
                kind = k
                path = String(input.dropFirst(k.rawValue.count + 1))
            }
            let data: Data
            do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch { throw .unreadable(path, error.localizedDescription) }
            let bytes = [UInt8](data)
            var lines: [(Int, ArraySlice<UInt8>)] = []
            var start = 0, number = 1
            for i in 0 ... bytes.count where i == bytes.count || bytes[i] == UInt8(ascii: "\n") {
                var line = bytes[start ..< i]
                if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
                if line.contains(where: { $0 != 0x20 && $0 != 0x09 }) { lines.append((number, line)) }
                start = i + 1
                number += 1
            }
            if kind == nil {
                for (_, line) in lines {
                    if (try? PredictionEvent.decode(line, limits: limits)) != nil { kind = .predictions; break }
                    if (try? LabelEvent.decode(line, limits: limits)) != nil { kind = .labels; break }
                }
            }
            guard let kind else {
                if lines.isEmpty { out.kinds[path] = .predictions; continue }
                throw .noEvents(path)
            }
            out.kinds[path] = kind
            for (number, line) in lines {
                do {
                    switch kind {
                    case .predictions:
                        out.events.append(BacktestEvent(.prediction(try PredictionEvent.decode(line, limits: limits)), source: Int32(index), position: Int64(number)))
                    case .labels:
                        out.events.append(BacktestEvent(.label(try LabelEvent.decode(line, limits: limits)), source: Int32(index), position: Int64(number)))
                    }
                } catch {
                    out.malformed.append(MalformedLine(file: path, line: number, error: error.description))
                }
            }
        }
        return out
    }
}
