import ArgumentParser
import Dashboard
import Foundation
import Kafka
import Telemetry
import TidelineConfig

/// `tideline broker`: the embedded Kafka cluster as a standalone process for any Kafka client.
struct BrokerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "broker",
        abstract: "Run the embedded Kafka broker (librdkafka's mock cluster) until SIGINT or SIGTERM.",
        discussion: """
            Prints `bootstrap.servers=HOST:PORT` on the first line of standard output, creates every topic in \
            topics/ (with the prefix), then waits. Any Kafka client on this machine (kcat, Java, Python) can \
            connect. With --port, a fixed local port forwards to the first broker for bootstrapping; clients then \
            reach the brokers' own addresses on 127.0.0.1 directly.
            """
    )

    @Option(name: .long, help: "A fixed local bootstrap port (0 or absent: use the brokers' own ephemeral ports).")
    var port: Int?

    @Option(name: .long, help: "Number of brokers in the cluster.")
    var brokers: Int = 1

    @Option(name: .long, help: "Topic name prefix.")
    var topicPrefix: String = ""

    @Option(name: .long, help: "Serve Prometheus metrics on 127.0.0.1:PORT.")
    var metricsPort: Int?

    @OptionGroup var topics: TopicsDirectoryOption

    func validate() throws {
        guard (1...16).contains(brokers) else { throw ValidationError("--brokers: must be between 1 and 16, got \(brokers)") }
        if let port, !(0...65535).contains(port) { throw ValidationError("--port: must be between 0 and 65535, got \(port)") }
        if let metricsPort, !(0...65535).contains(metricsPort) { throw ValidationError("--metrics-port: must be between 0 and 65535") }
    }

    func run() async throws {
        let catalog = try topics.load()
        let cluster: EmbeddedKafkaCluster
        do { cluster = try EmbeddedKafkaCluster(brokers: brokers) } catch {
            printError("cannot start the embedded broker: \(error)")
            throw ExitCodes.runtimeFailure
        }
        for topic in catalog.topics {
            try cluster.createTopic(topic.spec(prefix: topicPrefix, maxReplication: brokers))
        }
        var bootstrap = cluster.bootstrapServers
        var forwarder: BootstrapForwarder?
        if let port, port != 0 {
            let first = cluster.bootstrapServers.split(separator: ",")[0]
            let parts = first.split(separator: ":")
            do {
                forwarder = try await BootstrapForwarder(listenHost: "127.0.0.1", port: port, targetHost: String(parts[0]),
                                                         targetPort: Int(parts[1])!)
            } catch {
                printError("--port: cannot listen on 127.0.0.1:\(port): \(error)")
                throw ExitCodes.runtimeFailure
            }
            bootstrap = "127.0.0.1:\(port)"
        }
        var metrics: OperationsServer?
        if let metricsPort { metrics = try await OperationsServer(port: metricsPort, title: "tideline broker") }
        var out = StandardOutput()
        out.line("bootstrap.servers=\(bootstrap)")
        out.line("brokers=\(cluster.bootstrapServers)")
        out.line("topics=\(catalog.topics.map { topicPrefix + $0.name }.joined(separator: ","))")
        if let metrics { out.line("metrics=http://\(metrics.host):\(metrics.port)/metrics") }
        out.flush()
        let sig = await TerminationSignal.wait()
        printError("received signal \(sig), stopping the embedded broker")
        await forwarder?.stop()
        await metrics?.stop()
        withExtendedLifetime(cluster) {}
    }
}
