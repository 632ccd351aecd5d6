/// Reads the Prometheus text exposition format (version 0.0.4) back into samples: what `/metrics` serves is
/// what the dashboard plots, so both show the same numbers.
public enum PrometheusText {
    /// One line of the exposition: a metric name, its labels and its value.
    public struct Sample: Sendable, Hashable {
        public var name: String
        /// Label names and values, in the order they appeared.
        public var labels: [Label]
        public var value: Double

        public struct Label: Sendable, Hashable, Codable {
            public var name: String
            public var value: String
            public init(name: String, value: String) { self.name = name; self.value = value }
        }

        public init(name: String, labels: [Label], value: Double) {
            self.name = name; self.labels = labels; self.value = value
        }

        /// `name{label="value",…}` with labels sorted by name: identifies the series.
        public var seriesKey: String {
            let sorted = labels.sorted { $0.name < $1.name }
            return sorted.isEmpty ? name : name + "{" + sorted.map { "\($0.name)=\"\($0.value)\"" }.joined(separator: ",") + "}"
        }
    }

    /// Parses `text`; comment lines (`# HELP`, `# TYPE`) and lines that do not parse are skipped.
    public static func parse(_ text: String) -> [Sample] {
        var out: [Sample] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            if line.first == "#" { continue }
            if let sample = parseLine(Substring(line)) { out.append(sample) }
        }
        return out
    }

    static func parseLine(_ line: Substring) -> Sample? {
        let scalars = Array(line.unicodeScalars)
        var i = 0
        var name = ""
        while i < scalars.count, scalars[i] != "{", scalars[i] != " " { name.unicodeScalars.append(scalars[i]); i += 1 }
        guard !name.isEmpty else { return nil }
        var labels: [Sample.Label] = []
        if i < scalars.count, scalars[i] == "{" {
            i += 1
            while i < scalars.count, scalars[i] != "}" {
                var labelName = ""
                while i < scalars.count, scalars[i] != "=" { labelName.unicodeScalars.append(scalars[i]); i += 1 }
                guard i + 1 < scalars.count, scalars[i + 1] == "\"" else { return nil }
                i += 2
                var value = ""
                while i < scalars.count, scalars[i] != "\"" {
                    if scalars[i] == "\\", i + 1 < scalars.count {
                        i += 1
                        switch scalars[i] {
                        case "n": value += "\n"
                        default: value.unicodeScalars.append(scalars[i])
                        }
                    } else {
                        value.unicodeScalars.append(scalars[i])
                    }
                    i += 1
                }
                guard i < scalars.count else { return nil }
                i += 1  // closing quote
                labels.append(.init(name: labelName.trimmingSpaces, value: value))
                if i < scalars.count, scalars[i] == "," { i += 1 }
            }
            guard i < scalars.count else { return nil }
            i += 1  // closing brace
        }
        var rest = ""
        while i < scalars.count { rest.unicodeScalars.append(scalars[i]); i += 1 }
        let fields = rest.split(separator: " ", omittingEmptySubsequences: true)
        guard let first = fields.first else { return nil }
        let value: Double
        switch first {
        case "+Inf": value = .infinity
        case "-Inf": value = -.infinity
        case "NaN": value = .nan
        default:
            guard let v = Double(first) else { return nil }
            value = v
        }
        return Sample(name: name, labels: labels, value: value)
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while s.first == " " { s.removeFirst() }
        while s.last == " " { s.removeLast() }
        return String(s)
    }
}
