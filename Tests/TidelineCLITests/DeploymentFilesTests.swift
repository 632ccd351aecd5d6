import Foundation
import Testing
import TidelineConfig
import Yams
@testable import TidelineCLI

/// No Docker engine runs here, so `docker-compose.yml`, the `Dockerfile` and the files they mount are validated as
/// files: they parse, name only services and images that exist (in the file, or official repositories), mount
/// files that exist, run commands `tideline` accepts, and agree with each other and the README on names and ports.
@Suite struct DeploymentFilesTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static func text(_ path: String) throws -> String { try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8) }
    static let officialRepositories = ["apache/kafka", "prom/prometheus", "grafana/grafana", "swift", "debian"]

    static func compose() throws -> [String: Any] {
        try #require(try Yams.load(yaml: text("docker-compose.yml")) as? [String: Any])
    }

    @Test func composeNamesOnlyServicesImagesAndFilesThatExist() throws {
        let compose = try Self.compose()
        let services = try #require(compose["services"] as? [String: [String: Any]])
        #expect(Set(services.keys) == ["kafka", "topics", "tideline", "prometheus", "grafana"])
        let volumes = Set((compose["volumes"] as? [String: Any?])?.keys.map { $0 } ?? [])
        let built = Set(services.values.filter { $0["build"] != nil }.compactMap { $0["image"] as? String })
        #expect(built == ["tideline:local"], "the tideline image is built from the Dockerfile by one service")
        for (name, service) in services {
            let image = try #require(service["image"] as? String, "\(name) has an image")
            let repository = String(image.split(separator: ":").first!)
            #expect(built.contains(image) || Self.officialRepositories.contains(repository), "\(name): \(image) is neither built here nor official")
            #expect(built.contains(image) || image.contains(":") && !image.hasSuffix(":latest"), "\(name): pin a version of \(image)")
            let dependencies: [String]
            if let list = service["depends_on"] as? [String] { dependencies = list } else { dependencies = Array((service["depends_on"] as? [String: Any])?.keys ?? [:].keys) }
            for d in dependencies { #expect(services[d] != nil, "\(name) depends on unknown service \(d)") }
            for mount in service["volumes"] as? [String] ?? [] {
                let source = String(mount.split(separator: ":").first!)
                if source.hasPrefix("./") {
                    #expect(FileManager.default.fileExists(atPath: Self.root.appendingPathComponent(String(source.dropFirst(2))).path), "\(name) mounts missing \(source)")
                } else {
                    #expect(volumes.contains(source), "\(name) mounts undeclared volume \(source)")
                }
            }
        }
        if let build = services["topics"]?["build"] as? String {
            #expect(FileManager.default.fileExists(atPath: Self.root.appendingPathComponent(build).appendingPathComponent("Dockerfile").path))
        }
    }

    @Test func composeCommandsAreOnesTidelineAccepts() throws {
        let services = try #require(try Self.compose()["services"] as? [String: [String: Any]])
        for name in ["topics", "tideline"] {
            let command = try #require(services[name]?["command"] as? [String])
            #expect(throws: Never.self, "\(name): \(command)") { _ = try TidelineCommand.parseAsRoot(command) }
        }
        let run = try #require(services["tideline"]?["command"] as? [String])
        let configPath = try #require(run.firstIndex(of: "--config").map { run[$0 + 1] })
        let mount = try #require((services["tideline"]?["volumes"] as? [String])?.first { $0.contains(configPath) })
        let config = try TidelineConfiguration.load(path: Self.root.appendingPathComponent(String(mount.split(separator: ":")[0].dropFirst(2))).path)
        // The stage reaches Kafka on its advertised in-network listener and serves metrics where Prometheus scrapes.
        let kafkaEnvironment = try #require(services["kafka"]?["environment"] as? [String: Any])
        let advertised = try #require(kafkaEnvironment["KAFKA_ADVERTISED_LISTENERS"] as? String)
        for broker in config.kafka.brokers { #expect(advertised.contains("://\(broker)"), "\(broker) is advertised by kafka: \(advertised)") }
        #expect(config.metrics.host == "0.0.0.0", "metrics must be reachable from the prometheus container")
        #expect((services["tideline"]?["ports"] as? [String])?.contains("\(config.metrics.port):\(config.metrics.port)") == true)
        let prometheus = try Self.text("deploy/prometheus.yml")
        #expect(prometheus.contains("\"tideline:\(config.metrics.port)\""))
        let datasource = try Self.text("deploy/grafana/provisioning/datasources/prometheus.yml")
        #expect(datasource.contains("http://prometheus:9090") && (services["prometheus"]?["ports"] as? [String])?.contains("9090:9090") == true)
        // The topics job creates the topics of topics/, the same names the README documents.
        let catalog = try TopicCatalog.load(directory: Self.root.appendingPathComponent("topics").path)
        let readme = try Self.text("README.md")
        for topic in catalog.topics { #expect(readme.contains("`\(topic.name)`"), "README names topic \(topic.name)") }
        for port in ["29092", "9464", "9090", "3000"] { #expect(readme.contains(port), "README gives port \(port)") }
        #expect(readme.contains("## Run on a real Kafka cluster"))
    }

    @Test func dashboardQueriesOnlyMetricsTidelineExports() throws {
        let data = try Data(contentsOf: Self.root.appendingPathComponent("deploy/grafana/dashboards/tideline.json"))
        let dashboard = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let panels = try #require(dashboard["panels"] as? [[String: Any]])
        #expect(panels.count >= 6)
        var sources = ""
        for file in FileManager.default.enumerator(atPath: Self.root.appendingPathComponent("Sources").path)!.compactMap({ $0 as? String }) where file.hasSuffix(".swift") {
            sources += try Self.text("Sources/" + file)
        }
        let metric = try Regex("tideline_[a-z_]+")
        for panel in panels {
            for target in panel["targets"] as? [[String: Any]] ?? [] {
                let expr = try #require(target["expr"] as? String)
                for match in expr.matches(of: metric) {
                    // A histogram's series are its name plus _bucket, _sum or _count.
                    var name = String(expr[match.range])
                    for suffix in ["_bucket", "_sum", "_count"] where name.hasSuffix(suffix) && !sources.contains("\"\(name)\"") {
                        name = String(name.dropLast(suffix.count))
                    }
                    #expect(sources.contains("\"\(name)\""), "\(panel["title"] ?? "?"): \(name) is not a metric Tideline exports")
                }
            }
        }
    }

    @Test func dockerfileBuildsOnOfficialImagesFromFilesThatExist() throws {
        let dockerfile = try Self.text("Dockerfile")
        let froms = dockerfile.split(separator: "\n").filter { $0.hasPrefix("FROM ") }.map { $0.split(separator: " ")[1] }
        #expect(froms.count == 2, "a build stage and a runtime stage")
        for image in froms { #expect(Self.officialRepositories.contains(String(image.split(separator: ":")[0])), "\(image)") }
        for line in dockerfile.split(separator: "\n") where line.hasPrefix("COPY ") && !line.contains("--from=") {
            let source = String(line.split(separator: " ")[1])
            #expect(FileManager.default.fileExists(atPath: Self.root.appendingPathComponent(source).path), "COPY \(source) exists")
        }
        #expect(dockerfile.contains("librdkafka-dev") && dockerfile.contains("librdkafka1"), "Debian's librdkafka, to build and to run")
        #expect(dockerfile.contains("--product tideline") && dockerfile.contains("ENTRYPOINT [\"tideline\"]"))
        #expect(dockerfile.contains("EXPOSE 9464"))
    }
}
