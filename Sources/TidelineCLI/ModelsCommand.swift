import ArgumentParser
import Events
import Foundation
import Kafka
import ModelStore
import TidelineConfig
import Training

/// `tideline models`: the model catalog (versions, lineage), operator commands, and reference scoring.
struct ModelsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "Inspect trained models, request a retrain or a rollback, and score with published parameters.",
        discussion: """
            list, show and lineage read the catalog (train.catalog, default <train.model_directory>/catalog.sqlite) that \
            the train stage writes. retrain and rollback publish a command to the model-commands topic; the running \
            train stage acts on it once (by command_id) and publishes the resulting model-update. score applies a \
            version's published parameters to feature objects, as a serving process would.
            """,
        subcommands: [List.self, Show.self, Lineage.self, Retrain.self, Rollback.self, Score.self]
    )

    /// Where the catalog is: --catalog, else the configuration's train section.
    struct CatalogOptions: ParsableArguments {
        @Option(name: .long, help: "Configuration file (YAML); its train section locates the catalog.")
        var config: String?
        @Option(name: .long, help: "Model catalog (SQLite). Overrides train.catalog.")
        var catalog: String?

        func open() throws -> ModelStore {
            var path = catalog
            if path == nil {
                var configuration = TidelineConfiguration()
                if let config {
                    do { configuration = try TidelineConfiguration.load(path: config) } catch {
                        printError("configuration error: \(error)")
                        throw ExitCodes.configError
                    }
                }
                path = configuration.train.catalogPath
            }
            guard let path, FileManager.default.fileExists(atPath: path) else {
                printError("--catalog: no model catalog at \(path ?? "?") (the train stage creates it; pass --catalog or --config)")
                throw ExitCodes.configError
            }
            return try ModelStore(path: path)
        }
    }

    static func describe(_ v: ModelStore.Version) -> String {
        var parts = ["\(v.version)", v.kind.rawValue, v.decision.rawValue, "trigger=\(v.trigger)", "examples=\(v.exampleCount)",
                     "at=\(v.createdAt.rfc3339)"]
        if let p = v.parentVersion { parts.insert("parent=\(p)", at: 3) }
        if let r = v.reason { parts.append("reason=\"\(r)\"") }
        return parts.joined(separator: " ")
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Models in the catalog with their version count and champion.")
        @OptionGroup var catalog: CatalogOptions

        func run() async throws {
            let store = try catalog.open()
            var out = StandardOutput()
            for m in try store.models() { out.line("\(m.model)\tversions=\(m.versions)\tchampion=\(m.champion ?? "-")") }
            out.flush()
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One version (default: the champion), or every version with --all.")
        @Argument(help: "Model name.") var model: String
        @Option(name: .long, help: "Version (default: the champion).") var version: String?
        @Flag(name: .long, help: "List every version, oldest first.") var all = false
        @Flag(name: .long, help: "Print the model-update event as published (JSON).") var json = false
        @OptionGroup var catalog: CatalogOptions

        func validate() throws {
            if all && version != nil { throw ValidationError("--all: choose one of --all and --version") }
        }

        func run() async throws {
            let store = try catalog.open()
            var out = StandardOutput()
            if all {
                let versions = try store.versions(model: model)
                guard !versions.isEmpty else { printError("model \(model) has no versions in \(store.path)"); throw ExitCodes.configError }
                for v in versions { out.line(json ? v.event : ModelsCommand.describe(v)) }
                out.flush()
                return
            }
            let found = try version.map { try store.version(model: model, version: $0) } ?? store.champion(model: model)
            guard let v = found else {
                printError(version.map { "model \(model) has no version \($0) in \(store.path)" } ?? "model \(model) has no promoted version in \(store.path)")
                throw ExitCodes.configError
            }
            if json { out.line(v.event); out.flush(); return }
            out.line(ModelsCommand.describe(v))
            if let detail = v.triggerDetail { out.line("  trigger: \(v.trigger) (\(detail))") }
            if let event = try? ModelUpdateEvent.decode(json: v.event) {
                if let from = event.data.eventTimeFrom, let to = event.data.eventTimeTo { out.line("  data: \(event.data.exampleCount) examples, event time \(from.rfc3339) .. \(to.rfc3339)") }
                for r in event.data.sourceOffsets { out.line("  source: \(r.topic)[\(r.partition)] offsets \(r.from)..<\(r.to)") }
                for e in event.metrics {
                    let candidate = e.candidate.sorted { $0.key < $1.key }.map { "\($0.key)=\(String(format: "%.4f", $0.value))" }.joined(separator: " ")
                    let champion = e.champion.sorted { $0.key < $1.key }.map { "\($0.key)=\(String(format: "%.4f", $0.value))" }.joined(separator: " ")
                    out.line("  \(e.set): candidate \(candidate)" + (champion.isEmpty ? "" : " | champion \(champion)"))
                }
            }
            if let path = v.checkpointPath { out.line("  checkpoint: \(path) sha256=\(v.sha256 ?? "-")") }
            out.flush()
        }
    }

    struct Lineage: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A version (default: the champion) and its ancestors, newest first.")
        @Argument(help: "Model name.") var model: String
        @Option(name: .long, help: "Version (default: the champion).") var version: String?
        @OptionGroup var catalog: CatalogOptions

        func run() async throws {
            let store = try catalog.open()
            guard let start = try version ?? store.champion(model: model)?.version else {
                printError("model \(model) has no promoted version in \(store.path)")
                throw ExitCodes.configError
            }
            let chain = try store.lineage(model: model, version: start)
            guard !chain.isEmpty else { printError("model \(model) has no version \(start) in \(store.path)"); throw ExitCodes.configError }
            var out = StandardOutput()
            for (depth, v) in chain.enumerated() { out.line(String(repeating: "  ", count: depth) + ModelsCommand.describe(v)) }
            out.flush()
        }
    }

    /// Publishes one command to `model-commands`, with a fresh command id and the wall clock as its time.
    static func publish(_ action: ModelCommand.Action, model: String, toVersion: String? = nil, reason: String?,
                        connection: ConnectionOptions) async throws {
        let command = ModelCommand(commandID: UUID().uuidString.lowercased(), model: model, action: action, toVersion: toVersion, reason: reason,
                                   requestedAt: EventTime(milliseconds: Int64(Date().timeIntervalSince1970 * 1000)))
        let config = try connection.resolve()
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: config.kafkaClient), logger: connection.logger("tideline.models"))
        let topic = config.topic("model-commands")
        let reports = await producer.send([KafkaOutgoingMessage(topic: topic, key: Array(command.model.utf8), value: command.encoded())])
        try? await producer.close(timeout: .seconds(5))
        if let failed = reports.first(where: { !$0.isDelivered }) {
            printError("cannot publish to \(topic): \(failed.error.map { "\($0)" } ?? "unknown error")")
            throw ExitCodes.runtimeFailure
        }
        var out = StandardOutput()
        out.line("command_id=\(command.commandID) \(command.action.rawValue) \(command.model)\(command.toVersion.map { " to \($0)" } ?? "") -> \(topic)")
        out.flush()
    }

    struct Retrain: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Ask the train stage to evaluate the model's candidate now (a manual trigger).")
        @Argument(help: "Model name.") var model: String
        @Option(name: .long, help: "Why (recorded in the update's trigger).") var reason: String?
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await ModelsCommand.publish(.retrain, model: model, reason: reason, connection: connection)
        }
    }

    struct Rollback: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Ask the train stage to restore an earlier version (default: the champion's parent).")
        @Argument(help: "Model name.") var model: String
        @Option(name: .long, help: "Version to restore (default: the champion's parent).") var to: String?
        @Option(name: .long, help: "Why (recorded in the update's trigger).") var reason: String?
        @OptionGroup var connection: ConnectionOptions

        func validate() throws {
            if let to, to.isEmpty { throw ValidationError("--to: name a version such as v3") }
        }

        func run() async throws {
            try await ModelsCommand.publish(.rollback, model: model, toVersion: to, reason: reason, connection: connection)
        }
    }

    struct Score: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Score feature objects with a version's published parameters (the reference scoring function).",
            discussion: """
                Reads JSON Lines (a file or stdin): feature objects, or events with a "features" field. Prints one score \
                per line: P(y = 1) for classifiers, the predicted value for regression. Uses the parameters inline in \
                the model-update event, or, when they were too large to inline, the checkpoint (verified by SHA-256).
                """
        )
        @Argument(help: "Model name.") var model: String
        @Option(name: .long, help: "Version (default: the champion).") var version: String?
        @Option(name: .long, help: "JSON Lines input (default: stdin).") var file: String?
        @OptionGroup var catalog: CatalogOptions

        func run() async throws {
            let store = try catalog.open()
            guard let v = try version.map({ try store.version(model: model, version: $0) }) ?? store.champion(model: model) else {
                printError("model \(model) has no \(version.map { "version \($0)" } ?? "promoted version") in \(store.path)")
                throw ExitCodes.configError
            }
            let event = try ModelUpdateEvent.decode(json: v.event)
            let parameters: JSONValue
            if let inline = event.parameters { parameters = inline } else {
                let artifact = try store.loadArtifact(model: model, version: v.version)
                parameters = ModelParameters.export(artifact.learner, encoder: artifact.encoder)
            }
            let scorer = try ModelScorer(parameters: parameters)
            let data: Data
            if let file {
                guard let d = FileManager.default.contents(atPath: file) else { printError("--file: cannot read \(file)"); throw ExitCodes.dataError }
                data = d
            } else {
                data = FileHandle.standardInput.readDataToEndOfFile()
            }
            var out = StandardOutput()
            var bad = 0
            for (i, line) in data.split(separator: 0x0A).enumerated() {
                let bytes = Array(line)
                if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
                let features: FeatureVector
                if let e = try? LabeledExample.decode(bytes) { features = e.features } else if let p = try? PredictionEvent.decode(bytes) { features = p.features } else {
                    do { features = try FeatureVector.decode(object: bytes, limits: .default) } catch {
                        printError("line \(i + 1): neither an event nor an object of features: \(error)")
                        bad += 1
                        continue
                    }
                }
                out.line(String(scorer.score(features)))
            }
            out.flush()
            if bad > 0 { throw ExitCodes.dataError }
        }
    }
}
