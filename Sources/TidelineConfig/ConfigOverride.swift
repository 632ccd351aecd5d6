import Yams

/// One `path=value` assignment applied to the configuration's YAML before it is validated: how a backtest sweep
/// varies a configuration. `path` is dotted (`models.ctr.train.batch_size`); a `*` segment stands for every key
/// present at that level (`models.*.train.batch_size` changes every model that has a train section). `value` is
/// YAML (`512`, `1h`, `{examples: 1024, on_drift: false}`), so it is validated exactly like the file.
public struct ConfigOverride: Sendable, Hashable, CustomStringConvertible {
    public let path: [String]
    public let value: String

    /// Parses `path=value`.
    public init(_ assignment: String) throws(ConfigurationError) {
        guard let eq = assignment.firstIndex(of: "=") else {
            throw ConfigurationError(file: "--sweep", line: nil, field: assignment, message: "expected path=value")
        }
        try self.init(path: String(assignment[..<eq]), value: String(assignment[assignment.index(after: eq)...]))
    }

    public init(path: String, value: String) throws(ConfigurationError) {
        let segments = path.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard !segments.isEmpty, segments.allSatisfy({ !$0.isEmpty }) else {
            throw ConfigurationError(file: "--sweep", line: nil, field: path, message: "expected a dotted path such as models.ctr.train.batch_size")
        }
        guard !value.isEmpty else {
            throw ConfigurationError(file: "--sweep", line: nil, field: path, message: "the value is empty")
        }
        self.path = segments
        self.value = value
    }

    public var description: String { "\(path.joined(separator: "."))=\(value)" }

    /// Applies the assignment to a YAML tree. Missing mappings on an explicit path are created; below a `*` only
    /// existing keys are followed. Fails when the value is not YAML or the path crosses a non-mapping.
    func apply(to root: inout Node) throws(ConfigurationError) {
        let replacement: Node
        do {
            guard let node = try Yams.compose(yaml: value) else { throw ConfigurationError(file: "--sweep", line: nil, field: description, message: "the value is empty") }
            replacement = node
        } catch let error as ConfigurationError {
            throw error
        } catch {
            throw ConfigurationError(file: "--sweep", line: nil, field: description, message: "the value is not valid YAML: \(error)")
        }
        try Self.set(&root, path[...], replacement, create: true, assignment: description)
    }

    private static func set(_ node: inout Node, _ path: ArraySlice<String>, _ value: Node, create: Bool, assignment: String) throws(ConfigurationError) {
        guard let key = path.first else { node = value; return }
        var mapping: Node.Mapping
        switch node {
        case .mapping(let m): mapping = m
        case .scalar(let s) where s.string.isEmpty || s.string == "~" || s.string == "null": mapping = Node.Mapping([])
        default:
            throw ConfigurationError(file: "--sweep", line: node.mark?.line, field: assignment, message: "\"\(key)\" is below a value that is not a mapping")
        }
        let rest = path.dropFirst()
        if key == "*" {
            for k in mapping.keys.compactMap(\.string) {
                guard var child = mapping[k] else { continue }
                if !rest.isEmpty, child.mapping == nil { continue }
                try set(&child, rest, value, create: false, assignment: assignment)
                mapping[k] = child
            }
        } else if var child = mapping[key] {
            try set(&child, rest, value, create: create, assignment: assignment)
            mapping[key] = child
        } else {
            guard create || rest.isEmpty else { return }
            var child = Node.mapping(Node.Mapping([]))
            try set(&child, rest, value, create: create, assignment: assignment)
            mapping[key] = child
        }
        node = .mapping(mapping)
    }
}

extension TidelineConfiguration {
    /// Parses and validates YAML text with `overrides` applied first, in order. Errors name the field; an error in
    /// an overridden value names the assignment.
    public static func parse(_ yaml: String, file: String = "tideline.yaml", overrides: [ConfigOverride]) throws(ConfigurationError) -> TidelineConfiguration {
        guard !overrides.isEmpty else { return try parse(yaml, file: file) }
        var root: Node
        do { root = try Yams.compose(yaml: yaml) ?? .mapping(Node.Mapping([])) } catch {
            throw ConfigurationError(file: file, line: nil, field: nil, message: "not valid YAML: \(error)")
        }
        for o in overrides { try o.apply(to: &root) }
        do {
            return try parse(root: root, file: file)
        } catch {
            var e = error
            if e.line == nil { e.message += " (with \(overrides.map(\.description).joined(separator: " ")))" }
            throw e
        }
    }
}
