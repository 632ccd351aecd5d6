import Foundation
public import Kafka

/// One topic definition from `topics/<name>.json`: the source of truth for `tideline topics apply`.
public struct TopicDefinition: Sendable, Equatable {
    /// The base name (without the configured prefix).
    public var name: String
    public var description: String
    /// Which event field is the record key.
    public var key: String
    public var partitions: Int
    public var replicationFactor: Int
    /// Topic-level configuration (`retention.ms`, `cleanup.policy`, …).
    public var config: [String: String]
    /// The JSON Schema of the value, as JSON text.
    public var valueSchemaJSON: String

    /// The spec to create this topic under `prefix`, with replication capped at `maxReplication`.
    public func spec(prefix: String, maxReplication: Int? = nil) -> KafkaTopicSpec {
        KafkaTopicSpec(name: prefix + name, partitions: partitions,
                       replicationFactor: maxReplication.map { min($0, replicationFactor) } ?? replicationFactor, config: config)
    }
}

/// An error in a topic file, naming the file and the field.
public struct TopicCatalogError: Error, CustomStringConvertible, Sendable {
    public var file: String
    public var message: String
    public var description: String { "\(file): \(message)" }
}

/// The topics in a `topics/` directory.
public struct TopicCatalog: Sendable {
    public var topics: [TopicDefinition]

    /// The names Tideline requires, in the order of ARCHITECTURE §2, then the trainers' command topic.
    public static let requiredTopics = ["predictions", "labels", "labeled-examples", "model-updates", "alerts", "dead-letter", "model-commands"]

    public init(topics: [TopicDefinition]) { self.topics = topics }

    public func topic(_ name: String) -> TopicDefinition? { topics.first { $0.name == name } }

    /// Loads every `*.json` file in `directory` and checks that the required topics are all there.
    public static func load(directory: String) throws -> TopicCatalog {
        let fm = FileManager.default
        guard let files = try? fm.contentsOfDirectory(atPath: directory) else {
            throw TopicCatalogError(file: directory, message: "topics directory not found (pass --topics-dir or run from the repository root)")
        }
        var topics: [TopicDefinition] = []
        for file in files.sorted() where file.hasSuffix(".json") {
            let path = (directory as NSString).appendingPathComponent(file)
            topics.append(try parse(path: path))
        }
        for required in requiredTopics where !topics.contains(where: { $0.name == required }) {
            throw TopicCatalogError(file: directory, message: "missing topic definition \(required).json")
        }
        return TopicCatalog(topics: topics)
    }

    static func parse(path: String) throws -> TopicDefinition {
        guard let data = FileManager.default.contents(atPath: path) else { throw TopicCatalogError(file: path, message: "cannot read file") }
        let object: Any
        do { object = try JSONSerialization.jsonObject(with: data) } catch {
            throw TopicCatalogError(file: path, message: "not valid JSON: \(error.localizedDescription)")
        }
        guard let o = object as? [String: Any] else { throw TopicCatalogError(file: path, message: "expected a JSON object") }
        func string(_ k: String) throws -> String {
            guard let v = o[k] as? String, !v.isEmpty else { throw TopicCatalogError(file: path, message: "field \"\(k)\": expected a non-empty string") }
            return v
        }
        func int(_ k: String) throws -> Int {
            guard let v = o[k] as? Int, v >= 1 else { throw TopicCatalogError(file: path, message: "field \"\(k)\": expected a positive integer") }
            return v
        }
        guard let config = o["config"] as? [String: String] else {
            throw TopicCatalogError(file: path, message: "field \"config\": expected an object of string values")
        }
        guard let schema = o["value_schema"] as? [String: Any],
              let schemaData = try? JSONSerialization.data(withJSONObject: schema, options: [.sortedKeys]) else {
            throw TopicCatalogError(file: path, message: "field \"value_schema\": expected a JSON Schema object")
        }
        let name = try string("name")
        let expectedFile = name + ".json"
        guard (path as NSString).lastPathComponent == expectedFile else {
            throw TopicCatalogError(file: path, message: "field \"name\": \(name) does not match the file name (expected \(expectedFile))")
        }
        return TopicDefinition(name: name, description: (o["description"] as? String) ?? "", key: try string("key"),
                               partitions: try int("partitions"), replicationFactor: try int("replication_factor"), config: config,
                               valueSchemaJSON: String(decoding: schemaData, as: UTF8.self))
    }
}
